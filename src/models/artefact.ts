import type { Algorithm, ModelArtefact } from './model.types.js';
import type { PreprocessingSpec } from './preprocessing.js';

/** Wraps a model's body with what every artefact carries. */
export function makeArtefact<Body>(
  algorithm: Algorithm,
  threshold: number,
  preprocessing: PreprocessingSpec,
  body: Body,
): ModelArtefact<Body> {
  return { format: 'centinela-model', formatVersion: 1, algorithm, threshold, preprocessing, body };
}
