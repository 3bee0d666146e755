/// <reference types="@cloudflare/vitest-plugin/types" />
// The worker's default export as `exports.default` from 'cloudflare:workers' (`npx wrangler types` writes the like).
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher
  }
}
