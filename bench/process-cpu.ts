import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** Processes whose CPU is counted together, found again at each reading. */
export type ProcessGroup = () => readonly number[];

/** The processes named `name` (as in `/proc/<pid>/comm`, e.g. `nats-server`, `postgres`). */
export function processesNamed(name: string): ProcessGroup {
  return () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((pid) => readOr(`/proc/${pid}/comm`, '').trim() === name);
}

/** CPU time (user + system) of one process in seconds, or undefined once it has exited. */
function cpuSecondsOf(pid: number): number | undefined {
  const stat = readOr(`/proc/${pid}/stat`, '');
  // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : undefined;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback; // the process exited between the listing and the read
  }
}

/** Microseconds of CPU per item (transaction, request), rounded. */
export function microsecondsPer(cpuSeconds: number, items: number): number {
  return Math.round((cpuSeconds * 1e6) / items);
}

/**
 * CPU seconds spent by groups of processes between `start()` and `stop()`, from `/proc` (Linux
 * only: `available` is false elsewhere, and every group reads NaN). A process counts if it runs
 * at both readings, so one that starts or exits in between is left out.
 */
export class CpuMeter<Name extends string> {
  static readonly available = existsSync('/proc/self/stat');
  private started = new Map<Name, Map<number, number>>();

  constructor(private readonly groups: Readonly<Record<Name, ProcessGroup>>) {}

  start(): void {
    if (CpuMeter.available) this.started = this.read();
  }

  /** Seconds of CPU per group since `start()`; NaN without `/proc` or without a start. */
  stop(): Record<Name, number> {
    const now = CpuMeter.available ? this.read() : new Map<Name, Map<number, number>>();
    const spent = {} as Record<Name, number>;
    for (const name of Object.keys(this.groups) as Name[]) {
      const before = this.started.get(name);
      const after = now.get(name);
      spent[name] = before && after ? secondsBetween(before, after) : NaN;
    }
    return spent;
  }

  private read(): Map<Name, Map<number, number>> {
    const readings = new Map<Name, Map<number, number>>();
    for (const name of Object.keys(this.groups) as Name[]) {
      const perProcess = new Map<number, number>();
      for (const pid of this.groups[name]()) {
        const seconds = cpuSecondsOf(pid);
        if (seconds !== undefined) perProcess.set(pid, seconds);
      }
      readings.set(name, perProcess);
    }
    return readings;
  }
}

/** CPU seconds between two readings of a group, of the processes present in both. */
function secondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, at] of after) seconds += at - (before.get(pid) ?? at);
  return seconds;
}
