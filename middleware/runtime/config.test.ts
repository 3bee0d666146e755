import { describe, expect, it } from 'vitest'
import { resolveConfig } from './config.ts'

describe('resolveConfig', () => {
  it('reads the standard OTEL_* env names', () => {
    const { config, problems } = resolveConfig({
      OTEL_SERVICE_NAME: 'orders',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D%3D,x-team=edge',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'service.version=1.2.3,deployment.environment.name=prod%20eu',
    })
    expect(problems).toEqual([])
    expect(config).toMatchObject({
      serviceName: 'orders',
      signals: {
        traces: { url: 'https://collector.example:4318/v1/traces', headers: { 'api-key': 'abc==', 'x-team': 'edge' }, protocol: 'http/json' },
        metrics: { url: 'https://collector.example:4318/v1/metrics', protocol: 'http/json' },
      },
      resourceAttributes: { 'service.version': '1.2.3', 'deployment.environment.name': 'prod eu' },
      temporality: 'delta',
    })
  })

  it('uses per-signal endpoints as given, without appending a path', () => {
    const { config } = resolveConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom/traces',
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-metrics=1',
    })
    expect(config.signals.traces?.url).toBe('http://b:4318/custom/traces')
    expect(config.signals.metrics?.url).toBe('http://a:4318/v1/metrics')
    expect(config.signals.metrics?.headers).toEqual({ 'x-metrics': '1' })
  })

  it('lets options in code override env bindings', () => {
    const { config } = resolveConfig(
      { OTEL_SERVICE_NAME: 'from-env', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      { serviceName: 'from-code', endpoint: 'http://code:4318', protocol: 'http/protobuf', serviceVersion: '9' },
    )
    expect(config).toMatchObject({ serviceName: 'from-code', signals: { traces: { url: 'http://code:4318/v1/traces', protocol: 'http/protobuf' } } })
    expect(config.resourceAttributes['service.version']).toBe('9')
  })

  it('treats an empty endpoint as "do not export", with no complaint', () => {
    const { config, problems } = resolveConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })
    expect([config.signals, problems]).toEqual([{ traces: undefined, metrics: undefined }, []])
  })

  it('defaults the service name the way the spec does', () => {
    expect(resolveConfig({}).config.serviceName).toBe('unknown_service')
    expect(resolveConfig({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).config.serviceName).toBe('x')
  })

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not an http(s) URL'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }, 'OTEL_EXPORTER_OTLP_ENDPOINT="ftp://x"'],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported (edge runtimes cannot open gRPC streams); using "http/protobuf"'],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'ok=1,novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not a valid key=value pair'],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'bad header=1' }, 'OTEL_EXPORTER_OTLP_HEADERS: entry 1'],
    [{ OTEL_RESOURCE_ATTRIBUTES: '=x' }, 'OTEL_RESOURCE_ATTRIBUTES: entry 1'],
    [{ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }, 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="sometimes" is not supported; using "delta"'],
    [{ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-3' }, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="-3" is not a non-negative integer'],
  ])('names the setting and the fix for a bad value: %o', (env, message) => {
    const { problems } = resolveConfig(env)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
  })

  it('never repeats a header value (it may be a secret) in a message', () => {
    const { problems } = resolveConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer s3cr3t\n' })
    expect(problems.join(' ')).not.toContain('s3cr3t')
  })

  it('keeps the good entries of a partly bad header list', () => {
    const { config } = resolveConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_HEADERS: 'a=1,broken,b=2' })
    expect(config.signals.traces?.headers).toEqual({ a: '1', b: '2' })
  })

  it('reads the temporality preference case-insensitively and the span limits', () => {
    const { config } = resolveConfig({
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Cumulative',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '16',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256',
    })
    expect(config.temporality).toBe('cumulative')
    expect(config.spanLimits).toMatchObject({ attributeCount: 16, attributeValueLength: 256, eventCount: 128 })
  })

  it('compresses with gzip unless told otherwise, per signal too', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }
    expect(resolveConfig(endpoint).config.signals).toMatchObject({ traces: { gzip: true, timeout: 10_000 }, metrics: { gzip: true } })
    const { config, problems } = resolveConfig({
      ...endpoint,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '500',
    })
    expect(problems).toEqual([])
    expect(config.signals).toMatchObject({ traces: { gzip: false, timeout: 500 }, metrics: { gzip: true, timeout: 2500 } })
    expect(resolveConfig({ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }).problems[0]).toContain('OTEL_EXPORTER_OTLP_COMPRESSION="zstd" is not supported')
  })

  it('ignores bindings that are not strings', () => {
    const { config, problems } = resolveConfig({ OTEL_SERVICE_NAME: { nested: true }, OTEL_EXPORTER_OTLP_ENDPOINT: 42 } as never)
    expect([config.serviceName, config.signals.traces, problems]).toEqual(['unknown_service', undefined, []])
  })
})

describe('sampling settings', () => {
  it('defaults to parentbased_always_on', () => {
    const { config, problems } = resolveConfig({})
    expect(config).toMatchObject({ sampler: 'parentbased_always_on', samplerRatio: 1 })
    expect(problems).toEqual([])
  })

  it('reads OTEL_TRACES_SAMPLER (any case) and its ratio; options in code win', () => {
    const { config, problems } = resolveConfig({ OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
    expect(config).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0.25 })
    expect(problems).toEqual([])
    expect(resolveConfig({ OTEL_TRACES_SAMPLER: 'always_off' }, { sampler: 'always_on', samplerRatio: 0.5 }).config).toMatchObject({
      sampler: 'always_on',
      samplerRatio: 0.5,
    })
  })

  it('names an unknown or unsupported sampler and keeps the default', () => {
    for (const value of ['always-on', 'jaeger_remote', 'xray']) {
      const { config, problems } = resolveConfig({ OTEL_TRACES_SAMPLER: value })
      expect(config.sampler).toBe('parentbased_always_on')
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(`OTEL_TRACES_SAMPLER="${value}" is not supported; using "parentbased_always_on"`)
      expect(problems[0]).toContain('"parentbased_traceidratio"')
    }
  })

  it('ignores a ratio outside 0..1, as the spec says, and names it', () => {
    for (const value of ['1.5', '-0.1', 'half']) {
      const { config, problems } = resolveConfig({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: value })
      expect(config.samplerRatio).toBe(1)
      expect(problems).toEqual([`OTEL_TRACES_SAMPLER_ARG="${value}" is not a ratio from 0 to 1; using 1 (every trace). Set it to e.g. "0.1".`])
    }
  })
})
