import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceEngineClient } from './face-engine-client.js';
import { runCalls } from './face-engine.js';
import { faceErrorCode, gradientJpeg } from './test-images.js';

// What the worker pool adds to the FaceEngine contract (face-engine.conformance.test.ts):
// a free event loop and a bounded queue.

describe('FaceEngineClient (worker pool)', () => {
  let engine: FaceEngineClient;
  beforeAll(async () => {
    engine = await FaceEngineClient.start({ workers: 1 });
  });
  afterAll(async () => {
    await engine.close();
  });

  it('keeps the event loop free while a worker runs inference', async () => {
    // A faceless 640×480 picture runs every detection attempt, SSD included: the longest call.
    const gradient = await gradientJpeg();
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 5);
    const started = performance.now();
    try {
      for (let i = 0; i < 3; i++) await engine.detect(gradient);
    } finally {
      clearInterval(timer);
    }
    const perCall = (performance.now() - started) / 3;
    // In this thread one such call would hold the loop for its whole duration; with the
    // worker, the timer keeps firing throughout.
    expect(gaps.length).toBeGreaterThan(10);
    expect(Math.max(...gaps)).toBeLessThan(Math.max(50, perCall / 2));
  });

  it('answers concurrent calls in order and fails fast when the queue is full', async () => {
    const gradient = await gradientJpeg(128, 96);
    const busy = await FaceEngineClient.start({ workers: 1, maxQueue: 1 });
    try {
      const results = await Promise.allSettled([
        busy.detect(gradient),
        busy.detect(gradient),
        busy.detect(gradient),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    } finally {
      await busy.close();
    }
    expect(await faceErrorCode(busy.detect(gradient))).toBe('ENGINE_CLOSED');
  });

  it('counts waiting requests, not calls, and admits or refuses the calls of a request together', async () => {
    const gradient = await gradientJpeg(128, 96);
    const busy = await FaceEngineClient.start({ workers: 1, maxQueue: 2 });
    try {
      const request = () =>
        runCalls(busy, [
          { op: 'detect', image: gradient },
          { op: 'liveness', image: gradient },
        ]);
      // The first request's detect runs at once and its liveness waits; both calls of the
      // second wait: two waiting requests, so the third is refused whole, queuing nothing.
      const requests = [request(), request(), request()];
      const codes = await Promise.all(requests.map((calls) => Promise.all(calls.map(faceErrorCode))));
      const [first, second, third] = codes;
      expect(first?.[0]).toBeUndefined();
      expect(second?.every((code) => code !== 'ENGINE_BUSY')).toBe(true);
      expect(third).toEqual(['ENGINE_BUSY', 'ENGINE_BUSY']);
    } finally {
      await busy.close();
    }
  });
});
