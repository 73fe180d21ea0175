import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { ModelRegistry, ModelVersionInfo } from './model-registry.service.js';

/** Which shadow scores to compare: a version (default: the one in shadow now) and an event-time range. */
export interface ShadowReportQuery {
  readonly version?: string;
  /** ms since the epoch, inclusive. */
  readonly from?: number;
  readonly to?: number;
}

/** One side of the comparison: the live model(s) or the challenger, each at its own operating threshold. */
export interface ShadowSide {
  readonly versions: readonly string[];
  /** Transactions at or above the model's threshold. */
  readonly flagged: number;
  readonly mean_probability: number | null;
  /** Against analysts' labels, where there are any (null without labels). */
  readonly precision: number | null;
  readonly recall: number | null;
}

/** How a challenger would have decided, next to the live model, over the same transactions. */
export interface ShadowReport {
  readonly shadow_version: string;
  readonly from: string | null;
  readonly to: string | null;
  /** Transactions that have both a live and a shadow score. */
  readonly transactions: number;
  readonly live: ShadowSide;
  readonly shadow: ShadowSide;
  readonly flagged_by_both: number;
  /** Share of transactions both models flag or both pass. */
  readonly agreement: number | null;
  readonly labelled: number;
  readonly labelled_fraud: number;
}

const PAGE = 10_000;

interface ScoredRow {
  readonly seq: number;
  readonly model_version: string | null;
  readonly fraud_probability: number | null;
  readonly shadow_probability: number | null;
  readonly label: 'fraud' | 'legit' | null;
}

/** Running counts of one side. */
class SideCounter {
  readonly versions = new Set<string>();
  flagged = 0;
  probabilitySum = 0;
  flaggedLabelled = 0;
  truePositives = 0;

  add(version: string, flagged: boolean, probability: number, label: ScoredRow['label']): void {
    this.versions.add(version);
    this.probabilitySum += probability;
    if (!flagged) return;
    this.flagged++;
    if (label !== null) this.flaggedLabelled++;
    if (label === 'fraud') this.truePositives++;
  }

  report(transactions: number, labelledFraud: number): ShadowSide {
    return {
      versions: [...this.versions].sort(),
      flagged: this.flagged,
      mean_probability: transactions ? this.probabilitySum / transactions : null,
      precision: this.flaggedLabelled ? this.truePositives / this.flaggedLabelled : null,
      recall: labelledFraud ? this.truePositives / labelledFraud : null,
    };
  }
}

/** Running counts over the transactions the challenger scored. */
class ShadowComparison {
  private readonly live = new SideCounter();
  private readonly shadow = new SideCounter();
  private transactions = 0;
  private both = 0;
  private agreed = 0;
  private labelled = 0;
  private labelledFraud = 0;

  constructor(
    private readonly version: string,
    private readonly shadowThreshold: number,
    /** Operating threshold of every version, for the live one of each row. */
    private readonly thresholds: ReadonlyMap<string, number>,
  ) {}

  /** Counts a row that has both scores and a known live version; skips any other. */
  add(row: ScoredRow): void {
    const liveVersion = row.model_version;
    const liveThreshold = liveVersion === null ? undefined : this.thresholds.get(liveVersion);
    if (liveThreshold === undefined || row.fraud_probability === null || row.shadow_probability === null)
      return;
    const liveFlag = row.fraud_probability >= liveThreshold;
    const shadowFlag = row.shadow_probability >= this.shadowThreshold;
    this.transactions++;
    if (liveFlag && shadowFlag) this.both++;
    if (liveFlag === shadowFlag) this.agreed++;
    if (row.label !== null) this.labelled++;
    if (row.label === 'fraud') this.labelledFraud++;
    this.live.add(liveVersion as string, liveFlag, row.fraud_probability, row.label);
    this.shadow.add(this.version, shadowFlag, row.shadow_probability, row.label);
  }

  report({ from, to }: ShadowReportQuery): ShadowReport {
    const { transactions, labelledFraud } = this;
    return {
      shadow_version: this.version,
      from: from === undefined ? null : new Date(from).toISOString(),
      to: to === undefined ? null : new Date(to).toISOString(),
      transactions,
      live: this.live.report(transactions, labelledFraud),
      shadow: this.shadow.report(transactions, labelledFraud),
      flagged_by_both: this.both,
      agreement: transactions ? this.agreed / transactions : null,
      labelled: this.labelled,
      labelled_fraud: labelledFraud,
    };
  }
}

/**
 * Compares the stored shadow scores of a challenger with the live scores of the same
 * transactions: how many each flags at its operating threshold, how often they agree, and
 * precision and recall against analysts' labels. Reads the store a page at a time.
 */
export async function shadowReport(
  db: Kysely<Database>,
  registry: ModelRegistry,
  query: ShadowReportQuery,
): Promise<ShadowReport> {
  const versions = await registry.list();
  const version = query.version ?? currentShadow(versions);
  const thresholds = new Map(versions.map((m) => [m.version, m.metrics.threshold]));
  const shadowThreshold = thresholds.get(version);
  if (shadowThreshold === undefined)
    throw new AppError('NOT_FOUND', `Model version '${version}' is unknown.`, { details: { version } });
  const comparison = new ShadowComparison(version, shadowThreshold, thresholds);
  for await (const row of scoredRows(db, version, query)) comparison.add(row);
  return comparison.report(query);
}

function currentShadow(versions: readonly ModelVersionInfo[]): string {
  const shadow = versions.find((m) => m.role === 'shadow');
  if (!shadow)
    throw new AppError('NOT_FOUND', 'No model runs in shadow now; name the version to report on.', {
      details: { version: null },
    });
  return shadow.version;
}

/** The transactions the challenger scored, in arrival order, a page at a time. */
async function* scoredRows(
  db: Kysely<Database>,
  version: string,
  { from, to }: ShadowReportQuery,
): AsyncGenerator<ScoredRow> {
  for (let after = -1; ;) {
    let page = db
      .selectFrom('transactions as t')
      .leftJoin('transaction_labels as l', 'l.transaction_id', 't.transaction_id')
      .select(['t.seq', 't.model_version', 't.fraud_probability', 't.shadow_probability', 'l.label'])
      .where('t.shadow_model_version', '=', version)
      .where('t.seq', '>', after);
    if (from !== undefined) page = page.where('t.event_time', '>=', from);
    if (to !== undefined) page = page.where('t.event_time', '<=', to);
    const rows = await page.orderBy('t.seq').limit(PAGE).execute();
    for (const row of rows)
      yield {
        ...row,
        seq: Number(row.seq),
        fraud_probability: row.fraud_probability === null ? null : Number(row.fraud_probability),
        shadow_probability: row.shadow_probability === null ? null : Number(row.shadow_probability),
      };
    const last = rows[rows.length - 1];
    if (rows.length < PAGE || !last) return;
    after = Number(last.seq);
  }
}
