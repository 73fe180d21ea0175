// Identity verification latency through the HTTP route (app.inject), one user already enrolled.
import { readFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { checkFace } from '../src/identity/face-check.js';
import { facesDevDir, onCanvas } from '../src/identity/face-engine/test-images.js';
import { summarise } from '../src/identity/measure-latency.js';
import { createService, type Service } from '../src/main.js';
import { tempDir } from '../test/helpers.js';
import { writeResult } from './lib.js';

const KEY = 'bench-admin-key-0123456789';
const RUNS = 50;
const WARMUP = 3;
const CLIENTS = 2;
const THROUGHPUT_REQUESTS = 40;

async function verifyOnce(service: Service, payload: object): Promise<number> {
  const start = performance.now();
  const res = await service.app.inject({
    method: 'POST',
    url: '/v1/identities/bench-user/verify',
    headers: { 'x-api-key': KEY },
    payload,
  });
  const elapsed = performance.now() - start;
  if (res.statusCode !== 200 || res.json<{ match: boolean }>().match !== true) {
    throw new Error(`verification failed: ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
  return elapsed;
}

/** The same photo through the engine alone (no HTTP, no store): what the route adds is the rest. */
async function engineOnly(service: Service, photo: Buffer, config: Config) {
  const durations: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await checkFace(service.identity.engine, photo, config.liveness);
    durations.push(performance.now() - start);
  }
  return summarise(durations);
}

async function throughput(service: Service, payload: object) {
  let next = 0;
  const start = performance.now();
  const client = async () => {
    while (next++ < THROUGHPUT_REQUESTS) await verifyOnce(service, payload);
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - start) / 1000;
  return {
    clients: CLIENTS,
    verifications: THROUGHPUT_REQUESTS,
    seconds,
    per_second: THROUGHPUT_REQUESTS / seconds,
  };
}

/** One configuration: enroll, warm up, 50 sequential verifications, then 2 concurrent clients. */
async function measure(photos: { enroll: Buffer; verify: Buffer }, overrides: Partial<Config>) {
  const dir = tempDir('centinela-bench-identity-');
  const config = loadConfig(
    {},
    { databaseUrl: join(dir, 'c.db'), adminKey: KEY, logLevel: 'silent', ...overrides },
  );
  const service = await createService(config);
  try {
    const started = performance.now();
    const enrolled = await service.app.inject({
      method: 'POST',
      url: '/v1/identities/bench-user/faces',
      headers: { 'x-api-key': KEY },
      payload: { image_base64: photos.enroll.toString('base64') },
    });
    if (enrolled.statusCode !== 201) throw new Error(`enrollment failed: ${enrolled.body}`);
    const firstRequestMs = performance.now() - started;
    const payload = { image_base64: photos.verify.toString('base64'), movement: 'bench' };
    for (let i = 0; i < WARMUP; i++) await verifyOnce(service, payload);
    const durations: number[] = [];
    const load = loadavg()[0];
    for (let i = 0; i < RUNS; i++) durations.push(await verifyOnce(service, payload));
    return {
      load_average_1m: load,
      face_workers: config.faceWorkers,
      liveness: config.liveness,
      first_request_ms_with_model_load: firstRequestMs,
      latency_ms: summarise(durations),
      throughput: await throughput(service, payload),
      engine_only_ms: await engineOnly(service, photos.verify, config),
    };
  } finally {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench identity`: verification latency p50/p99 over 50 sequential requests (one
 * 640×480 JPEG with one face, the user enrolled beforehand) and verifications/s with two
 * concurrent clients, with the default configuration and with liveness off.
 */
export async function runIdentityBench(): Promise<void> {
  const dir = facesDevDir();
  if (!dir) {
    console.log('identity bench skipped: faces-dev not found (set CENTINELA_FACES_DEV)');
    return;
  }
  const read = (name: string) => readFile(join(dir, 'images', name));
  const photos = {
    enroll: await onCanvas(await read('Alberto_Fujimori/Alberto_Fujimori_0001.jpg')),
    verify: await onCanvas(await read('Alberto_Fujimori/Alberto_Fujimori_0002.jpg')),
  };
  const byDefault = await measure(photos, {});
  console.log('identity (defaults):', JSON.stringify(byDefault));
  const livenessOff = await measure(photos, { liveness: 'off' });
  console.log('identity (liveness off):', JSON.stringify(livenessOff));
  writeResult('identity', {
    image: '640x480 JPEG, one face (faces-dev photo on a grey canvas)',
    route: 'POST /v1/identities/:userId/verify via app.inject',
    runs: RUNS,
    defaults: byDefault,
    liveness_off: livenessOff,
  });
}
