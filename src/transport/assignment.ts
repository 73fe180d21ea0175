/** What one member of a consumer group sees when it plans its share of the partitions. */
export interface AssignmentView {
  readonly partitions: number;
  /** Live members of the group (any order); `me` is counted even when missing. */
  readonly members: readonly string[];
  readonly me: string;
  /** Current owner of each owned partition; a partition missing here is free. */
  readonly owners: ReadonlyMap<number, string>;
}

/** Partitions to give up and free partitions to try to take, in that order of execution. */
export interface AssignmentPlan {
  readonly release: readonly number[];
  readonly acquire: readonly number[];
}

/**
 * The number of partitions `me` should own: members sorted by id share the partitions
 * evenly, the first `partitions % n` of them owning one more. The quotas sum to `partitions`.
 */
export function quotaOf(partitions: number, members: readonly string[], me: string): number {
  const sorted = [...new Set([...members, me])].sort();
  const index = sorted.indexOf(me);
  const base = Math.floor(partitions / sorted.length);
  return base + (index < partitions % sorted.length ? 1 : 0);
}

/**
 * Sticky, balanced assignment: a member keeps what it owns up to its quota, gives up the
 * highest partitions above it, and takes free partitions below it, starting from an offset
 * of its own so that members rarely race for the same partition. Every member applying its
 * plan (with leases deciding races) converges to an even spread.
 */
export function planAssignment(view: AssignmentView): AssignmentPlan {
  const { partitions, members, me, owners } = view;
  const quota = quotaOf(partitions, members, me);
  const mine = [...owners].filter(([, owner]) => owner === me).map(([p]) => p);
  mine.sort((a, b) => a - b);
  if (mine.length > quota) return { release: mine.slice(quota), acquire: [] };
  const sorted = [...new Set([...members, me])].sort();
  const offset = Math.floor((sorted.indexOf(me) * partitions) / sorted.length);
  const free: number[] = [];
  for (let i = 0; i < partitions; i++) {
    const p = (offset + i) % partitions;
    if (!owners.has(p)) free.push(p);
  }
  return { release: [], acquire: free.slice(0, quota - mine.length) };
}
