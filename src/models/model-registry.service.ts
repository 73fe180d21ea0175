import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { FEATURE_NAMES } from '../features/features.js';
import { TRANSACTION_FIELDS } from '../rules/rule-set.js';
import type { Database } from '../store/database.js';
import type { EvaluationReport } from './metrics.js';
import { modelFromArtefact, type TrainedModel } from './model.js';
import {
  assignModelRole,
  clearModelRole,
  findModelsWithRoles,
  findModelVersion,
  insertModelVersion,
  listModelVersions,
  rollBackModel,
  type ModelVersionSummaryRow,
} from './model-version.repository.js';
import type { TrainResult } from './train.js';

/** A model loaded for scoring, with its version. */
export interface LoadedModel {
  readonly version: string;
  readonly model: TrainedModel;
}

/** The live model and the challenger scored beside it (never used for decisions). */
export interface ServingModels {
  readonly active: LoadedModel | null;
  readonly shadow: LoadedModel | null;
}

/** A registry entry as the API and CLI show it. */
export interface ModelVersionInfo {
  readonly version: string;
  readonly algorithm: string;
  readonly role: 'none' | 'active' | 'shadow';
  readonly source: string;
  readonly data_hash: string;
  readonly created_at: string;
  readonly activated_at: string | null;
  readonly metrics: EvaluationReport;
  readonly feature_schema: unknown;
  /**
   * Inputs of the model that the live scorer does not have (neither a transaction field nor
   * a feature): they are always missing when the model serves, e.g. `user_history` of a
   * model trained on the prototype generator.
   */
  readonly unserved_inputs: readonly string[];
  readonly params: unknown;
}

/** What the live scorer gives a model: the transaction fields and the per-account features. */
const SERVED_INPUTS = new Set<string>([...TRANSACTION_FIELDS, ...FEATURE_NAMES]);

function unservedInputs(schema: unknown): string[] {
  const { numeric = [], categorical = [] } = (schema ?? {}) as {
    numeric?: readonly string[];
    categorical?: readonly string[];
  };
  return [...numeric, ...categorical].filter((name) => !SERVED_INPUTS.has(name));
}

/**
 * The model registry: immutable versions (artefact, metrics, schema, data hash,
 * parameters), which one is active and which runs in shadow. The scorer reads
 * {@link serving} on every transaction; changes made by other processes are picked up by
 * polling, so activation never needs a restart.
 */
export class ModelRegistry {
  private models: ServingModels = { active: null, shadow: null };
  private loadedKey = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** The models to score with now (synchronous: used on every transaction). */
  serving(): ServingModels {
    return this.models;
  }

  /** Reloads the active and shadow models if their versions changed. */
  async refresh(): Promise<void> {
    const rows = await findModelsWithRoles(this.db);
    const key = rows
      .map((r) => `${r.role}:${r.version}`)
      .sort()
      .join(',');
    if (key === this.loadedKey) return;
    const load = (role: string): LoadedModel | null => {
      const row = rows.find((r) => r.role === role);
      return row ? { version: row.version, model: modelFromArtefact(JSON.parse(row.artefact)) } : null;
    };
    this.models = { active: load('active'), shadow: load('shadow') };
    this.loadedKey = key;
  }

  /** Polls for changes every `intervalMs` until {@link stop}. */
  watch(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => void this.refresh().catch(onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Stores a training run as a new immutable version. */
  async register(result: TrainResult, source: string): Promise<ModelVersionInfo> {
    const version = await insertModelVersion(this.db, {
      algorithm: result.params.algorithm,
      artefact: JSON.stringify(result.model.toArtefact()),
      metrics: JSON.stringify(result.metrics),
      feature_schema: JSON.stringify(result.params.schema),
      params: JSON.stringify({
        ...result.params,
        sizes: result.sizes,
        training_ms: Math.round(result.trainingMs),
      }),
      data_hash: result.dataHash,
      source,
      created_at: Date.now(),
      role: 'none',
      activated_at: null,
    });
    return this.info(version);
  }

  async list(): Promise<ModelVersionInfo[]> {
    return (await listModelVersions(this.db)).map(infoOf);
  }

  async info(version: string): Promise<ModelVersionInfo> {
    const row = await findModelVersion(this.db, version);
    if (!row) throw new AppError('NOT_FOUND', `Model version '${version}' does not exist.`);
    return infoOf(row);
  }

  /** The trained model of any version (e.g. to evaluate it on new data). */
  async load(version: string): Promise<LoadedModel> {
    const row = await findModelVersion(this.db, version);
    if (!row) throw new AppError('NOT_FOUND', `Model version '${version}' does not exist.`);
    return { version, model: modelFromArtefact(JSON.parse(row.artefact)) };
  }

  /** Makes `version` the live model (it stops being the shadow if it was: one role per version). */
  async activate(version: string): Promise<ModelVersionInfo> {
    await this.info(version);
    await assignModelRole(this.db, 'active', version, Date.now());
    await this.refresh();
    return this.info(version);
  }

  /** Re-activates the version that was active before the current one (see {@link rollBackModel}). */
  async rollback(): Promise<ModelVersionInfo> {
    const previous = await rollBackModel(this.db, Date.now());
    if (!previous) throw new AppError('CONFLICT', 'No earlier active model version to roll back to.');
    await this.refresh();
    return this.info(previous);
  }

  /** Runs `version` in shadow, in place of the shadow model there was. */
  async shadow(version: string): Promise<ModelVersionInfo> {
    await this.info(version); // NOT_FOUND
    if (!(await assignModelRole(this.db, 'shadow', version, Date.now())))
      throw new AppError('CONFLICT', `Version '${version}' is the active model.`);
    await this.refresh();
    return this.info(version);
  }

  /** Stops shadow scoring; answers the version that was in shadow (null: none was). */
  async stopShadow(): Promise<string | null> {
    const stopped = await clearModelRole(this.db, 'shadow');
    await this.refresh();
    return stopped;
  }
}

function infoOf(row: ModelVersionSummaryRow): ModelVersionInfo {
  const featureSchema: unknown = JSON.parse(row.feature_schema);
  return {
    version: row.version,
    algorithm: row.algorithm,
    role: row.role,
    source: row.source,
    data_hash: row.data_hash,
    created_at: new Date(Number(row.created_at)).toISOString(),
    activated_at: row.activated_at === null ? null : new Date(Number(row.activated_at)).toISOString(),
    metrics: JSON.parse(row.metrics) as EvaluationReport,
    feature_schema: featureSchema,
    unserved_inputs: unservedInputs(featureSchema),
    params: JSON.parse(row.params),
  };
}
