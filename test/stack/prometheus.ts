// Prometheus for the real stack: its config and rules generated from infra/prometheus/ itself,
// and a client of its HTTP API.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse, stringify } from 'yaml'

const PROMETHEUS_DIR = resolve(import.meta.dirname, '../../infra/prometheus')

/** One minute of the project's rules becomes this many milliseconds in the test. */
export const MINUTE_MS = 1000

/**
 * infra/prometheus/prometheus.yml with its targets moved (`targets` maps each host:port it names to
 * the one to scrape), `rule_files` pointing at `rulesFile`, and every interval one second.
 */
export function prometheusConfig(targets: Record<string, string>, rulesFile: string): string {
  const config = parse(readFileSync(resolve(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'))
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' }
  config.rule_files = [rulesFile]
  for (const scrape of config.scrape_configs as Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>) {
    for (const group of scrape.static_configs) {
      group.targets = group.targets.map((target) => {
        if (!targets[target]) throw new Error(`prometheus.yml scrapes ${target} (job ${scrape.job_name}), which the stack does not run`)
        return targets[target]
      })
    }
  }
  return stringify(config)
}

function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let total = 0
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(n) * units[unit]
  return total
}

/**
 * infra/prometheus/rules.yml with every `for:` and group `interval:` shortened so that a minute
 * lasts MINUTE_MS: 10m becomes 10s. The expressions, their range windows and thresholds are kept.
 */
export function shortenedRules(): string {
  const rules = parse(readFileSync(resolve(PROMETHEUS_DIR, 'rules.yml'), 'utf8'))
  const shorten = (text: string) => `${Math.max(1000, Math.round((durationMs(text) * MINUTE_MS) / 60_000))}ms`
  for (const group of rules.groups as Array<{ interval?: string; rules: Array<{ for?: string }> }>) {
    if (group.interval) group.interval = shorten(group.interval)
    for (const rule of group.rules) if (rule.for) rule.for = shorten(rule.for)
  }
  return stringify(rules)
}

export interface Sample {
  metric: Record<string, string>
  value: number
}

export interface Series {
  metric: Record<string, string>
  values: Array<[number, number]>
}

export interface Alert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
  value: string
}

/** A client of Prometheus's HTTP API at `url`. */
export function prometheusClient(url: string) {
  async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const response = await fetch(`${url}${path}?${new URLSearchParams(params)}`)
    const body = (await response.json()) as { status: string; data: T; error?: string }
    if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error}`)
    return body.data
  }
  return {
    url,
    /** An instant query that returns a vector. */
    async query(expr: string): Promise<Sample[]> {
      const data = await api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>('/api/v1/query', {
        query: expr,
      })
      if (data.resultType !== 'vector') throw new Error(`${expr} gave a ${data.resultType}, not a vector`)
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
    },
    /** The raw samples of `selector` over the last `range` (e.g. "10m"), as Prometheus stored them. */
    async samples(selector: string, range: string): Promise<Series[]> {
      const data = await api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>('/api/v1/query', {
        query: `${selector}[${range}]`,
      })
      return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, Number(v)] as [number, number]) }))
    },
    async alerts(): Promise<Alert[]> {
      return (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts
    },
    async labelValues(label: string, match: string): Promise<string[]> {
      return api<string[]>(`/api/v1/label/${label}/values`, { 'match[]': match })
    },
  }
}

export type PrometheusClient = ReturnType<typeof prometheusClient>
