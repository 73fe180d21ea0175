/** A one-line progress bar on stderr (redrawn on a TTY, one line per stage otherwise). */
import type { RunProgress, RunStage } from './run.js';

const WIDTH = 24;

/** A {@link RunProgress} printing `[#####-----] stage done/total detail` to `stream`. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): RunProgress & { end(): void } {
  const started = Date.now();
  let last: RunStage | undefined;
  const print = (stage: RunStage, done: number, total: number, detail = '') => {
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(share * WIDTH);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${stage.padEnd(7)} ${done}/${total} ${detail} (${seconds} s)`;
    if (stream.isTTY)
      stream.write(`\r${line.slice(0, (stream.columns || 100) - 1).padEnd((stream.columns || 100) - 1)}`);
    else if (stage !== last || done === total) stream.write(`${line}\n`);
    last = stage;
  };
  return Object.assign(print, { end: () => stream.isTTY && stream.write('\n') });
}
