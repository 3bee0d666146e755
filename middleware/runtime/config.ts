import type { Attributes, MeterProvider, TracerProvider } from '@opentelemetry/api'
import { type SpanLimits, defaultSpanLimits } from '../sdk/trace/limits.ts'
import type { OtlpProtocol, Signal } from '../exporter/export.ts'
import type { OtlpHttpTarget } from '../exporter/http.ts'
import { type Env, oneOf, read, readSwitch, resolveLimit } from './env.ts'
import type { TemporalityPreference } from '../sdk/metrics/metrics.ts'
import { HTTP_TOKEN } from '../sdk/propagation.ts'
import { SAMPLER_NAMES, type SamplerName } from '../sdk/trace/sampling.ts'
import type { TailSampler } from './tail-sampling.ts'

/** A provider passed in options: the SDK's have `forceFlush()`, which the flush at each request's end calls. */
export interface FlushableProvider {
  forceFlush?(): Promise<void>
}

/** Options given in code. Each overrides the env binding named beside it. */
export interface OtelOptions {
  /** `OTEL_SERVICE_NAME`. */
  serviceName?: string
  /** `service.version` in `OTEL_RESOURCE_ATTRIBUTES`. */
  serviceVersion?: string
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; `/v1/traces` and `/v1/metrics` are appended. */
  endpoint?: string
  /** `OTEL_EXPORTER_OTLP_HEADERS`, for example `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>
  /** `OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` (default) or `http/json`. */
  protocol?: OtlpProtocol
  /** `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Attributes
  /** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`: `delta` (default), `cumulative` or `lowmemory`. */
  temporality?: TemporalityPreference
  /** Create a CLIENT span and inject W3C headers on every global `fetch`. Default true. */
  instrumentGlobalFetch?: boolean
  /**
   * `OTEL_BSP_SCHEDULE_DELAY`: ms a request's `waitUntil` waits before exporting, so requests that end
   * close together share one export. Default 100 (the spec's 5000 does not fit a `waitUntil` budget).
   */
  batchDelay?: number
  /**
   * Series kept per metric instrument between exports; past it, new attribute sets are recorded
   * in the `otel.metric.overflow=true` series. Default 2000.
   */
  metricCardinalityLimit?: number
  /**
   * `EDGE_OTEL_REDACT_QUERY_PARAMETERS` (comma-separated): more query parameters whose
   * values become `REDACTED` in `url.query` and `url.full`, beside token, key, secret, password, sig, signature…
   */
  redactQueryParameters?: string[]
  /** Name of the optional Cloudflare Queue binding that takes batches the collector could not. Default `OTEL_SPILL_QUEUE`. */
  spillQueueBinding?: string
  /** `OTEL_TRACES_SAMPLER`: default `parentbased_always_on`. */
  sampler?: SamplerName
  /** `OTEL_TRACES_SAMPLER_ARG`: the fraction of traces the `traceidratio` samplers keep, 0 to 1. Default 1. */
  samplerRatio?: number
  /** `tailSampling()`: keep failed and slow requests the head sampler drops. Not bundled unless given. */
  tailSampling?: TailSampler
  /**
   * A tracer provider of your own (an OpenTelemetry SDK `TracerProvider` with your processors and
   * exporter, say), in place of edge-otel's: the library's spans are made with it, it is the one
   * registered with `@opentelemetry/api`, and its `forceFlush()` runs in each request's `waitUntil`.
   * Its sampler, limits and resource apply, not the `OTEL_TRACES_*` settings; tail sampling is off.
   */
  tracerProvider?: FlushableProvider & TracerProvider
  /** A meter provider of your own, in place of edge-otel's: as `tracerProvider`, for metrics. */
  meterProvider?: FlushableProvider & MeterProvider
  /**
   * `EDGE_OTEL_RECORD_CLIENT_ADDRESS=true`: record `client.address` (from `CF-Connecting-IP`, else the first
   * `X-Forwarded-For` entry) on SERVER spans. Off by default: an IP address is personal data.
   */
  recordClientAddress?: boolean
  /**
   * `EDGE_OTEL_RECORD_PROTOCOL_VERSION=true`: record `network.protocol.version` (`1.1`, `2`, `3`) from workerd's
   * `request.cf.httpProtocol` on SERVER spans. Off by default: the first read of `request.cf` makes workerd parse
   * the whole `cf` object, about 0.07× bare Hono's CPU per request (docs/performance.md). Free if the app reads
   * `request.cf` anyway.
   */
  recordProtocolVersion?: boolean
  /**
   * `EDGE_OTEL_RECORD_BINDING_KEYS=true`: record the keys, prefixes and URLs that binding calls name
   * (KV and R2 keys, Cache API URLs) on their spans. Off by default: keys may hold personal data.
   */
  recordBindingKeys?: boolean
  /**
   * `EDGE_OTEL_REQUEST_TIMEOUT`: ms after which a request that has not ended is presumed dropped by the
   * runtime (the client went away, the handler hung): it leaves `http.server.active_requests`, and what
   * tail sampling held of its trace is kept. Default 300000 (5 minutes).
   */
  requestTimeout?: number
}

/** Where and how one signal is exported. */
export interface SignalConfig extends OtlpHttpTarget {
  protocol: OtlpProtocol
}

export interface ResolvedConfig {
  serviceName: string
  /** Only the signals with a valid endpoint are exported. */
  signals: Partial<Record<Signal, SignalConfig>>
  resourceAttributes: Attributes
  temporality: TemporalityPreference
  spanLimits: SpanLimits
  batchDelay: number
  /** `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: a buffer this full is exported at once. */
  maxExportBatchSize: number
  /** `OTEL_BSP_MAX_QUEUE_SIZE`: spans held between exports; more are dropped and counted. */
  maxQueueSize: number
  cardinalityLimit: number
  redactQueryParameters: string[]
  spillQueueBinding: string
  /** `EDGE_OTEL_RETRY_DEADLINE`: ms within which all retries of one batch end. */
  retryDeadline: number
  sampler: SamplerName
  samplerRatio: number
  recordClientAddress: boolean
  recordProtocolVersion: boolean
  recordBindingKeys: boolean
  requestTimeout: number
}

export interface ConfigResult {
  config: ResolvedConfig
  /** One message per bad setting, naming it and the fix. */
  problems: string[]
}


const PROTOCOLS: readonly OtlpProtocol[] = ['http/protobuf', 'http/json']
const TEMPORALITIES: readonly TemporalityPreference[] = ['delta', 'cumulative', 'lowmemory']


function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Parses `key=value,key2=value2` with percent-decoding, reporting bad entries by position. */
function parsePairs(text: string, name: string, problems: string[], isHeader: boolean): Record<string, string> {
  const out: Record<string, string> = {}
  text.split(',').forEach((entry, i) => {
    if (entry.trim() === '') return
    const eq = entry.indexOf('=')
    const key = eq > 0 ? decode(entry.slice(0, eq).trim()) : ''
    const value = eq > 0 ? decode(entry.slice(eq + 1).trim()) : ''
    if (!key || (isHeader && !HTTP_TOKEN.test(key)) || (isHeader && /[\r\n\0]/.test(value))) {
      problems.push(
        `${name}: entry ${i + 1} is not a valid key=value pair and was skipped. Use "key=value,key2=value2" (values percent-encoded).`,
      )
      return
    }
    out[key] = value
  })
  return out
}

function resolveUrl(base: string | undefined, exact: string | undefined, path: string, names: [string, string], problems: string[]): string | undefined {
  const [exactName, baseName] = names
  const candidate = exact ?? (base ? `${base.replace(/\/+$/, '')}${path}` : undefined)
  if (!candidate) return undefined
  const name = exact ? exactName : baseName
  let url: URL | undefined
  try {
    url = new URL(candidate)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(
      `${name}="${exact ?? base}" is not an http(s) URL, so ${exact ? path.slice(4) : 'telemetry'} is not exported. ` +
        `Set it to the collector's OTLP/HTTP base URL, e.g. "http://127.0.0.1:4318".`,
    )
    return undefined
  }
  return url.href
}


const resolveProtocol = (value: string | undefined, name: string, problems: string[]): OtlpProtocol =>
  oneOf(value, name, PROTOCOLS, 'http/protobuf', problems, value === 'grpc' ? ' (edge runtimes cannot open gRPC streams)' : '')

const resolveCompression = (value: string | undefined, name: string, fallback: boolean, problems: string[]): boolean =>
  oneOf(value?.toLowerCase(), name, ['gzip', 'none'], fallback ? 'gzip' : 'none', problems) === 'gzip'


/**
 * Merges code options over the worker's env bindings (standard OTEL_* names).
 * Never throws: a bad value is reported in `problems` and replaced by a safe default.
 */
export function resolveConfig(env: Env, options: OtelOptions = {}): ConfigResult {
  const problems: string[] = []
  const base = options.endpoint ?? read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  const baseName = options.endpoint !== undefined ? 'endpoint option' : 'OTEL_EXPORTER_OTLP_ENDPOINT'

  const headersText = read(env, 'OTEL_EXPORTER_OTLP_HEADERS')
  const headers = options.headers ?? (headersText ? parsePairs(headersText, 'OTEL_EXPORTER_OTLP_HEADERS', problems, true) : {})

  const resourceText = read(env, 'OTEL_RESOURCE_ATTRIBUTES')
  const resourceAttributes: Attributes = {
    ...(resourceText ? parsePairs(resourceText, 'OTEL_RESOURCE_ATTRIBUTES', problems, false) : {}),
    ...options.resourceAttributes,
  }
  if (options.serviceVersion) resourceAttributes['service.version'] = options.serviceVersion
  const serviceName =
    options.serviceName ?? read(env, 'OTEL_SERVICE_NAME') ?? (resourceAttributes['service.name'] as string | undefined) ?? 'unknown_service'

  const baseProtocol = resolveProtocol(
    options.protocol ?? read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL'),
    options.protocol !== undefined ? 'protocol option' : 'OTEL_EXPORTER_OTLP_PROTOCOL',
    problems,
  )

  const temporalityText = options.temporality ?? read(env, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE')?.toLowerCase()
  const temporality = oneOf(temporalityText, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', TEMPORALITIES, 'delta', problems)

  const timeout = resolveLimit(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, problems) || 10_000
  // gzip by default, as the Collector's own otlphttp exporter does: a coalesced batch shrinks to
  // about half on the wire (the spec's default is none; OTEL_EXPORTER_OTLP_COMPRESSION=none restores it).
  const compression = resolveCompression(read(env, 'OTEL_EXPORTER_OTLP_COMPRESSION'), 'OTEL_EXPORTER_OTLP_COMPRESSION', true, problems)

  /** One signal's settings: OTEL_EXPORTER_OTLP_{TRACES,METRICS}_* over the shared ones, code options over both. */
  const signal = (kind: Signal): SignalConfig | undefined => {
    const name = (setting: string) => `OTEL_EXPORTER_OTLP_${kind.toUpperCase()}_${setting}`
    const fromEnv = (setting: string, coded: unknown) => (coded === undefined ? read(env, name(setting)) : undefined)
    const url = resolveUrl(base, fromEnv('ENDPOINT', options.endpoint), `/v1/${kind}`, [name('ENDPOINT'), baseName], problems)
    if (!url) return undefined
    const headersText = fromEnv('HEADERS', options.headers)
    const protocolText = fromEnv('PROTOCOL', options.protocol)
    return {
      url,
      headers: headersText ? { ...headers, ...parsePairs(headersText, name('HEADERS'), problems, true) } : headers,
      protocol: protocolText ? resolveProtocol(protocolText, name('PROTOCOL'), problems) : baseProtocol,
      timeout: read(env, name('TIMEOUT')) ? resolveLimit(env, name('TIMEOUT'), timeout, problems) || timeout : timeout,
      gzip: resolveCompression(read(env, name('COMPRESSION')), name('COMPRESSION'), compression, problems),
    }
  }

  const sampler = oneOf(options.sampler ?? read(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase(), 'OTEL_TRACES_SAMPLER', SAMPLER_NAMES, SAMPLER_NAMES[0], problems)
  const ratioText = read(env, 'OTEL_TRACES_SAMPLER_ARG')
  let samplerRatio = options.samplerRatio ?? (ratioText ? Number(ratioText) : 1)
  if (!(samplerRatio >= 0 && samplerRatio <= 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG="${options.samplerRatio ?? ratioText}" is not a ratio from 0 to 1; using 1 (every trace). Set it to e.g. "0.1".`)
    samplerRatio = 1
  }

  const config: ResolvedConfig = {
    serviceName,
    signals: { traces: signal('traces'), metrics: signal('metrics'), logs: signal('logs') },
    resourceAttributes,
    temporality,
    spanLimits: {
      attributeCount: resolveLimit(env, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', defaultSpanLimits.attributeCount, problems),
      attributeValueLength: resolveLimit(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', defaultSpanLimits.attributeValueLength, problems),
      eventCount: resolveLimit(env, 'OTEL_SPAN_EVENT_COUNT_LIMIT', defaultSpanLimits.eventCount, problems),
      linkCount: resolveLimit(env, 'OTEL_SPAN_LINK_COUNT_LIMIT', defaultSpanLimits.linkCount, problems),
    },
    batchDelay: options.batchDelay ?? resolveLimit(env, 'OTEL_BSP_SCHEDULE_DELAY', 100, problems),
    maxExportBatchSize: resolveLimit(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, problems) || 512,
    maxQueueSize: resolveLimit(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, problems) || 2048,
    cardinalityLimit: Math.max(2, options.metricCardinalityLimit ?? 2000),
    spillQueueBinding: options.spillQueueBinding ?? 'OTEL_SPILL_QUEUE',
    retryDeadline: resolveLimit(env, 'EDGE_OTEL_RETRY_DEADLINE', 20_000, problems) || 20_000,
    sampler,
    samplerRatio,
    recordClientAddress: options.recordClientAddress ?? readSwitch(env, 'EDGE_OTEL_RECORD_CLIENT_ADDRESS', problems),
    recordProtocolVersion: options.recordProtocolVersion ?? readSwitch(env, 'EDGE_OTEL_RECORD_PROTOCOL_VERSION', problems),
    recordBindingKeys: options.recordBindingKeys ?? readSwitch(env, 'EDGE_OTEL_RECORD_BINDING_KEYS', problems),
    requestTimeout: options.requestTimeout ?? (resolveLimit(env, 'EDGE_OTEL_REQUEST_TIMEOUT', 300_000, problems) || 300_000),
    redactQueryParameters:
      options.redactQueryParameters ??
      (read(env, 'EDGE_OTEL_REDACT_QUERY_PARAMETERS') ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
  }
  return { config, problems: [...new Set(problems)] }
}
