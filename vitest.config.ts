import { defineConfig } from 'vitest/config';

/**
 * Tests run alone, one file at a time, after the rest: those that use the shared NATS server
 * (two of them restart it, which must not hit other tests), and the WAL checkpoint test, whose
 * bound on the log's growth holds only while its checkpoint thread gets CPU (run among the
 * other files on two cores, the log once grew 10.5 MB against its bound then of 4 MB).
 */
const ALONE_TESTS = [
  'src/transport/**/*.test.ts',
  'test/pipeline/**/*.test.ts',
  'src/store/background-checkpoints.test.ts',
];

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
          exclude: ALONE_TESTS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
