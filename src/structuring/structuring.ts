/**
 * Parameters of a structuring run: where the transactions come from, which rolling
 * windows and detectors, and how many methods must agree for a consensus alert.
 */
import { AppError, fieldPath } from '../errors.js';
import { columnPairs, QUOTING_HINT } from '../shared/column-pairs.js';
import { isMethodName, METHOD_NAMES, type MethodName } from './detectors/index.js';

/** The window features, in the order of every feature matrix. */
export const FEATURES = [
  'count_amt',
  'sum_amt',
  'mean_amt',
  'std_amt',
  'delta',
  'mean_delta',
  'std_delta',
] as const;
export type FeatureName = (typeof FEATURES)[number];

/** Keys a window is computed over: the user alone, or the user with one merchant. */
export const SCOPES = ['user', 'user_merchant'] as const;
export type WindowScope = (typeof SCOPES)[number];

/** Fields a transaction needs; `label` (1 = structuring) is optional. */
export const FIELDS = ['id', 'user_id', 'merchant_id', 'timestamp', 'amount', 'label'] as const;
export type Field = (typeof FIELDS)[number];

/** Column of the payments team's logs for each field (`--map column=field` changes them). */
export const DEFAULT_COLUMNS: Readonly<Record<Field, string>> = {
  id: '_id',
  user_id: 'user_id',
  merchant_id: 'merchant_id',
  timestamp: 'transaction_date',
  amount: 'transaction_amount',
  label: 'is_structuring',
};

/** A rolling window length: its label (`24h`, the number written canonically) and its length in hours. */
export interface WindowLength {
  readonly label: string;
  readonly hours: number;
}

/** Where the transactions of a run come from. */
export type RunSource =
  | { readonly kind: 'files'; readonly input: string }
  | {
      readonly kind: 'store';
      readonly from?: number;
      readonly to?: number;
      /**
       * Micro-batches: the highest arrival sequence (`transactions.seq`) loaded, taken when the
       * batch started; what arrives later is left to the next batch, which continues after it.
       */
      readonly toSeq?: number;
      /** Micro-batches: arrivals after this `seq` were new to the batch (null: every one). */
      readonly fromSeq?: number | null;
    };

/** Everything a run needs besides its source. Defaults in {@link RUN_DEFAULTS}. */
export interface RunParams {
  readonly methods: readonly MethodName[];
  readonly windows: readonly WindowLength[];
  /** Column name of each field in the input files. */
  readonly columns: Readonly<Record<Field, string>>;
  /** A consensus alert needs at least this many methods flagging the window. */
  readonly minMethods: number;
  readonly seed: number;
  /** Only windows ending after this time (ms) are scored and stored (micro-batches). */
  readonly scoreAfter?: number;
}

/** The method of the alert a run adds for a window flagged by at least `minMethods` methods. */
export const CONSENSUS_METHOD = 'consensus';

/** What an alert's `method` can be: a detector, or the consensus. */
export const ALERT_METHODS: readonly string[] = [...METHOD_NAMES, CONSENSUS_METHOD];

/** Defaults: every method, 24 h windows, the team's column names, consensus of 3, seed 0. */
export const RUN_DEFAULTS = {
  methods: METHOD_NAMES,
  windows: [{ label: '24h', hours: 24 }],
  columns: DEFAULT_COLUMNS,
  minMethods: 3,
  seed: 0,
} as const satisfies RunParams;

const UNIT_HOURS: Readonly<Record<string, number>> = { m: 1 / 60, h: 1, d: 24, w: 168 };

/**
 * Window lengths from one minute to ten years: DuckDB's intervals and timestamps cannot hold
 * much longer ones (a run with 200000000000d failed in the middle with DuckDB's own error).
 */
const MIN_WINDOW_HOURS = 1 / 60;
const MAX_WINDOW_HOURS = 3660 * 24;

/**
 * Parses `24h,72h,7d` (units m, h, d, w) into window lengths, longest last.
 *
 * @example parseWindows('24h,7d') // [{label:'24h',hours:24},{label:'7d',hours:168}]
 */
export function parseWindows(spec: string | readonly string[]): WindowLength[] {
  const windows = specItems(spec, 'windows').map(({ value, field }) => {
    const match = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(value);
    const hours = match ? Number(match[1]) * (UNIT_HOURS[match[2] ?? 'h'] ?? 1) : NaN;
    if (!(hours >= MIN_WINDOW_HOURS && hours <= MAX_WINDOW_HOURS))
      invalid(field, `'${value}' is not a window length from 1m to 3660d, such as 24h, 90m or 7d.`);
    // The number as JavaScript writes it: alerts store the label, and `0024h` was another `24h`.
    return { label: `${Number(match?.[1])}${match?.[2]}`, hours };
  });
  if (windows.length === 0) invalid('windows', 'At least one window length is needed.');
  // One window per length: 24h and 1d are the same window, counted once (the first label names it).
  return [...new Map(windows.reverse().map((w) => [w.hours, w])).values()].sort((a, b) => a.hours - b.hours);
}

/** Parses methods (`rules,lof`) and checks each name. */
export function parseMethods(spec: string | readonly string[]): MethodName[] {
  const names = specItems(spec, 'methods').map(({ value: name, field }) => {
    if (!isMethodName(name)) invalid(field, `Unknown method '${name}'; known: ${METHOD_NAMES.join(', ')}.`);
    return name;
  });
  if (names.length === 0) invalid('methods', 'At least one method is needed.');
  return [...new Set(names)];
}

/**
 * The trimmed items of a list parameter and the field each is named by in an error: an API
 * body's list names its item (`windows[1]`, an empty one included); the CLI's comma-separated
 * text is one field, and its empty items are skipped.
 */
function specItems(spec: string | readonly string[], field: string): { value: string; field: string }[] {
  if (typeof spec !== 'string')
    return spec.map((value, index) => ({ value: value.trim(), field: fieldPath(field, index) }));
  return spec
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '')
    .map((value) => ({ value, field }));
}

/**
 * Column names from `column=field` pairs over the defaults.
 *
 * @example parseColumnMap(['uid=user_id', 'ts=timestamp']).user_id // 'uid'
 */
export function parseColumnMap(
  pairs: readonly string[] | Readonly<Record<string, string>>,
): Record<Field, string> {
  // An API body's map is already split: its column names may hold commas or '='.
  const { pairs: parsed, malformed } = Array.isArray(pairs)
    ? columnPairs(pairs as readonly string[])
    : {
        pairs: Object.entries(pairs).map(([column, field]) => ({
          column: column.trim(),
          field: field.trim(),
          written: `${column}=${field}`,
        })),
        malformed: [],
      };
  const columns: Record<Field, string> = { ...DEFAULT_COLUMNS };
  const mustBe = (written: string) =>
    invalid('map', `'${written}' must be column=field, field one of ${FIELDS.join(', ')} (${QUOTING_HINT}).`);
  malformed.forEach(mustBe);
  const mapped = new Map<Field, string>();
  for (const { column, field, written } of parsed) {
    const name = fieldOf(field);
    if (!name || !column) return mustBe(written);
    const earlier = mapped.get(name);
    // The last would win silently: a second column mapped to amount replaced the first.
    if (earlier !== undefined && earlier !== column)
      invalid('map', `Two columns are mapped to ${name}: '${earlier}' and '${column}'; map one.`);
    mapped.set(name, column);
    columns[name] = column;
  }
  return columns;
}

/** Field names, with the team's column names accepted as aliases (`transaction_amount`). */
function fieldOf(name: string): Field | undefined {
  if ((FIELDS as readonly string[]).includes(name)) return name as Field;
  return FIELDS.find((f) => DEFAULT_COLUMNS[f] === name);
}

/** Builds run parameters from loose options (CLI flags or an API body). */
export function runParamsOf(options: {
  methods?: string | readonly string[];
  windows?: string | readonly string[];
  map?: readonly string[] | Readonly<Record<string, string>>;
  minMethods?: number;
  seed?: number;
}): RunParams {
  const methods = options.methods === undefined ? RUN_DEFAULTS.methods : parseMethods(options.methods);
  const minMethods = options.minMethods ?? Math.min(RUN_DEFAULTS.minMethods, methods.length);
  if (!Number.isInteger(minMethods) || minMethods < 1)
    invalid('min_methods', 'min_methods must be an integer ≥ 1.');
  if (minMethods > methods.length)
    invalid(
      'min_methods',
      `min_methods is ${minMethods} but only ${methods.length} method(s) run: the consensus could never flag a window.`,
    );
  return {
    methods,
    windows: options.windows === undefined ? RUN_DEFAULTS.windows : parseWindows(options.windows),
    columns: options.map === undefined ? DEFAULT_COLUMNS : parseColumnMap(options.map),
    minMethods,
    seed: options.seed ?? RUN_DEFAULTS.seed,
  };
}

function invalid(field: string, message: string): never {
  throw new AppError('VALIDATION_FAILED', message, { details: [{ field, code: 'invalid', message }] });
}
