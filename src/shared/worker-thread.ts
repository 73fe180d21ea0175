import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread from a module beside the caller, given without extension
 * (`new URL('./x.worker', import.meta.url)`): the compiled `.js` when running from dist/,
 * the `.ts` source through tsx's loader when running from source (tests, `tsx`). Node 20
 * ignores `--import tsx` in a worker's execArgv, hence the small ESM bootstrap.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const target = `${moduleUrl.href}.${fromSource ? 'ts' : 'js'}`;
  if (!fromSource) return new Worker(new URL(target), options);
  const api = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(target)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
