import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { readPage } from '../shared/keyset-cursor.js';
import type { Database } from '../store/database.js';
import { DEFAULT_RULE_SET } from './default-rules.js';
import {
  activateRuleSet,
  findActiveRuleSet,
  findActiveVersion,
  findRuleSet,
  installFirstRuleSet,
  listRuleSetSummaries,
  writeRuleSet,
  type Activation,
  type NewRuleSet,
  type RuleSetRow,
  type RuleSetSummaryRow,
} from './rule-set.repository.js';
import {
  compileRuleSet,
  notJson,
  readStoredDocument,
  validateRuleSet,
  type CompiledRuleSet,
  type RuleSetDocument,
} from './rule-set.js';

/** A stored rule set version as listed: no document, its number of rules. */
export interface RuleSetSummary {
  readonly version: number;
  readonly name: string;
  readonly active: boolean;
  readonly created_at: string;
  readonly created_by: string;
  readonly activated_at: string | null;
  /** How many rules the document holds (0 when it is not a rule set). */
  readonly rules: number;
}

/**
 * A stored rule set version as the API shows it, with its document. One that is not a rule
 * set (not JSON, written to the store by hand) has `document: null` and says why in `problem`.
 */
export interface RuleSetVersion extends Omit<RuleSetSummary, 'rules'> {
  readonly document: RuleSetDocument | null;
  readonly problem?: string;
}

/** A page of versions, newest first, and the version the next page continues below (null: last page). */
export interface RuleSetPage {
  readonly items: RuleSetSummary[];
  readonly nextCursor: number | null;
}

/** A save or an activation: the version as shown, and what it replaced when it made one active. */
export interface RuleSetChange {
  readonly shown: RuleSetVersion;
  readonly activation?: Activation;
}

/**
 * The largest rule set stored, as JSON (what the API's body limit lets through): its rules'
 * messages are copied into decisions, and the CLI's `rules apply` has no body limit of its own.
 */
const MAX_RULE_SET_BYTES = 1024 * 1024;

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
    const version = await findActiveVersion(this.db); // the document is read only when it changed
    if (version === null || version === this.refused?.version) return;
    if (version === this.active?.version) {
      this.refused = undefined; // made active again elsewhere (another process, the CLI)
      return;
    }
    const row = await findActiveRuleSet(this.db);
    if (!row) return;
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
    const version = await findActiveVersion(this.db);
    if (version === null) throw new AppError('NOT_FOUND', 'No rule set is active.');
    return version;
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
    return (await this.saveChange(document, actor, activate)).shown;
  }

  /** {@link save}, also saying which version its activation replaced (for the audit log). */
  async saveChange(document: unknown, actor: string, activate: boolean): Promise<RuleSetChange> {
    const text = storableText(document);
    const errors = validateRuleSet(document);
    if (errors.length > 0) {
      throw new AppError('RULESET_INVALID', 'The rule set is invalid.', { details: errors });
    }
    const ruleSet = newRuleSet(document as RuleSetDocument, actor, activate, text);
    const written = await writeRuleSet(this.db, ruleSet);
    if (activate) await this.refresh();
    return { shown: await this.get(written.version), activation: written.activation };
  }

  /** Activates a stored version; one that no longer compiles is refused (RULESET_INVALID) and the active one kept. */
  async activate(version: number): Promise<RuleSetVersion> {
    return (await this.activateChange(version)).shown;
  }

  /** {@link activate}, also saying which version it replaced (for the audit log). */
  async activateChange(version: number): Promise<RuleSetChange> {
    const stored = await findRuleSet(this.db, version);
    if (!stored) throw noSuchVersion(version);
    const compiled = compileStored(stored.document, version, 'chosen');
    const activation = await activateRuleSet(this.db, version, Date.now());
    if (!activation) throw noSuchVersion(version);
    this.use(compiled); // compiled once; another process's later activation is read by refresh()
    return { shown: await this.get(version), activation };
  }

  async get(version: number): Promise<RuleSetVersion> {
    const row = await findRuleSet(this.db, version);
    if (!row) throw noSuchVersion(version);
    return toVersion(row);
  }

  /** Up to `limit` versions below `before` (from the newest when undefined), newest first, without documents. */
  async list({ limit, before }: { readonly limit: number; readonly before?: number }): Promise<RuleSetPage> {
    const page = await readPage(limit, (n) => listRuleSetSummaries(this.db, { before, limit: n }));
    const last = page.continueAfter;
    return { items: page.rows.map(toSummary), nextCursor: last === undefined ? null : Number(last.version) };
  }
}

/**
 * The JSON `document` is stored as; RULESET_INVALID when it is over {@link MAX_RULE_SET_BYTES}
 * (the API's body limit refuses such a body before; a file given to `rules apply` is not).
 */
function storableText(document: unknown): string {
  const text = JSON.stringify(document) ?? '';
  const bytes = Buffer.byteLength(text);
  if (bytes <= MAX_RULE_SET_BYTES) return text;
  const message = `The rule set is ${bytes} bytes as JSON; at most ${MAX_RULE_SET_BYTES} (1 MiB) are stored.`;
  throw new AppError('RULESET_INVALID', message, {
    details: [{ field: '', code: 'too_large', message }],
  });
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
    const message = notJson(error);
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

const noSuchVersion = (version: number) =>
  new AppError('NOT_FOUND', `Rule set version ${version} does not exist.`);

function newRuleSet(
  document: RuleSetDocument,
  actor: string,
  activate: boolean,
  text = JSON.stringify(document),
): NewRuleSet {
  return {
    name: document.name ?? 'unnamed',
    document: text,
    ruleCount: document.rules.length,
    createdBy: actor,
    activate,
    now: Date.now(),
  };
}

function toSummary(row: RuleSetSummaryRow): RuleSetSummary {
  return {
    version: Number(row.version),
    name: row.name,
    active: row.active === 1,
    created_at: new Date(Number(row.created_at)).toISOString(),
    created_by: row.created_by,
    activated_at: row.activated_at === null ? null : new Date(Number(row.activated_at)).toISOString(),
    rules: Number(row.rule_count),
  };
}

function toVersion(row: RuleSetRow): RuleSetVersion {
  const { rules: _count, ...shown } = toSummary(row);
  return { ...shown, ...readStoredDocument(row.document) };
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
