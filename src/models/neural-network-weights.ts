/** The trained network's numbers, read from tfjs weights for a pure-TS forward pass. */
export interface NetworkWeights {
  /** Dense layers in order; kernel is row-major [inputs × units]. */
  readonly layers: readonly DenseWeights[];
  /** Batch normalisation after the first layer, folded: y = x · scale + shift. */
  readonly normScale: Float64Array;
  readonly normShift: Float64Array;
}

/** One dense layer. */
export interface DenseWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly inputs: number;
  readonly units: number;
}

/** A weight tensor as tfjs saves it. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype?: string;
}

/** Epsilon of the batch-normalisation layer (tfjs's default, set explicitly when building). */
export const BATCH_NORM_EPSILON = 1e-3;
/** Layer names, fixed so that weight names do not depend on how many models a process built. */
export const LAYER_NAMES = { hidden: ['hidden1', 'hidden2'], norm: 'norm1', output: 'output' } as const;

/** Splits tfjs weight data (float32, in `specs` order) into named arrays. */
export function decodeWeights(specs: readonly WeightSpec[], data: ArrayBuffer): Map<string, Float32Array> {
  const all = new Float32Array(data);
  const named = new Map<string, Float32Array>();
  let at = 0;
  for (const spec of specs) {
    if (spec.dtype !== undefined && spec.dtype !== 'float32')
      throw new Error(`weight ${spec.name}: dtype ${spec.dtype}`);
    const size = spec.shape.reduce((product, n) => product * n, 1);
    named.set(spec.name, all.slice(at, at + size));
    at += size;
  }
  return named;
}

function weight(named: ReadonlyMap<string, Float32Array>, name: string): Float32Array {
  const found = named.get(name);
  if (!found) throw new Error(`model artefact has no weight ${name}`);
  return found;
}

function dense(named: ReadonlyMap<string, Float32Array>, layer: string): DenseWeights {
  const bias = weight(named, `${layer}/bias`);
  const kernel = weight(named, `${layer}/kernel`);
  return { kernel, bias, inputs: kernel.length / bias.length, units: bias.length };
}

/** Assembles {@link NetworkWeights} from named weights. */
export function networkWeights(named: ReadonlyMap<string, Float32Array>): NetworkWeights {
  const norm = LAYER_NAMES.norm;
  const gamma = weight(named, `${norm}/gamma`);
  const beta = weight(named, `${norm}/beta`);
  const mean = weight(named, `${norm}/moving_mean`);
  const variance = weight(named, `${norm}/moving_variance`);
  const normScale = Float64Array.from(
    gamma,
    (g, i) => g / Math.sqrt((variance[i] as number) + BATCH_NORM_EPSILON),
  );
  const normShift = Float64Array.from(beta, (b, i) => b - (mean[i] as number) * (normScale[i] as number));
  const layers = [...LAYER_NAMES.hidden, LAYER_NAMES.output].map((name) => dense(named, name));
  return { layers, normScale, normShift };
}

function applyDense(
  layer: DenseWeights,
  input: ArrayLike<number>,
  offset: number,
  relu: boolean,
): Float64Array {
  const out = Float64Array.from(layer.bias);
  for (let i = 0; i < layer.inputs; i++) {
    const x = input[offset + i] as number;
    if (x === 0) continue;
    const row = i * layer.units;
    for (let j = 0; j < layer.units; j++) out[j] = (out[j] as number) + x * (layer.kernel[row + j] as number);
  }
  if (relu) for (let j = 0; j < out.length; j++) out[j] = Math.max(0, out[j] as number);
  return out;
}

/** Fraud probability of the row of `input` at `offset`: Dense ReLU → BatchNorm → Dense ReLU → Dense sigmoid. */
export function forward(weights: NetworkWeights, input: ArrayLike<number>, offset: number): number {
  const [first, second, output] = weights.layers as [DenseWeights, DenseWeights, DenseWeights];
  const h1 = applyDense(first, input, offset, true);
  for (let j = 0; j < h1.length; j++)
    h1[j] = (h1[j] as number) * (weights.normScale[j] as number) + (weights.normShift[j] as number);
  const h2 = applyDense(second, h1, 0, true);
  const z = applyDense(output, h2, 0, false)[0] as number;
  return 1 / (1 + Math.exp(-z));
}

/** The trained network as tfjs saves it, weights in base64 (loadable with `tf.io.fromMemory`). */
export interface NetworkArtefact {
  readonly modelTopology: object;
  readonly weightSpecs: readonly WeightSpec[];
  /** float32 little-endian, base64. */
  readonly weightData: string;
}

/** The weights of an artefact as one buffer. Kept apart from tfjs so scoring never loads it. */
export function weightBuffer(network: NetworkArtefact): ArrayBuffer {
  const bytes = Buffer.from(network.weightData, 'base64');
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
