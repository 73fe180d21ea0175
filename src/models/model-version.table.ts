/** Immutable trained model versions; `role` says which one scores live and which runs in shadow. */
export interface ModelVersionTable {
  version: string;
  algorithm: string;
  /** The model artefact (JSON): weights or trees, preprocessing, threshold. */
  artefact: string;
  /** Held-out evaluation (JSON). */
  metrics: string;
  /** Input columns (JSON). */
  feature_schema: string;
  /** Training parameters (JSON). */
  params: string;
  /** sha256 of the canonical training data. */
  data_hash: string;
  /** Where the training data came from, e.g. `generator:prototype` or a file name. */
  source: string;
  created_at: number;
  role: 'none' | 'active' | 'shadow';
  /** Last time it became active (for rollback). */
  activated_at: number | null;
  /** When the live model was last rolled back from this version; cleared when it is activated. */
  rolled_back_at: number | null;
}
