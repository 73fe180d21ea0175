// `npm run bench`: every benchmark; results go to bench/results/*.json. Timings are never asserted in tests.
import { runHttpBench } from './http.bench.js';
import { runIdentityBench } from './identity.bench.js';
import { machine } from './lib.js';
import { runModelsBench } from './models.bench.js';
import { runPipelineBench } from './pipeline.bench.js';
import { runScoringBench } from './scoring.bench.js';
import { runStructuringBench } from './structuring.bench.js';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);

console.log('Machine:', machine());
if (wanted('scoring')) runScoringBench();
if (wanted('http')) await runHttpBench();
if (wanted('structuring')) await runStructuringBench();
if (wanted('models')) await runModelsBench();
if (wanted('pipeline')) await runPipelineBench();
if (wanted('identity')) await runIdentityBench();
