import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // Dot-directories hold local state and scratch copies of the tree (.kscape, .perf): never tests.
    exclude: ['node_modules/**', 'dist/**', '**/.*/**'],
    // Suites start real servers, PGlite instances and PostgreSQL databases: give them room.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores on CI: more workers only add contention.
    maxWorkers: 2,
    reporters: ['default'],
    // Keep test output readable; LOG_LEVEL=debug npm test shows everything.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
