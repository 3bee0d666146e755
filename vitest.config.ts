import { defineConfig } from 'vitest/config'
import { functionProject } from './test/kit/workers.ts'

export default defineConfig({
  test: {
    globalSetup: ['test/build-library.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['middleware/**/*.test.ts', 'test/**/*.test.ts', 'bench/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.workerd.test.ts'],
        },
      },
      // The example functions' own tests, written with edge-otel/testing inside workerd.
      { extends: true, ...functionProject('gateway', 'wrangler.toml', ['orders', 'inventory']) },
      { extends: true, ...functionProject('orders', 'functions/orders/wrangler.toml', ['inventory']) },
      // …and the kit's own behaviour in workerd (test/kit/*.workerd.test.ts), beside inventory's.
      { extends: true, ...functionProject('inventory', 'functions/inventory/wrangler.toml', [], ['test/kit/*.workerd.test.ts']) },
      { extends: true, ...functionProject('fulfillment', 'functions/fulfillment/wrangler.toml') },
      // The template a user copies (examples/worker-with-tests), with its own vitest.config.ts.
      'examples/worker-with-tests',
    ],
  },
})
