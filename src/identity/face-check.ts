import type { DescribedFace, FaceEngine, LivenessResult } from './face-engine/face-engine.js';
import { FaceEngineError, runCalls } from './face-engine/face-engine.js';
import { assertLive } from './face-engine/liveness-model.js';

/** Liveness policy: refuse suspected spoofs, only report the scores, or skip the check. */
export type LivenessMode = 'enforce' | 'report' | 'off';

/** The one usable face of a photo and its liveness scores (null when the check is off). */
export interface CheckedFace {
  readonly face: DescribedFace;
  readonly liveness: LivenessResult | null;
}

/**
 * Embeds the one main face of a photo and scores its liveness at the same time (two worker
 * jobs of one request, in parallel when the pool has two workers). Embedding errors (`NO_FACE`,
 * `MULTIPLE_FACES`, `FACE_TOO_SMALL`, `LOW_QUALITY`, `INVALID_IMAGE`, …) win over liveness
 * errors; in `enforce` mode a failed check, or a face the liveness model cannot find, is
 * `SPOOF_SUSPECTED`.
 */
export async function checkFace(engine: FaceEngine, image: Buffer, mode: LivenessMode): Promise<CheckedFace> {
  const [embedded, live] = await Promise.allSettled(embedAndScore(engine, image, mode));
  if (embedded.status === 'rejected') throw embedded.reason;
  if (live.status === 'rejected') {
    const noFace = live.reason instanceof FaceEngineError && live.reason.code === 'NO_FACE';
    if (!noFace) throw live.reason;
    if (mode === 'enforce') {
      throw new FaceEngineError('SPOOF_SUSPECTED', 'Liveness could not be assessed on this photo.');
    }
    return { face: embedded.value, liveness: null };
  }
  if (mode === 'enforce' && live.value) assertLive(live.value);
  return { face: embedded.value, liveness: live.value };
}

/** The embedding and (unless `off`) the liveness of a photo, queued as one request. */
function embedAndScore(
  engine: FaceEngine,
  image: Buffer,
  mode: LivenessMode,
): [Promise<DescribedFace>, Promise<LivenessResult | null>] {
  if (mode === 'off') return [...runCalls(engine, [{ op: 'embed', image }]), Promise.resolve(null)];
  return runCalls(engine, [
    { op: 'embed', image },
    { op: 'liveness', image },
  ]);
}
