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

/**
 * CPU seconds spent by groups of processes between `start()` and `stop()`, from `/proc` (Linux
 * only: `available` is false elsewhere). A process counts if it runs at both readings, so one
 * that starts or exits in between is left out.
 */
export class CpuMeter<Name extends string> {
  static readonly available = existsSync('/proc/self/stat');
  private started = new Map<Name, Map<number, number>>();

  constructor(private readonly groups: Readonly<Record<Name, ProcessGroup>>) {}

  start(): void {
    this.started = this.read();
  }

  /** Seconds of CPU per group since `start()`. */
  stop(): Record<Name, number> {
    const now = this.read();
    const spent = {} as Record<Name, number>;
    for (const [name, before] of this.started) {
      let seconds = 0;
      for (const [pid, at] of now.get(name) ?? []) seconds += at - (before.get(pid) ?? at);
      spent[name] = seconds;
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
