import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

// `npm run test:stack`: the real Collector, Jaeger and Prometheus (see stack.ts), apart from `npm test`.
export default defineConfig({
  root: resolve(import.meta.dirname, '../..'),
  test: {
    include: ['test/stack/**/*.stack.ts'],
    globalSetup: ['test/build-library.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
