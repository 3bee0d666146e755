// The performance goals (README "Performance"): `npm run bench` marks its rows against them, and
// `bench/build.test.ts` holds the bundles to them in `npm test`, where a size is exact and not timed.
export const GOALS = { throughput: 0.8, cpu: 1.3, posts: 0.25, bundleKiB: 25, evaluation: 1.5, bytes: 300 }

/**
 * Bundle goals (gzip KiB, minified ESM, whole worker) of the rows the goals apply to. Opt-in tail
 * sampling has its own: 25 KiB plus 1.5 KiB. It adds 1.2 KiB to every signal, and no part of the core
 * short of a feature the issues require is big enough to pay for it (docs/performance.md).
 */
export const BUNDLE_GOALS_KIB: Record<string, number> = {
  'variants/edge-otel.ts': GOALS.bundleKiB,
  'variants/edge-otel-logs.ts': GOALS.bundleKiB,
  'variants/edge-otel-all.ts': GOALS.bundleKiB + 1.5,
}

/**
 * What `bench/build.test.ts` holds each bundle to. The correctness fixes of issue 13 (tail sampling
 * per trace, requests that never end, duplicate instruments, scopes, link limits, HTTP semconv, the
 * per-handler options check, baggage decoding) and the one invocation lifecycle of issue 14 took
 * every signal from 24.82 to 25.76 KiB and all on from 26.02 to 27.12: over their goals, which stay
 * unmet until the library is that much smaller. Traces and metrics alone is at its goal, 25.00 KiB
 * (25,599 bytes). These budgets hold today's figures, so that nothing grows meanwhile.
 */
export const BUNDLE_BUDGETS_KIB: Record<string, number> = {
  // Issue 19 (other runtimes) took it from 25,599 to 25,628 bytes: 8 for the context manager's look for a
  // global AsyncLocalStorage (Vercel Edge) before node:async_hooks', 21 for the minifier's renaming once the
  // package gained otelAnywhere, flushTelemetry and instrumentLambda. None of their code is in this bundle
  // (its minified code differs from before only by that look and by names), but its names shift with the package.
  'variants/edge-otel.ts': GOALS.bundleKiB + 29 / 1024,
  'variants/edge-otel-logs.ts': 25.8,
  'variants/edge-otel-all.ts': 27.15,
}

/**
 * What `wrangler deploy --dry-run --minify` reports (gzip KiB) for the smallest traced worker, Hono with
 * `app.use(otel())` and one route (test/fixtures/user-worker), as a user sees it. Wrangler keeps every
 * function's and class's name (esbuild's keepNames), which the rows above don't: 1.5 KiB on this worker,
 * 1.0 of it in Hono and the API. The goal is 25 KiB. It measured 25.90 KiB before issue 13, 25.54 with the
 * package build minified, 26.27 with issue 13's fixes and terser's second pass, and 26.46 with the layers and
 * the one invocation lifecycle; its budget holds that until the library is 1.5 KiB smaller (docs/performance.md).
 */
export const WRANGLER_BUDGET_KIB = 26.5
