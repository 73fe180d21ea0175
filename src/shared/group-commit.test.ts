import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A work function that records each run's items and waits for `release` before answering. */
function recordingWork() {
  const runs: number[][] = [];
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const work = async (items: number[]) => {
    runs.push(items);
    await gate;
    if (items.includes(-1)) throw new Error('bad item');
    return items.map((i) => i * 10);
  };
  const hold = () => {
    gate = new Promise<void>((resolve) => (release = resolve));
  };
  return { runs, work, hold, release: () => release() };
}

describe('GroupCommit', () => {
  it('runs the callers of one event-loop turn together and gives each its own outputs', async () => {
    const { runs, work } = recordingWork();
    const commits = new GroupCommit(work, 100);
    const answers = await Promise.all([commits.run([1, 2]), commits.run([3]), commits.run([4, 5, 6])]);
    expect(runs).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(answers).toEqual([[10, 20], [30], [40, 50, 60]]);
  });

  it('runs one at a time: callers arriving during a run form the next run, in arrival order', async () => {
    const { runs, work, hold, release } = recordingWork();
    const commits = new GroupCommit(work, 100);
    hold();
    const first = commits.run([1]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [commits.run([2]), commits.run([3])];
    expect(commits.size).toBe(3);
    release();
    expect(await first).toEqual([10]);
    expect(await Promise.all(later)).toEqual([[20], [30]]);
    expect(runs).toEqual([[1], [2, 3]]);
    await commits.idle();
    expect(commits.size).toBe(0);
  });

  it('keeps runs within maxItems without splitting a caller (one larger caller runs alone)', async () => {
    const { runs, work } = recordingWork();
    const commits = new GroupCommit(work, 3);
    await Promise.all([
      commits.run([1, 2]),
      commits.run([3, 4]),
      commits.run([5, 6, 7, 8]),
      commits.run([9]),
    ]);
    expect(runs).toEqual([[1, 2], [3, 4], [5, 6, 7, 8], [9]]);
  });

  it('rejects the callers of a failed run only; the next run goes ahead', async () => {
    const { work, hold, release } = recordingWork();
    const commits = new GroupCommit(work, 100);
    hold();
    const failing = [commits.run([1]), commits.run([-1])];
    await new Promise((resolve) => setImmediate(resolve));
    const after = commits.run([2]);
    release();
    await expect(failing[0]).rejects.toThrow('bad item');
    await expect(failing[1]).rejects.toThrow('bad item');
    expect(await after).toEqual([20]);
  });
});
