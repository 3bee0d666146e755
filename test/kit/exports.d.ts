/// <reference types="@cloudflare/vitest-plugin/types" />
// What `exports` from 'cloudflare:workers' holds in the example functions' tests: each function's
// default export, as a service binding (`wrangler types` writes the like for a project), with the
// scheduled() that workerd's loopback binding has.
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher & {
      scheduled(options?: { cron?: string; scheduledTime?: number | Date }): Promise<{ outcome: string; noRetry: boolean }>
    }
  }
}
