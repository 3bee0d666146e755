import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['middleware/**/*.test.ts', 'test/**/*.test.ts', 'bench/*.test.ts'],
    globalSetup: ['test/build-library.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
