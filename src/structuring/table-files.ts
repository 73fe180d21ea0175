// What a table file's name says it holds; no DuckDB here, so the CLI checks names without loading it.

/** True for a file name the tools write: CSV (`.csv`) or Parquet ({@link isParquet}). */
export function isCsvOrParquet(path: string): boolean {
  return isParquet(path) || /\.csv$/i.test(path);
}

/** True for inputs whose name says Parquet (`.parquet`, `.pq`, also as a glob). */
export function isParquet(path: string): boolean {
  return /\.(parquet|pq)$/i.test(path);
}
