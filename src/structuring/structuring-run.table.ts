/** One structuring run: its source, parameters, progress and outcome. */
export interface StructuringRunTable {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  /** JSON: `{kind:'files', input}` or `{kind:'store', from, to}` (micro-batches: `{kind:'store', from, toSeq}`). */
  source: string;
  /** JSON of the run parameters (methods, windows, columns, min_methods, seed). */
  params: string;
  started_at: number;
  finished_at: number | null;
  /** Transactions read and windows scored. */
  row_count: number | null;
  window_count: number | null;
  /** JSON: flagged windows per method, `consensus` included. */
  method_counts: string | null;
  /** JSON: milliseconds per stage and per method. */
  durations: string | null;
  error: string | null;
  /** The self-contained HTML report. */
  report: string | null;
  /**
   * Micro-batches only: newest transaction time covered (ms), shown to people. The next batch
   * continues after the batch's last arrival (`source.toSeq`), not after this time.
   */
  covered_to: number | null;
}
