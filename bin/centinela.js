#!/usr/bin/env node
// Entry point of the `centinela` command: runs the compiled CLI (built by `npm install`).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(compiled)) {
  console.error('centinela: dist/ is missing; run `npm run build` (npm install does it for you).');
  process.exit(1);
}
await import(compiled.href);
