import { defineConfig } from 'vitest/config';

/** Tests that use the shared NATS server; two of them restart it. */
const STREAM_TESTS = ['src/transport/**/*.test.ts', 'test/pipeline/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    typecheck: { enabled: false },
    projects: [
      {
        extends: true,
        test: {
          name: 'service',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: STREAM_TESTS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Run alone, one file at a time, after the rest: a NATS restart must not hit other tests.
        extends: true,
        test: {
          name: 'streams',
          include: STREAM_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
