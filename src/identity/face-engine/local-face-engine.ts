import * as tf from '@tensorflow/tfjs';
import type {
  DescribedFace,
  DetectedFace,
  FaceDescription,
  FaceEngine,
  LivenessResult,
} from './face-engine.js';
import { FaceEngineError } from './face-engine.js';
import { alignFace, geometryOf } from './face-aligner.js';
import { detectFaces, DEFAULT_ATTEMPTS } from './face-detector.js';
import type { DetectionAttempt, RawFace } from './face-detector.js';
import type { FaceApi } from './faceapi-models.js';
import { loadFaceApi } from './faceapi-models.js';
import { qualityOf, qualityProblems, DEFAULT_QUALITY_LIMITS } from './face-quality.js';
import type { QualityLimits } from './face-quality.js';
import { calibratedSimilarity } from './face-similarity.js';
import { decodeImage, DEFAULT_IMAGE_LIMITS } from './image-decoder.js';
import type { ImageLimits } from './image-decoder.js';
import { LivenessModel, DEFAULT_LIVENESS_THRESHOLDS } from './liveness-model.js';
import type { LivenessThresholds } from './liveness-model.js';

/** Options of {@link LocalFaceEngine}; every field has a default. */
export interface LocalFaceEngineOptions {
  /** Size limits checked before decoding. Default 5 MB, 25 megapixels. */
  readonly imageLimits: ImageLimits;
  /** Detection attempts, in order. Default {@link DEFAULT_ATTEMPTS} (tiny detector, then SSD). */
  readonly attempts: readonly DetectionAttempt[];
  /** Smallest face (longer box side, px) accepted by `embed`. Default 80. */
  readonly minFaceSize: number;
  /** A second face at least this fraction of the main face's area makes `MULTIPLE_FACES`. Default 0.4. */
  readonly multipleFaceRatio: number;
  /** Quality limits applied by `embed`. */
  readonly quality: QualityLimits;
  /** Thresholds of `liveness().passed`. */
  readonly liveness: LivenessThresholds;
}

/** Defaults of {@link LocalFaceEngineOptions}. */
export const DEFAULT_ENGINE_OPTIONS = {
  imageLimits: DEFAULT_IMAGE_LIMITS,
  attempts: DEFAULT_ATTEMPTS,
  minFaceSize: 80,
  multipleFaceRatio: 0.4,
  quality: DEFAULT_QUALITY_LIMITS,
  liveness: DEFAULT_LIVENESS_THRESHOLDS,
} as const satisfies LocalFaceEngineOptions;

const MODEL = 'faceapi-128';

/**
 * The face engine running in the current thread (face-api detectors, landmark alignment,
 * face-api's 128-d recognition net; Human's antispoof and liveness nets). Inference is
 * synchronous WASM: in a server, use it through `FaceEngineClient` (a worker pool).
 */
export class LocalFaceEngine implements FaceEngine {
  readonly model = MODEL;
  private closed = false;
  private readonly livenessModel: LivenessModel;

  private constructor(
    private readonly api: FaceApi,
    private readonly options: LocalFaceEngineOptions,
  ) {
    this.livenessModel = new LivenessModel(options.liveness);
  }

  /** Loads the models (once per thread) and returns a ready engine. */
  static async create(options: Partial<LocalFaceEngineOptions> = {}): Promise<LocalFaceEngine> {
    const api = await loadFaceApi();
    return new LocalFaceEngine(api, { ...DEFAULT_ENGINE_OPTIONS, ...options });
  }

  async detect(image: Buffer): Promise<DetectedFace[]> {
    return this.withImage(image, async (tensor) => {
      const faces = await detectFaces(this.api, tensor, this.options.attempts);
      return faces.map((face) => this.analyse(tensor, face, false).face);
    });
  }

  async describe(image: Buffer): Promise<FaceDescription> {
    return this.withImage(image, async (tensor) => {
      const raw = await detectFaces(this.api, tensor, this.options.attempts);
      const faces: DescribedFace[] = [];
      for (const face of raw) faces.push(await this.describeFace(tensor, face));
      return { faces, model: MODEL };
    });
  }

  async embed(image: Buffer): Promise<DescribedFace> {
    return this.withImage(image, async (tensor) => {
      const raw = await detectFaces(this.api, tensor, this.options.attempts);
      const main = this.mainFace(raw);
      const described = await this.describeFace(tensor, main);
      this.checkUsable(described);
      return described;
    });
  }

  async liveness(image: Buffer): Promise<LivenessResult> {
    return this.withImage(image, (tensor) => this.livenessModel.score(tensor));
  }

  similarity(a: Float32Array, b: Float32Array): number {
    return calibratedSimilarity(a, b);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private async withImage<T>(image: Buffer, run: (tensor: tf.Tensor3D) => Promise<T>): Promise<T> {
    if (this.closed) throw new FaceEngineError('ENGINE_CLOSED', 'The face engine is closed.');
    const rgb = await decodeImage(image, this.options.imageLimits);
    const tensor = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
    try {
      return await run(tensor);
    } finally {
      tensor.dispose();
    }
  }

  /** Box fractions and quality of one face; keeps the aligned chip when `keepChip`. */
  private analyse(
    image: tf.Tensor3D,
    face: RawFace,
    keepChip: boolean,
  ): { face: DetectedFace; chip?: tf.Tensor3D } {
    const [h, w] = image.shape;
    const chip = alignFace(image, face.landmarks);
    const detected: DetectedFace = {
      box: { x: face.x / w, y: face.y / h, width: face.width / w, height: face.height / h },
      confidence: face.score,
      quality: qualityOf(Math.round(Math.max(face.width, face.height)), chip, geometryOf(face.landmarks)),
    };
    if (keepChip) return { face: detected, chip };
    chip.dispose();
    return { face: detected };
  }

  private async describeFace(image: tf.Tensor3D, face: RawFace): Promise<DescribedFace> {
    const { face: detected, chip } = this.analyse(image, face, true);
    if (!chip) throw new Error('aligned chip missing');
    try {
      const out = await this.api.nets.faceRecognitionNet.computeFaceDescriptor(chip);
      const descriptor = Array.isArray(out) ? out[0] : out;
      if (!(descriptor instanceof Float32Array)) throw new Error('recognition net returned no descriptor');
      return { ...detected, descriptor };
    } finally {
      chip.dispose();
    }
  }

  /** The main face; throws when there is none or another face is about as large. */
  private mainFace(faces: readonly RawFace[]): RawFace {
    const [main, ...others] = faces;
    if (!main) throw new FaceEngineError('NO_FACE', 'No face was found in the image.');
    const area = (f: RawFace): number => f.width * f.height;
    if (others.some((other) => area(other) >= this.options.multipleFaceRatio * area(main))) {
      throw new FaceEngineError('MULTIPLE_FACES', 'The image shows more than one face.', {
        details: { faces: faces.length },
      });
    }
    return main;
  }

  private checkUsable(face: DescribedFace): void {
    if (face.quality.sizePx < this.options.minFaceSize) {
      throw new FaceEngineError(
        'FACE_TOO_SMALL',
        `The face is ${face.quality.sizePx} px; at least ${this.options.minFaceSize} px is needed.`,
        {
          // Named as the answers name them (`face.quality.size_px`).
          details: { size_px: face.quality.sizePx, min_size_px: this.options.minFaceSize },
        },
      );
    }
    const problems = qualityProblems(face.quality, this.options.quality);
    if (problems.length > 0) {
      throw new FaceEngineError('LOW_QUALITY', `The face photo is not usable: ${problems.join(', ')}.`, {
        details: { problems, quality: face.quality },
      });
    }
  }
}
