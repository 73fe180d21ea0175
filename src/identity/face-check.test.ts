import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFace } from './face-check.js';
import { FaceEngineClient } from './face-engine/face-engine-client.js';
import { FaceEngineError } from './face-engine/face-engine.js';
import { facesDevDir, gradientJpeg } from './face-engine/test-images.js';

const dataDir = facesDevDir();

// The liveness policy on real photos: one Human scores as live, one it scores under 0.5.
describe.skipIf(!dataDir)('checkFace liveness modes', () => {
  let engine: FaceEngineClient;
  let live: Buffer;
  let lowScored: Buffer;
  beforeAll(async () => {
    engine = await FaceEngineClient.start({ workers: 2 });
    const photo = (path: string) => readFile(join(dataDir ?? '', 'images', path));
    live = await photo('Alberto_Fujimori/Alberto_Fujimori_0001.jpg');
    lowScored = await photo('Adel_Al-Jubeir/Adel_Al-Jubeir_0003.jpg');
  });
  afterAll(async () => {
    await engine.close();
  });

  it('enforce: passes a photo scored live and refuses one scored under 0.5 as SPOOF_SUSPECTED', async () => {
    const ok = await checkFace(engine, live, 'enforce');
    expect(ok.face.descriptor).toHaveLength(128);
    expect(ok.liveness).toMatchObject({ passed: true });
    expect(ok.liveness!.real).toBeGreaterThanOrEqual(0.5);
    const refused = await checkFace(engine, lowScored, 'enforce').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FaceEngineError);
    expect((refused as FaceEngineError).code).toBe('SPOOF_SUSPECTED');
    expect((refused as FaceEngineError).details).toMatchObject({ real: expect.any(Number) });
  });

  it('report: returns the scores without refusing; off: no liveness at all', async () => {
    const reported = await checkFace(engine, lowScored, 'report');
    expect(reported.liveness).toMatchObject({ passed: false });
    expect(reported.liveness!.real).toBeLessThan(0.5);
    const off = await checkFace(engine, lowScored, 'off');
    expect(off.liveness).toBeNull();
    expect(Array.from(off.face.descriptor)).toEqual(Array.from(reported.face.descriptor));
  });

  it('reports the embedding error first: NO_FACE wins over the liveness check', async () => {
    const error = await checkFace(engine, await gradientJpeg(), 'enforce').catch((e: unknown) => e);
    expect((error as FaceEngineError).code).toBe('NO_FACE');
  });
});
