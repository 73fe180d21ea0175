/**
 * The face engine: detection, alignment, embedding, liveness and a calibrated similarity.
 * One interface, several implementations (in-process, worker pool); see `local-face-engine.ts`
 * and `face-engine-client.ts`.
 */

/** Stable codes of every expected face-engine failure. */
export type FaceErrorCode =
  | 'INVALID_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'FACE_TOO_SMALL'
  | 'LOW_QUALITY'
  | 'SPOOF_SUSPECTED'
  | 'ENGINE_BUSY'
  | 'ENGINE_CLOSED';

/** Every code of {@link FaceErrorCode}, for validation and exhaustive mapping. */
export const FACE_ERROR_CODES: readonly FaceErrorCode[] = [
  'INVALID_IMAGE',
  'IMAGE_TOO_LARGE',
  'NO_FACE',
  'MULTIPLE_FACES',
  'FACE_TOO_SMALL',
  'LOW_QUALITY',
  'SPOOF_SUSPECTED',
  'ENGINE_BUSY',
  'ENGINE_CLOSED',
];

/** An expected failure of the face engine; `details` is safe to show to the caller. */
export class FaceEngineError extends Error {
  readonly code: FaceErrorCode;
  readonly details: unknown;

  constructor(code: FaceErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'FaceEngineError';
    this.code = code;
    this.details = options.details;
  }
}

/** A box as fractions (0..1) of the image width and height; `x`, `y` is the top-left corner. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Image-quality measures of one face. */
export interface FaceQuality {
  /** Face size in pixels of the (EXIF-rotated) image: the longer side of the detection box. */
  readonly sizePx: number;
  /** Sharpness: variance of the Laplacian of the aligned grey 150 px chip (faces-dev median 32; under 4 is refused). */
  readonly sharpness: number;
  /** Mean brightness of the aligned chip, 0..255. */
  readonly brightness: number;
  /** Head roll in degrees (eye line against the horizontal). */
  readonly rollDeg: number;
  /** Head yaw estimate in degrees from landmark asymmetry (0 = frontal). */
  readonly yawDeg: number;
  /** Head pitch estimate in degrees from landmark proportions (0 ≈ level). */
  readonly pitchDeg: number;
}

/** One detected face. */
export interface DetectedFace {
  readonly box: FaceBox;
  /** Detector confidence, 0..1. */
  readonly confidence: number;
  readonly quality: FaceQuality;
}

/** A detected face with its identity descriptor. */
export interface DescribedFace extends DetectedFace {
  /** Identity descriptor (128 floats for `faceapi-128`); compare two with {@link FaceEngine.similarity}. */
  readonly descriptor: Float32Array;
}

/** The faces of one image, main face first (largest, favouring the centre). */
export interface FaceDescription {
  readonly faces: readonly DescribedFace[];
  /** Recognition model that made the descriptors; descriptors of different models don't compare. */
  readonly model: string;
}

/** Presentation-attack (spoof) and liveness scores of the main face of an image. */
export interface LivenessResult {
  /** 0..1, higher = more likely a real face (Human's antispoof model). */
  readonly real: number;
  /** 0..1, higher = more likely live (Human's liveness model). */
  readonly live: number;
  /** Both scores at or above the engine's thresholds. */
  readonly passed: boolean;
}

/** What each engine operation resolves with. */
export interface FaceResults {
  readonly detect: DetectedFace[];
  readonly describe: FaceDescription;
  readonly embed: DescribedFace;
  readonly liveness: LivenessResult;
}

/** An engine operation. */
export type FaceOp = keyof FaceResults;

/** One engine call: an operation on an image. */
export interface FaceCall<Op extends FaceOp = FaceOp> {
  readonly op: Op;
  readonly image: Buffer;
}

/** One promise per call, in the calls' order. */
export type FaceCallResults<Calls extends readonly FaceCall[]> = {
  -readonly [K in keyof Calls]: Calls[K] extends FaceCall<infer Op> ? Promise<FaceResults[Op]> : never;
};

/**
 * Runs the calls of one request as one unit where the engine has a bounded queue
 * ({@link FaceEngine.runAll}), else one by one. Each promise settles on its own.
 */
export function runCalls<const Calls extends readonly FaceCall[]>(
  engine: FaceEngine,
  calls: Calls,
): FaceCallResults<Calls> {
  if (engine.runAll) return engine.runAll(calls);
  return calls.map((call) => runOne(engine, call)) as FaceCallResults<Calls>;
}

/** One call on the engine's method of that operation. */
export function runOne(engine: FaceEngine, call: FaceCall): Promise<FaceResults[FaceOp]> {
  switch (call.op) {
    case 'detect':
      return engine.detect(call.image);
    case 'describe':
      return engine.describe(call.image);
    case 'embed':
      return engine.embed(call.image);
    case 'liveness':
      return engine.liveness(call.image);
  }
}

/**
 * The single-call operations of an engine that queues requests ({@link FaceEngine.runAll}):
 * each is a request of one call.
 */
export abstract class RequestQueueEngine {
  abstract runAll<const Calls extends readonly FaceCall[]>(calls: Calls): FaceCallResults<Calls>;

  detect(image: Buffer): Promise<DetectedFace[]> {
    return this.runAll([{ op: 'detect', image }])[0];
  }

  describe(image: Buffer): Promise<FaceDescription> {
    return this.runAll([{ op: 'describe', image }])[0];
  }

  embed(image: Buffer): Promise<DescribedFace> {
    return this.runAll([{ op: 'embed', image }])[0];
  }

  liveness(image: Buffer): Promise<LivenessResult> {
    return this.runAll([{ op: 'liveness', image }])[0];
  }
}

/** Detect, describe and compare faces. Implementations must be safe to call concurrently. */
export interface FaceEngine {
  /** Recognition model name, e.g. `faceapi-128`. */
  readonly model: string;
  /** Finds faces, main face first. Throws `INVALID_IMAGE` / `IMAGE_TOO_LARGE`; no face is `[]`. */
  detect(image: Buffer): Promise<DetectedFace[]>;
  /** Detects, aligns and embeds every face of an image. */
  describe(image: Buffer): Promise<FaceDescription>;
  /**
   * The descriptor of the one main face of an image, checked for use in verification.
   * Throws `NO_FACE`, `MULTIPLE_FACES`, `FACE_TOO_SMALL` or `LOW_QUALITY`.
   */
  embed(image: Buffer): Promise<DescribedFace>;
  /** Antispoof and liveness scores of the main face; throws `NO_FACE` when there is none. */
  liveness(image: Buffer): Promise<LivenessResult>;
  /**
   * The calls of one request (e.g. embed and liveness of a photo), admitted or refused as one:
   * an engine with a bounded queue counts them as one waiting request, and when it is full
   * refuses them all (`ENGINE_BUSY`), never some. Optional: without it, {@link runCalls}
   * makes the calls one by one.
   */
  runAll?<const Calls extends readonly FaceCall[]>(calls: Calls): FaceCallResults<Calls>;
  /** Calibrated similarity of two descriptors, 0..100; 80 is the default match threshold. */
  similarity(a: Float32Array, b: Float32Array): number;
  /** Frees models and workers. Further calls throw `ENGINE_CLOSED`. */
  close(): Promise<void>;
}
