import * as tf from '@tensorflow/tfjs';

/** Configuration of {@link SeededDropout}. */
export interface SeededDropoutConfig {
  readonly rate: number;
  readonly seed: number;
  readonly name?: string;
}

/**
 * Dropout whose masks come from `seed + call number`, so a training run repeats exactly
 * (tfjs's own Dropout draws from Math.random without a seed, or reuses one mask with one).
 * Identity at inference.
 */
export class SeededDropout extends tf.layers.Layer {
  static readonly className = 'SeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(config: SeededDropoutConfig) {
    super(config.name === undefined ? {} : { name: config.name });
    this.rate = config.rate;
    this.seed = config.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    if (kwargs.training !== true || this.rate <= 0) return input;
    this.calls += 1;
    return tf.dropout(input, this.rate, undefined, this.seed + this.calls);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);
