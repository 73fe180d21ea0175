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
