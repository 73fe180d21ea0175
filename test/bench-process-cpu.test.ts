import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { CpuMeter, processesNamed } from '../bench/process-cpu.js';

/**
 * A node process that says "ready", then on each line of input burns that many milliseconds of
 * its own CPU time (not wall time: it may be preempted on a busy machine) and says "done".
 */
const BURNER = `
const rl = require('node:readline').createInterface({ input: process.stdin });
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
rl.on('line', (line) => {
  const until = cpuMs() + Number(line);
  while (cpuMs() < until) {}
  console.log('done');
});
console.log('ready');
`;

let children: ChildProcess[] = [];

afterEach(() => {
  children.forEach((child) => child.kill('SIGKILL'));
  children = [];
});

async function startBurner() {
  const child = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const nextLine = async () => ((await lines.next()).value as string | undefined) ?? '';
  expect(await nextLine()).toBe('ready');
  return {
    pid: child.pid as number,
    burn: async (ms: number) => {
      child.stdin?.write(`${ms}\n`);
      expect(await nextLine()).toBe('done');
    },
  };
}

describe.skipIf(!CpuMeter.available)('the benches’ CPU meter', () => {
  it('counts the CPU each group of processes spent between start and stop', async () => {
    const busy = await startBurner();
    const idle = await startBurner();
    const meter = new CpuMeter({ busy: () => [busy.pid], idle: () => [idle.pid] });
    meter.start();
    await busy.burn(300);
    const spent = meter.stop();
    // /proc counts in 10 ms ticks; the burner's loop and its answer cost a little more.
    expect(spent.busy).toBeGreaterThanOrEqual(0.29);
    expect(spent.busy).toBeLessThan(0.5);
    expect(spent.idle).toBeLessThan(0.05);
  });

  it('leaves out a process that exits before the stop, and finds processes by name', async () => {
    const burner = await startBurner();
    expect(processesNamed('node')()).toEqual(expect.arrayContaining([process.pid, burner.pid]));
    const meter = new CpuMeter({ gone: () => [burner.pid] });
    meter.start();
    await burner.burn(50);
    const child = children[0] as ChildProcess;
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(meter.stop().gone).toBe(0);
  });
});
