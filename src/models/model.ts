import { GbdtModel, type GbdtBody } from './gbdt-model.js';
import type { ModelArtefact, TrainedModel } from './model.types.js';
import { NeuralNetworkModel, type NeuralNetworkBody } from './neural-network-model.js';

export type {
  Algorithm,
  FeatureContribution,
  ModelArtefact,
  ProgressCallback,
  TrainedModel,
  TrainingProgress,
} from './model.types.js';

/** Thrown when an artefact is not a model this version can read. */
export class ModelArtefactError extends Error {
  override readonly name = 'ModelArtefactError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Reads a model back from {@link TrainedModel.toArtefact} output (for example after
 * `JSON.parse`). Scores of the reloaded model equal the original's exactly.
 *
 * @example const model = modelFromArtefact(JSON.parse(readFileSync('model.json', 'utf8')));
 */
export function modelFromArtefact(artefact: unknown): TrainedModel {
  if (!isObject(artefact) || artefact.format !== 'centinela-model' || artefact.formatVersion !== 1) {
    throw new ModelArtefactError('not a centinela model artefact (format version 1)');
  }
  if (
    !isObject(artefact.body) ||
    !isObject(artefact.preprocessing) ||
    typeof artefact.threshold !== 'number'
  ) {
    throw new ModelArtefactError('model artefact lacks body, preprocessing or threshold');
  }
  switch (artefact.algorithm) {
    case 'gbdt':
      return GbdtModel.fromArtefact(artefact as unknown as ModelArtefact<GbdtBody>);
    case 'nn':
      return NeuralNetworkModel.fromArtefact(artefact as unknown as ModelArtefact<NeuralNetworkBody>);
    default:
      throw new ModelArtefactError(`unknown model algorithm ${String(artefact.algorithm)}`);
  }
}
