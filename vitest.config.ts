import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Workspace packages resolve to their sources in tests, so no build is needed to run a unit test. */
const alias = [
  {
    find: /^@neurocards\/([a-z-]+)$/,
    replacement: `${root}packages/$1/src/index.ts`,
  },
  {
    find: /^@neurocards\/([a-z-]+)\/([a-z-]+)$/,
    replacement: `${root}packages/$1/src/$2/index.ts`,
  },
];

// SWC emits the decorator metadata NestJS needs for dependency injection.
const plugins = [swc.vite({ jsc: { target: 'es2022' } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: { name: 'unit', include: ['**/*.unit.test.ts'], exclude: ['**/node_modules/**', '**/dist/**'] },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'int',
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
