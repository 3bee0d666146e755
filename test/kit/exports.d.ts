// What `exports` from 'cloudflare:workers' holds in the example functions' tests: each function's
// default export, as a service binding (`wrangler types` writes the same for a project).
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher
  }
}
