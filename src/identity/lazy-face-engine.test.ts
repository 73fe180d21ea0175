import { describe, expect, it } from 'vitest';
import type { FaceCall, FaceEngine } from './face-engine/face-engine.js';
import { runCalls } from './face-engine/face-engine.js';
import { LazyFaceEngine } from './lazy-face-engine.js';

describe('LazyFaceEngine', () => {
  it("hands a request's calls to the engine together, once started, and times each", async () => {
    const batches: (readonly FaceCall[])[] = [];
    const unused = () => Promise.reject(new Error('not called one by one'));
    const inner: FaceEngine = {
      model: 'fake',
      detect: unused,
      describe: unused,
      embed: unused,
      liveness: unused,
      similarity: () => 0,
      close: () => Promise.resolve(),
      runAll(calls) {
        batches.push(calls);
        return calls.map((call) => Promise.resolve(`${call.op} done`)) as never;
      },
    };
    const timed: string[] = [];
    const engine = new LazyFaceEngine(
      () => Promise.resolve(inner),
      (operation) => timed.push(operation),
    );
    const image = Buffer.from([1]);
    const results = runCalls(engine, [
      { op: 'embed', image },
      { op: 'liveness', image },
    ]);
    expect(await Promise.all(results)).toEqual(['embed done', 'liveness done']);
    expect(batches.map((calls) => calls.map((call) => call.op))).toEqual([['embed', 'liveness']]);
    expect(timed.sort()).toEqual(['embed', 'liveness']);
    expect(await (engine.describe(image) as Promise<unknown>)).toBe('describe done');
  });
});
