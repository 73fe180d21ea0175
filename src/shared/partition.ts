import { AppError } from '../errors.js';

/** Number of partitions accounts are spread over, unless configured otherwise. */
export const DEFAULT_PARTITIONS = 16;

/**
 * The partition of a key (an account id): FNV-1a 32-bit hash modulo `partitions`. Stable
 * across processes and versions, so stored rows and stream subjects agree.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/**
 * CONFIG_INVALID for a partition count other than the deployment's: `found` says where the
 * other count was found; `expected` is that count, when it can be told.
 */
export function partitionCountError(
  partitions: number,
  found: string,
  expected: number | undefined,
): AppError {
  const count = expected === undefined ? 'another number of' : String(expected);
  const set = expected === undefined ? '' : `: set ${expected}`;
  return new AppError(
    'CONFIG_INVALID',
    `CENTINELA_PARTITIONS is ${partitions}, but ${found} ${count} partitions. Every process of a deployment needs the same count, kept for good${set}.`,
    { details: { field: 'CENTINELA_PARTITIONS', partitions, expected: expected ?? null } },
  );
}
