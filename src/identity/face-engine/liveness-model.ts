import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Config, Human, Result } from '@vladmandic/human';
import type { LivenessResult } from './face-engine.js';
import { FaceEngineError } from './face-engine.js';
import { initTensorflow } from './tf-runtime.js';

/** Scores at or above which `liveness().passed` is true. */
export interface LivenessThresholds {
  /** Least antispoof score (0..1). Default 0.5. */
  readonly minReal: number;
  /** Least liveness score (0..1). Default 0.5. */
  readonly minLive: number;
}

/** Default {@link LivenessThresholds}. */
export const DEFAULT_LIVENESS_THRESHOLDS = {
  minReal: 0.5,
  minLive: 0.5,
} as const satisfies LivenessThresholds;

type HumanConstructor = new (config?: Partial<Config>) => Human;

/**
 * Human's package maps its subpaths without `./`, so Node cannot import
 * `@vladmandic/human/dist/human.node-wasm.js` by name; load the WASM build by file path.
 */
function loadHumanClass(): { Human: HumanConstructor; modelDir: string } {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@vladmandic/human'));
  const mod = require(join(dist, 'human.node-wasm.js')) as { Human: HumanConstructor };
  return { Human: mod.Human, modelDir: join(dist, '..', 'models') };
}

function humanConfig(modelDir: string): Partial<Config> {
  const off = { enabled: false };
  return {
    backend: 'wasm',
    modelBasePath: pathToFileURL(modelDir + '/').href,
    debug: false,
    async: false,
    warmup: 'none',
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
    filter: off,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 3, minConfidence: 0.2, return: false },
      mesh: off,
      iris: off,
      attention: off,
      description: off,
      emotion: off,
      gear: off,
      antispoof: { enabled: true, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: true, skipFrames: 0, skipTime: 0 },
    },
  };
}

/** Human's antispoof and liveness nets (with its BlazeFace detector), loaded on first use. */
export class LivenessModel {
  private human: Promise<Human> | undefined;

  constructor(private readonly thresholds: LivenessThresholds = DEFAULT_LIVENESS_THRESHOLDS) {}

  /** Scores the largest face of an RGB image tensor; throws `NO_FACE` when Human finds none. */
  async score(image: tf.Tensor3D): Promise<LivenessResult> {
    const human = await this.load();
    const batch = tf.tidy(() => tf.cast(image, 'float32').expandDims<tf.Tensor4D>(0));
    let result: Result;
    try {
      result = await human.detect(batch);
    } finally {
      batch.dispose();
    }
    const face = [...result.face].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
    if (!face) throw new FaceEngineError('NO_FACE', 'No face was found for the liveness check.');
    const real = face.real ?? 0;
    const live = face.live ?? 0;
    return { real, live, passed: real >= this.thresholds.minReal && live >= this.thresholds.minLive };
  }

  private load(): Promise<Human> {
    this.human ??= (async () => {
      await initTensorflow();
      const { Human, modelDir } = loadHumanClass();
      const human = new Human(humanConfig(modelDir));
      await human.load();
      return human;
    })();
    return this.human;
  }
}

/** Throws `SPOOF_SUSPECTED` unless the liveness check passed. */
export function assertLive(result: LivenessResult): void {
  if (!result.passed) {
    throw new FaceEngineError('SPOOF_SUSPECTED', 'The photo may not show a live person.', {
      details: { real: result.real, live: result.live },
    });
  }
}
