import { defineConfig } from 'vitest/config';

// The CLI end-to-end files run a second time with every home on PostgreSQL (test/helpers/cli.ts reads
// SIGNET_TEST_BACKEND), except cli-postgres*.test.ts, which choose PostgreSQL (and its roles) themselves.
const CLI_FILES = ['test/cli-*.test.ts'];
const CLI_FILES_WITH_THEIR_OWN_BACKEND = ['test/cli-postgres*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // A fixture hook spawns dozens of `signet` processes (about 0.7 s of CPU each, mostly loading
    // modules); with several files at a time on 2 cores each takes two to three times as long.
    hookTimeout: 180_000,
    pool: 'forks',
    // Files spend much of their time waiting on child processes and PostgreSQL: several at a time fill
    // the 2 cores that one file at a time (the default, cores − 1) leaves half idle. docs/testing.md.
    maxWorkers: 4,
    projects: [
      {
        extends: true,
        test: { name: 'default', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'cli-postgres-backend',
          include: CLI_FILES,
          exclude: CLI_FILES_WITH_THEIR_OWN_BACKEND,
          env: { SIGNET_TEST_BACKEND: 'postgres' },
        },
      },
    ],
  },
});
