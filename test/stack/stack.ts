// The real stack on 127.0.0.1: the Collector (built from infra/stack/otelcol-builder.yaml, running
// infra/otel-collector.yaml itself with its addresses set by env), Jaeger v2 with in-memory storage,
// and Debian's Prometheus scraping the Collector and evaluating infra/prometheus/rules.yml.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { buildStack } from '../../infra/stack/build.ts'
import { type Service, freePort, startService, waitForHttp } from './processes.ts'
import { type PrometheusClient, prometheusClient, prometheusConfig, shortenedRules } from './prometheus.ts'

const INFRA = resolve(import.meta.dirname, '../../infra')
/** The Collector config the stack runs: the project's own. */
export const COLLECTOR_CONFIG = join(INFRA, 'otel-collector.yaml')

/** The address a `${env:NAME:-default}` placeholder of infra/otel-collector.yaml defaults to. */
function collectorDefault(path: string[]): string {
  let node = parse(readFileSync(COLLECTOR_CONFIG, 'utf8'))
  for (const key of path) node = node[key]
  const match = /^\$\{env:[A-Z_]+:-(.+)\}$/.exec(String(node))
  if (!match) throw new Error(`${path.join('.')} in infra/otel-collector.yaml is not an env placeholder with a default: ${node}`)
  return match[1]
}

export interface Stack {
  /** The Collector binary built from infra/stack/otelcol-builder.yaml. */
  collectorBinary: string
  /** The Collector's OTLP/HTTP base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpUrl: string
  prometheus: PrometheusClient
  /** Jaeger's query API base URL. */
  jaegerUrl: string
  /** SIGKILLs the Collector (a crash). */
  killCollector(): Promise<void>
  /** Starts the Collector again on the same addresses and waits until it is healthy. */
  startCollector(): Promise<void>
  stop(): Promise<void>
}

/** Builds (or reuses) the binaries, starts Jaeger, the Collector and Prometheus, and waits until each answers. */
export async function startStack(): Promise<Stack> {
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' })
  } catch {
    throw new Error("Prometheus is not installed: `apt-get install prometheus` (Debian's package gives prometheus and promtool)")
  }
  const binaries = await buildStack()
  const dir = mkdtempSync(join(tmpdir(), 'edge-otel-stack-'))
  const services: Service[] = []
  const stop = async () => {
    for (const service of services.reverse()) await service.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const [otlp, exporter, health, telemetry, jaegerOtlp, jaegerHttp, jaegerGrpc, prometheusPort] = await Promise.all(
      Array.from({ length: 8 }, () => freePort()),
    )
    const jaeger = startService(
      'jaeger',
      binaries.jaeger,
      ['--config', join(INFRA, 'stack/jaeger.yaml')],
      {
        JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${jaegerOtlp}`,
        JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${jaegerHttp}`,
        JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${jaegerGrpc}`,
      },
      join(dir, 'jaeger.log'),
    )
    services.push(jaeger)
    const jaegerUrl = `http://127.0.0.1:${jaegerHttp}`
    await waitForHttp(jaeger, `${jaegerUrl}/api/services`)

    const collectorEnv = {
      OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${otlp}`,
      OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${exporter}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      OTELCOL_TELEMETRY_HOST: '127.0.0.1',
      OTELCOL_TELEMETRY_PORT: String(telemetry),
      OTELCOL_JAEGER_ENDPOINT: `127.0.0.1:${jaegerOtlp}`,
    }
    let collector!: Service
    const startCollector = async () => {
      collector = startService('collector', binaries.collector, ['--config', COLLECTOR_CONFIG], collectorEnv, join(dir, 'collector.log'))
      services.push(collector)
      await waitForHttp(collector, `http://127.0.0.1:${health}/`)
    }
    await startCollector()

    // prometheus.yml names the Collector by its compose host name and the ports its config defaults to.
    const defaultPort = (path: string[]) => collectorDefault(path).split(':').pop()
    const rulesFile = join(dir, 'rules.yml')
    writeFileSync(rulesFile, shortenedRules())
    writeFileSync(
      join(dir, 'prometheus.yml'),
      prometheusConfig(
        {
          [`otel-collector:${defaultPort(['exporters', 'prometheus', 'endpoint'])}`]: `127.0.0.1:${exporter}`,
          [`otel-collector:${collectorDefault(['service', 'telemetry', 'metrics', 'readers', '0', 'pull', 'exporter', 'prometheus', 'port'])}`]: `127.0.0.1:${telemetry}`,
        },
        rulesFile,
      ),
    )
    const prometheus = startService(
      'prometheus',
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ],
      {},
      join(dir, 'prometheus.log'),
    )
    services.push(prometheus)
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`
    await waitForHttp(prometheus, `${prometheusUrl}/-/ready`)

    return {
      collectorBinary: binaries.collector,
      otlpUrl: `http://127.0.0.1:${otlp}`,
      prometheus: prometheusClient(prometheusUrl),
      jaegerUrl,
      killCollector: () => collector.kill(),
      startCollector,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
