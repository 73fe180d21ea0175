import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

const valueLines = (body: string, name: string) =>
  body.split('\n').filter((line) => line.startsWith(`${name}{`));

describe('Metrics backlog gauges', () => {
  it('are left out while the backlog cannot be read, not kept at their last value', async () => {
    const metrics = new Metrics();
    let reachable = true;
    metrics.addBacklogCollector(() =>
      reachable
        ? Promise.resolve({ lag: 7, deadLetters: 2 })
        : Promise.reject(new Error('no answer within 1000 ms')),
    );
    const before = (await metrics.scrape()).body;
    expect(valueLines(before, 'centinela_consumer_lag')).toEqual([
      'centinela_consumer_lag{consumer="workers"} 7',
    ]);
    reachable = false;
    const during = (await metrics.scrape()).body;
    expect(valueLines(during, 'centinela_consumer_lag')).toEqual([]);
    expect(valueLines(during, 'centinela_dead_letters')).toEqual([]);
  });
});
