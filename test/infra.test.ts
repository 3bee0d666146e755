// Checks on infra/ that need no Docker: the Collector config's structure, the Prometheus rules
// against promtool (when installed; .ci/run installs it), and that the rules and the dashboard
// use the Prometheus names the Collector gives the metrics this library sends.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import type { Receiver } from '../middleware/testing/receiver.ts'
import type { ReceivedMetric } from '../middleware/testing/decode.ts'
import { type RunningFunctions, startExamplesWithReceiver } from './functions.ts'

const INFRA = resolve(import.meta.dirname, '../infra')
const read = (path: string) => readFileSync(resolve(INFRA, path), 'utf8')
/** The Collector config as docker-compose.yml runs it: each `${env:NAME:-default}` at its default. */
const collectorConfig = () => parse(read('otel-collector.yaml').replace(/\$\{env:[A-Z_]+:-([^}]*)\}/g, '$1'))

function promtool(): string | undefined {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' })
    return 'promtool'
  } catch {
    return undefined
  }
}

/**
 * The Prometheus name the Collector's prometheus exporter gives an OTLP metric (with its default
 * add_metric_suffixes): dots become underscores, the unit becomes a suffix (annotations like
 * {request} are dropped), monotonic sums get _total, histograms get _bucket/_sum/_count.
 */
export function prometheusNames(metric: Pick<ReceivedMetric, 'name' | 'unit' | 'type' | 'isMonotonic'>): string[] {
  let name = metric.name.replace(/[^a-zA-Z0-9_:]/g, '_')
  const unit = (metric.unit ?? '').replace(/\{[^}]*\}/g, '')
  const suffix = ({ s: 'seconds', ms: 'milliseconds', By: 'bytes', '1': metric.type === 'gauge' ? 'ratio' : '' } as Record<string, string>)[unit] ?? unit
  if (suffix && !name.endsWith(`_${suffix}`)) name += `_${suffix}`
  if (metric.type === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`]
  if (metric.type === 'sum' && metric.isMonotonic) return [`${name}_total`]
  return [name]
}

describe('infra/otel-collector.yaml', () => {
  const config = collectorConfig()

  it('receives OTLP/HTTP on 4318', () => {
    expect(config.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318')
  })

  it('defines every component its pipelines use', () => {
    for (const [name, pipeline] of Object.entries<Record<string, string[]>>(config.service.pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const component of pipeline[kind] ?? []) expect(config[kind], `${name} uses ${kind} ${component}`).toHaveProperty([component])
      }
    }
  })

  it('turns deltas into cumulative series before the Prometheus exporter, with memory_limiter first and batch', () => {
    const metrics = config.service.pipelines.metrics
    expect(metrics.processors[0]).toBe('memory_limiter')
    expect(metrics.processors).toContain('batch')
    expect(metrics.processors.indexOf('delta_to_cumulative')).toBeGreaterThan(-1)
    expect(metrics.exporters).toEqual(['prometheus'])
    expect(config.service.pipelines.traces.processors[0]).toBe('memory_limiter')
    expect(config.service.pipelines.traces.exporters).toEqual(['otlp_grpc/jaeger'])
    expect(config.exporters['otlp_grpc/jaeger'].endpoint).toBe('jaeger:4317')
  })
})

describe('infra/docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'))

  it('runs the Collector, Prometheus, Grafana and Jaeger, mounting files that exist', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'jaeger', 'otel-collector', 'prometheus'])
    for (const service of Object.values<{ volumes?: string[] }>(compose.services)) {
      for (const volume of service.volumes ?? []) expect(existsSync(resolve(INFRA, volume.split(':')[0])), volume).toBe(true)
    }
  })

  it('scrapes the Collector exporter that the Collector config opens', () => {
    const prometheus = parse(read('prometheus/prometheus.yml'))
    const targets = prometheus.scrape_configs.flatMap((s: { static_configs: Array<{ targets: string[] }> }) => s.static_configs[0].targets)
    expect(targets).toContain(`otel-collector:${collectorConfig().exporters.prometheus.endpoint.split(':')[1]}`)
  })
})

describe('infra/prometheus rules', () => {
  const tool = promtool()

  it.runIf(process.env.REQUIRE_PROMTOOL && !tool)('has promtool where CI requires it', () => {
    throw new Error('promtool is not installed: apt-get install prometheus (Debian) gives promtool 2.42')
  })

  it.runIf(tool)('pass promtool check config, check rules and the rule unit tests', () => {
    execFileSync(tool!, ['check', 'config', resolve(INFRA, 'prometheus/prometheus.yml')], { stdio: 'pipe' })
    execFileSync(tool!, ['check', 'rules', resolve(INFRA, 'prometheus/rules.yml')], { stdio: 'pipe' })
    const out = execFileSync(tool!, ['test', 'rules', resolve(INFRA, 'prometheus/rules.test.yml')], { encoding: 'utf8' })
    expect(out).toContain('SUCCESS')
  })

  it('give every alert a for:, a severity and a summary', () => {
    const rules = parse(read('prometheus/rules.yml')).groups.flatMap((g: { rules: unknown[] }) => g.rules)
    const alerts = rules.filter((r: { alert?: string }) => r.alert)
    expect(alerts.map((a: { alert: string }) => a.alert)).toEqual(
      expect.arrayContaining(['EdgeFunctionLatencyP95High', 'EdgeFunctionErrorRatioHigh', 'EdgeFunctionColdStartSpike', 'TelemetryExportFailing']),
    )
    for (const alert of alerts) {
      expect(alert.for, alert.alert).toMatch(/^\d+[smh]$/)
      expect(['warning', 'critical']).toContain(alert.labels.severity)
      expect(alert.annotations.summary).toBeTruthy()
    }
  })
})

describe('names shared by the library, the rules and the dashboard', () => {
  let receiver: Receiver
  let functions: RunningFunctions
  let dispose: () => Promise<void>

  beforeAll(async () => {
    ;({ receiver, functions, dispose } = await startExamplesWithReceiver())
    for (const path of ['/orders/7', '/orders/13']) await (await functions.fetch(path)).arrayBuffer()
    await (await functions.fetch('/orders', { method: 'POST', body: '{"sku":"sku-fig","quantity":1}' })).arrayBuffer()
    await receiver.waitFor(() => receiver.metrics.some((m) => m.name === 'orders.placed'))
    // One more request, so the exporter's own counters (reported one flush late) arrive too.
    await (await functions.fetch('/health')).arrayBuffer()
    await receiver.waitFor(() => receiver.metrics.some((m) => m.name === 'otel.sdk.exporter.span.exported'))
  })

  afterAll(() => dispose?.())

  it('use only Prometheus series that the library really sends', () => {
    const produced = [...new Set(receiver.metrics.flatMap(prometheusNames))].sort()
    const rules: Array<{ expr: string; record?: string }> = parse(read('prometheus/rules.yml')).groups.flatMap(
      (g: { rules: Array<{ expr: string; record?: string }> }) => g.rules,
    )
    const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record!))
    const dashboard = JSON.parse(read('grafana/dashboards/edge-functions.json'))
    const dashboardExprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr))
    const exprs = [...rules.map((r) => r.expr), ...dashboardExprs]

    const missing: string[] = []
    for (const expr of exprs) {
      // Metric names in selectors: name{...} or name[range].
      for (const [, name] of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)) {
        if (name.startsWith('otelcol_') || recorded.has(name) || produced.includes(name)) continue
        missing.push(name)
      }
      // Regex selectors on __name__ must match something the library sends (or the Collector's own).
      for (const [, pattern] of expr.matchAll(/__name__=~"([^"]+)"/g)) {
        const re = new RegExp(`^(?:${pattern})$`)
        if (!pattern.startsWith('otelcol_') && !produced.some((n) => re.test(n))) missing.push(pattern)
      }
      // Recording rules read by other rules and the dashboard must exist.
      for (const [, name] of expr.matchAll(/\b(job(?:_route)?:[a-z0-9_:]+)/g)) if (!recorded.has(name)) missing.push(name)
    }
    expect(missing, `produced: ${produced.join(', ')}`).toEqual([])
  })

  it('link the latency panel to traces in Jaeger', () => {
    const dashboard = JSON.parse(readFileSync(resolve(INFRA, 'grafana/dashboards/edge-functions.json'), 'utf8'))
    const latency = dashboard.panels.find((p: { title: string }) => p.title.startsWith('Latency'))
    expect(JSON.stringify(latency)).toContain('16686/search?service=')
  })
})

describe('infra/docker-compose.yml with docker-compose', () => {
  const available = (() => {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })()

  it.runIf(available)('passes `docker-compose config` (no engine needed)', () => {
    execFileSync('docker-compose', ['-f', resolve(INFRA, 'docker-compose.yml'), 'config', '-q'], { stdio: 'pipe' })
  })
})
