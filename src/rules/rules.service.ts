import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { DEFAULT_RULE_SET } from './default-rules.js';
import {
  activateRuleSet,
  findActiveRuleSet,
  findRuleSet,
  insertRuleSet,
  installFirstRuleSet,
  listRuleSets,
  type NewRuleSet,
  type RuleSetRow,
} from './rule-set.repository.js';
import { compileRuleSet, validateRuleSet, type CompiledRuleSet, type RuleSetDocument } from './rule-set.js';

/** A stored rule set version as the API shows it. */
export interface RuleSetVersion {
  readonly version: number;
  readonly name: string;
  readonly active: boolean;
  readonly created_at: string;
  readonly created_by: string;
  readonly activated_at: string | null;
  readonly document: RuleSetDocument;
}

/**
 * Owns the active rule set: loads it, keeps a compiled copy for the scoring path and
 * picks up versions activated by other processes (CLI, other API nodes) by polling.
 */
export class RulesService {
  private active: CompiledRuleSet | undefined;
  /**
   * The active version {@link refresh} last refused, and why: not compiled again until another
   * is made active. With nothing compiled yet (refused at {@link init}) there is no set to use.
   */
  private refused: { readonly version: number; readonly error: AppError } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Loads the active rule set, installing the default one on first start (once, however many
   * processes start together; the check before it spares later starts the write lock).
   * An active version that no longer compiles does not fail this: the commands that repair
   * it (`rules list`, `show`, `activate`, `apply`) need the service; {@link assertUsable}
   * and {@link current} refuse it.
   */
  async init(): Promise<void> {
    if (!(await findActiveRuleSet(this.db)))
      await installFirstRuleSet(this.db, newRuleSet(DEFAULT_RULE_SET, 'system', true));
    await this.refresh().catch((error: unknown) => {
      if (!(error instanceof AppError) || error.code !== 'RULESET_INVALID') throw error;
    });
  }

  /** Throws why the active rule set cannot be used, if it cannot: call before deciding transactions. */
  assertUsable(): void {
    this.current();
  }

  /** The compiled active rule set (synchronous: used on every transaction). */
  current(): CompiledRuleSet {
    if (this.active) return this.active;
    throw this.refused?.error ?? new AppError('INTERNAL', 'RulesService.init() was not called');
  }

  /**
   * Re-reads the active version if another process changed it. One that cannot be evaluated
   * is refused once (the watcher logs it once, not at every poll) and the one in use kept.
   */
  async refresh(): Promise<void> {
    const row = await findActiveRuleSet(this.db);
    if (!row || row.version === this.refused?.version) return;
    if (row.version === this.active?.version) {
      this.refused = undefined; // made active again elsewhere (another process, the CLI)
      return;
    }
    let compiled: CompiledRuleSet;
    try {
      compiled = compileStored(row.document, row.version, 'active');
    } catch (error) {
      if (error instanceof AppError) this.refused = { version: row.version, error };
      throw error;
    }
    this.use(compiled);
  }

  /** Makes `compiled` the rule set in use. */
  private use(compiled: CompiledRuleSet): void {
    this.active = compiled;
    this.refused = undefined;
    warnOfProblems(compiled.document, compiled.version);
  }

  /**
   * The rule set in use, and the version marked active in the store when this process refused
   * it (it cannot be evaluated): the set in use is then an earlier one. `GET /v1/rules`.
   */
  async inUse(): Promise<RuleSetVersion & { refused?: { version: number; message: string } }> {
    const inUse = await this.get(this.current().version);
    const { refused } = this;
    return refused
      ? { ...inUse, refused: { version: refused.version, message: refused.error.message } }
      : inUse;
  }

  /** The active version's number, even when it cannot be used. */
  async activeVersion(): Promise<number> {
    const row = await findActiveRuleSet(this.db);
    if (!row) throw new AppError('NOT_FOUND', 'No rule set is active.');
    return row.version;
  }

  /** Polls for changes every `intervalMs` until {@link stop}. */
  watch(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer = setInterval(() => void this.refresh().catch(onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Validates and stores `document` as a new version; activates it unless told not to. */
  async save(document: unknown, actor: string, activate = true): Promise<RuleSetVersion> {
    const errors = validateRuleSet(document);
    if (errors.length > 0) {
      throw new AppError('RULESET_INVALID', 'The rule set is invalid.', { details: errors });
    }
    const version = await insertRuleSet(this.db, newRuleSet(document as RuleSetDocument, actor, activate));
    if (activate) await this.refresh();
    return this.get(version);
  }

  /** Activates a stored version; one that no longer compiles is refused (RULESET_INVALID) and the active one kept. */
  async activate(version: number): Promise<RuleSetVersion> {
    const stored = await findRuleSet(this.db, version);
    if (!stored) throw noSuchVersion(version);
    const compiled = compileStored(stored.document, version, 'chosen');
    if (!(await activateRuleSet(this.db, version, Date.now()))) {
      throw noSuchVersion(version);
    }
    this.use(compiled); // compiled once; another process's later activation is read by refresh()
    return this.get(version);
  }

  async get(version: number): Promise<RuleSetVersion> {
    const row = await findRuleSet(this.db, version);
    if (!row) throw noSuchVersion(version);
    return toVersion(row);
  }

  async list(): Promise<RuleSetVersion[]> {
    return (await listRuleSets(this.db)).map(toVersion);
  }
}

/**
 * Compiles a stored version. One that does not compile (stored before a check it fails, or
 * written to the store by hand) is RULESET_INVALID with its problems field by field and how
 * to go on.
 */
function compileStored(text: string, version: number, role: 'active' | 'chosen'): CompiledRuleSet {
  const refuse = (said: string, details: unknown, cause: unknown) =>
    new AppError(
      'RULESET_INVALID',
      `The ${role} rule set v${version} cannot be evaluated (${said}). Activate one that can (\`centinela rules list\`, \`centinela rules activate VERSION\`) or apply a corrected one.`,
      { details, cause },
    );
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const message = `the stored document is not JSON: ${(error as Error).message}`;
    throw refuse(message, [{ field: '', code: 'json', message }], error);
  }
  try {
    return compileRuleSet(document as RuleSetDocument, version);
  } catch (error) {
    const details = validateRuleSet(document);
    const said = details.map((p) => `${p.field}: ${p.message}`).join('; ') || (error as Error).message;
    throw refuse(said, details, error);
  }
}

/**
 * A stored document as shown (list, show, the API): one that is not a rule set (written to
 * the store by hand) is shown with no rules; activating it says why ({@link compileStored}).
 */
function shownDocument(text: string): RuleSetDocument {
  try {
    const document = JSON.parse(text) as unknown;
    if (
      typeof document === 'object' &&
      document !== null &&
      Array.isArray((document as RuleSetDocument).rules)
    )
      return document as RuleSetDocument;
  } catch {
    // shown with no rules
  }
  return { rules: [] };
}

const noSuchVersion = (version: number) =>
  new AppError('NOT_FOUND', `Rule set version ${version} does not exist.`);

function newRuleSet(document: RuleSetDocument, actor: string, activate: boolean): NewRuleSet {
  return {
    name: document.name ?? 'unnamed',
    document: JSON.stringify(document),
    createdBy: actor,
    activate,
    now: Date.now(),
  };
}

function toVersion(row: RuleSetRow): RuleSetVersion {
  return {
    version: row.version,
    name: row.name,
    active: row.active === 1,
    created_at: new Date(Number(row.created_at)).toISOString(),
    created_by: row.created_by,
    activated_at: row.activated_at === null ? null : new Date(Number(row.activated_at)).toISOString(),
    document: shownDocument(row.document),
  };
}

/**
 * Warns (once per activation in each process) when the active rule set would be refused if
 * saved today: it was saved before a check was added, e.g. a deny list of lower-case country
 * codes, which never matches. It is still used as it is.
 */
function warnOfProblems(document: RuleSetDocument, version: number): void {
  const problems = validateRuleSet(document);
  if (problems.length === 0) return;
  const said = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  process.emitWarning(
    `The active rule set v${version} would be refused if saved today (${said}); save a corrected version.`,
    {
      code: 'CENTINELA_RULESET_PROBLEMS',
    },
  );
}
