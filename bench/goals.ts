// The performance goals (README "Performance"): `npm run bench` marks its rows against them, and
// `bench/build.test.ts` holds the bundles to them in `npm test`, where a size is exact and not timed.
// Throughput and CPU are issue 14's for traces and metrics (it raised them from 0.80 and 1.30).
export const GOALS = { throughput: 0.9, cpu: 1.15, posts: 0.25, bundleKiB: 25, evaluation: 1.5, bytes: 300 }

/**
 * Rows with goals of their own:
 * - every signal (issue 14): throughput ≥ 0.85 and CPU ≤ 1.20 of the reference app writing the same log line;
 * - all on (every signal and tail sampling): the packaging issue's 0.80 and 1.30, which issue 14 did not raise;
 * - bindings (issue 15): throughput ≥ 0.85 and CPU ≤ 1.20 of the bare app making the same 3 KV reads and 1 D1
 *   query. Its OTLP bytes carry five spans a request, so the bytes goal of a one-span request does not apply.
 */
export const ROW_GOALS: Record<string, typeof GOALS> = {
  'variants/edge-otel-logs.ts': { ...GOALS, throughput: 0.85, cpu: 1.2 },
  'variants/edge-otel-all.ts': { ...GOALS, throughput: 0.8, cpu: 1.3 },
  'variants/edge-otel-bindings.ts': { ...GOALS, throughput: 0.85, cpu: 1.2, bytes: Number.POSITIVE_INFINITY },
}

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
 * What tracing the Cloudflare bindings costs every worker that uses `otel()` (issue 15, "or say what
 * they cost"): `instrumentEnv` recognises bindings at run time, so the wrappers cannot tree-shake away.
 * Measured on the traces-and-metrics worker: 25,599 → 27,749 bytes gzip, 2,150 bytes, of which the
 * shared wrapper with the KV table is about 1.0 KiB, the Cache API patch 0.2 KiB and the other tables
 * (D1, R2, Vectorize, Workers AI, Analytics Engine) 0.9 KiB. Each budget below is raised by exactly that (every
 * signal measured 26,376 → 28,544 and all on 27,766 → 29,945 bytes, within their budgets' old margins plus it).
 */
export const BINDINGS_KIB = 2150 / 1024

/**
 * What tracing RPC callers costs every `otel()` worker (issue 15, docs/rpc.md): `instrumentEnv` traces Durable Object
 * stubs (`fetch`, RPC methods) and service-binding RPC methods, carrying the trace context through the callee's
 * hidden method with a fallback for callees that are not instrumented. Measured as the gzip bytes it added to each
 * bundle (25,599 → 26,022; 26,376 → 26,810; 27,766 → 28,224). The receiving side (`instrumentDurableObject`,
 * `instrumentEntrypoint`, Workflows, email) is opt-in and tree-shakes away.
 */
const RPC_CALLERS_BYTES = { 'variants/edge-otel.ts': 423, 'variants/edge-otel-logs.ts': 434, 'variants/edge-otel-all.ts': 458 }

/** Telemetry split into runtime/batch.ts, pipeline.ts, instruments.ts, warnings.ts and getters in telemetry.ts (issue 14): the gzip bytes it added, measured. */
const TELEMETRY_SPLIT_BYTES = { 'variants/edge-otel.ts': 184, 'variants/edge-otel-logs.ts': 191, 'variants/edge-otel-all.ts': 207 }

/**
 * `recordProtocolVersion` (issue 14): reading `request.cf` only when asked, since workerd parses the whole `cf`
 * object on its first read (0.07× bare CPU per request, docs/performance.md). The option, its env name and its
 * check, in bytes gzip, measured after the Telemetry split: 28,361 → 28,391; 29,164 → 29,198; 30,591 → 30,626.
 */
const PROTOCOL_OPTION_BYTES = { 'variants/edge-otel.ts': 30, 'variants/edge-otel-logs.ts': 34, 'variants/edge-otel-all.ts': 35 }

/**
 * Property mangling made safe (issue 14): the build no longer shortens any name an external declaration uses,
 * now checked against the OpenTelemetry SDK packages and Node's types too, with no hand-audited exceptions
 * (one of those, `instanceId`, had broken Workflow runs' instance id). The 24 names it now leaves long, measured:
 * 28,391 → 28,498; 29,198 → 29,311; 30,626 → 30,746 bytes gzip.
 */
const MANGLING_CHECKED_BYTES = { 'variants/edge-otel.ts': 107, 'variants/edge-otel-logs.ts': 113, 'variants/edge-otel-all.ts': 120 }

/**
 * Registration at the first handler, not on import (issue 14): `register()` runs once from `configure`, names
 * what another library registered first, and handlers then run in that context manager. Measured:
 * 28,498 → 28,649; 29,311 → 29,456; 30,746 → 30,888 bytes gzip.
 */
const LAZY_REGISTRATION_BYTES = { 'variants/edge-otel.ts': 151, 'variants/edge-otel-logs.ts': 145, 'variants/edge-otel-all.ts': 142 }

/**
 * Providers passed as options (issue 14): `otel({ tracerProvider, meterProvider })` and `registerTelemetry()`
 * take the user's own (an OpenTelemetry SDK TracerProvider, say), flushed at each request's end; fetch
 * honours the SDK's suppress-tracing key, so the SDK exporters' own requests stay untraced; and
 * `tracerProvider`, now a public option name, is no longer shortened. Measured:
 * 28,649 → 28,987; 29,456 → 29,790; 30,888 → 31,223 bytes gzip.
 */
const PASSED_PROVIDERS_BYTES = { 'variants/edge-otel.ts': 338, 'variants/edge-otel-logs.ts': 334, 'variants/edge-otel-all.ts': 335 }

/** The measured raises above, summed for one row. */
const raisedBytes = (row: keyof typeof RPC_CALLERS_BYTES): number =>
  RPC_CALLERS_BYTES[row] + TELEMETRY_SPLIT_BYTES[row] + PROTOCOL_OPTION_BYTES[row] + MANGLING_CHECKED_BYTES[row] +
  LAZY_REGISTRATION_BYTES[row] + PASSED_PROVIDERS_BYTES[row]

/**
 * What `bench/build.test.ts` holds each bundle to. The correctness fixes of issue 13 (tail sampling
 * per trace, requests that never end, duplicate instruments, scopes, link limits, HTTP semconv, the
 * per-handler options check, baggage decoding) and the one invocation lifecycle of issue 14 took
 * every signal from 24.82 to 25.76 KiB and all on from 26.02 to 27.12: over their goals, which stay
 * unmet until the library is that much smaller. Traces and metrics alone is at its goal, 25.00 KiB
 * (25,599 bytes). These budgets hold today's figures, so that nothing grows meanwhile, plus the RPC callers' cost.
 */
export const BUNDLE_BUDGETS_KIB: Record<string, number> = {
  // Issue 19 (other runtimes) took it from 25,599 to 25,628 bytes: 8 for the context manager's look for a
  // global AsyncLocalStorage (Vercel Edge) before node:async_hooks', 21 for the minifier's renaming once the
  // package gained otelAnywhere, flushTelemetry and instrumentLambda. None of their code is in this bundle
  // (its minified code differs from before only by that look and by names), but its names shift with the package.
  'variants/edge-otel.ts':
    GOALS.bundleKiB + 29 / 1024 + BINDINGS_KIB + raisedBytes('variants/edge-otel.ts') / 1024,
  'variants/edge-otel-logs.ts': 25.8 + BINDINGS_KIB + raisedBytes('variants/edge-otel-logs.ts') / 1024,
  'variants/edge-otel-all.ts': 27.15 + BINDINGS_KIB + raisedBytes('variants/edge-otel-all.ts') / 1024,
}

/** The bindings' cost as wrangler builds the smallest traced worker: 26.46 → 28.69 KiB (issue 15, see BINDINGS_KIB). */
export const WRANGLER_BINDINGS_KIB = 2.23

/**
 * What `wrangler deploy --dry-run --minify` reports (gzip KiB) for the smallest traced worker, Hono with
 * `app.use(otel())` and one route (test/fixtures/user-worker), as a user sees it. Wrangler keeps every
 * function's and class's name (esbuild's keepNames), which the rows above don't: 1.5 KiB on this worker,
 * 1.0 of it in Hono and the API. The goal is 25 KiB. It measured 25.90 KiB before issue 13, 25.54 with the
 * package build minified, 26.27 with issue 13's fixes and terser's second pass, and 26.46 with the layers and
 * the one invocation lifecycle; its budget holds that until the library is 1.5 KiB smaller (docs/performance.md).
 * Tracing RPC callers (above) took it from 26.46 to 26.89 KiB: 0.43 KiB more.
 */
// Telemetry split (issue 14, TELEMETRY_SPLIT_BYTES above): 29.13 → 29.36 KiB as wrangler reports it, 0.23 KiB more;
// recordProtocolVersion (PROTOCOL_OPTION_BYTES): 29.36 → 29.41 KiB, 0.05 more; mangling made safe
// (MANGLING_CHECKED_BYTES): 29.41 → 29.50 KiB, 0.09 more; registration at the first handler
// (LAZY_REGISTRATION_BYTES): 29.50 → 29.64 KiB, 0.14 more; providers passed as options
// (PASSED_PROVIDERS_BYTES): 29.64 → 29.99 KiB, 0.35 more.
export const WRANGLER_BUDGET_KIB = 26.5 + WRANGLER_BINDINGS_KIB + 0.43 + 0.23 + 0.05 + 0.09 + 0.14 + 0.35
