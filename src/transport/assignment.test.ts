import { describe, expect, it } from 'vitest';
import { planAssignment, quotaOf } from './assignment.js';

/** Lets every member apply its plan in turn until nothing changes; returns the owners. */
function converge(partitions: number, members: readonly string[], start = new Map<number, string>()) {
  const owners = new Map(start);
  for (let round = 0; round < 10; round++) {
    let changed = false;
    for (const me of members) {
      const { release, acquire } = planAssignment({ partitions, members, me, owners });
      release.forEach((p) => owners.delete(p));
      acquire.forEach((p) => owners.set(p, me));
      changed ||= release.length + acquire.length > 0;
    }
    if (!changed) return owners;
  }
  throw new Error('no convergence');
}

const countOf = (owners: Map<number, string>, me: string) =>
  [...owners.values()].filter((o) => o === me).length;

describe('partition assignment', () => {
  it('gives quotas that sum to the partition count, at most one apart', () => {
    for (const n of [1, 2, 3, 5, 16, 20]) {
      const members = Array.from({ length: n }, (_, i) => `m${i}`);
      const quotas = members.map((m) => quotaOf(16, members, m));
      expect(quotas.reduce((a, b) => a + b, 0)).toBe(16);
      expect(Math.max(...quotas) - Math.min(...quotas)).toBeLessThanOrEqual(1);
    }
  });

  it('spreads evenly, and moves only what it must when members come and go', () => {
    const two = converge(16, ['a', 'b']);
    expect([countOf(two, 'a'), countOf(two, 'b')]).toEqual([8, 8]);
    const three = converge(16, ['a', 'b', 'c'], two);
    expect(['a', 'b', 'c'].map((m) => countOf(three, m)).sort()).toEqual([5, 5, 6]);
    const moved = [...three].filter(([p, owner]) => two.get(p) !== owner && owner !== 'c');
    expect(moved).toEqual([]);
    const afterLoss = converge(16, ['a', 'c'], new Map([...three].filter(([, owner]) => owner !== 'b')));
    expect(countOf(afterLoss, 'a') + countOf(afterLoss, 'c')).toBe(16);
  });

  it('never plans to take a partition someone owns', () => {
    const owners = new Map([[0, 'x']]);
    const { acquire } = planAssignment({ partitions: 4, members: ['me'], me: 'me', owners });
    expect(acquire).not.toContain(0);
    expect(acquire).toHaveLength(3);
  });
});
