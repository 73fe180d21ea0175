import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './helpers.js';

/** Schema failures name a field by its path: array items by index, object keys after a dot. */
describe('field paths of schema failures', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.destroy());

  const fieldsOf = async (url: string, payload: object) =>
    (await t.request({ method: 'POST', url, payload }))
      .json<{
        error: { details: { field: string }[] };
      }>()
      .error.details.map((d) => d.field);

  it('names an object key made of digits as a key (map.1), an array item by index (methods[1])', async () => {
    expect(await fieldsOf('/v1/structuring/runs', { input: 'x.csv', map: { '1': 5 } })).toEqual(['map.1']);
    expect(await fieldsOf('/v1/structuring/runs', { input: 'x.csv', methods: ['rules', 5] })).toContain(
      'methods[1]',
    );
  });
});
