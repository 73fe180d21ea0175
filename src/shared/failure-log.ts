import { AppError } from '../errors.js';
import { storeUnavailableError } from '../store/store-errors.js';

/** How often the same failure of a background task is logged again while it lasts. */
const REPEAT_MS = 60_000;

/**
 * The failure logger of a background task that runs again and again (a refresh, a dispatch
 * round): one line on stderr per failure, and the same failure again only once a minute. A
 * store outage made every rules and model refresh print a stack trace, about 1,900 lines in
 * 30 s. A known failure (an AppError, an unreachable store) is said in words; anything else
 * keeps its stack, as it may be a bug.
 */
export function failureLog(task: string, now = () => Date.now()): (error: unknown) => void {
  let last: { readonly text: string; readonly at: number } | undefined;
  return (error) => {
    const known = error instanceof AppError ? error : storeUnavailableError(error);
    const text = known ? `${known.code}: ${known.message}` : String(error);
    const at = now();
    if (last?.text === text && at - last.at < REPEAT_MS) return;
    last = { text, at };
    if (known) console.error(`${task} failed: ${text}`);
    else console.error(`${task} failed`, error);
  };
}
