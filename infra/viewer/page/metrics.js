// Request metrics per function and route, from the DELTA histograms of http.server.request.duration
// the viewer received: request rate, p50/p95/p99 latency and error ratio, over the last minutes.
import { fill, h } from './dom.js'
import { duration, serviceColor } from './format.js'
import { lineChart } from './chart.js'
import { subscribe } from './live.js'

const PERCENTILE_COLORS = { p50: '#4e79a7', p95: '#f28e2b', p99: '#b07aa1' }
const REFRESH_MS = 10_000

const rate = (v) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)}/s`
const percent = (v) => `${(v * 100).toFixed(v < 0.1 && v > 0 ? 1 : 0)}%`

function headline(label, value, cls) {
  return h('div', { class: ['figure', cls] }, h('span', { class: 'figure-value' }, value), h('span', { class: 'figure-label' }, label))
}

function card(series, snapshot, services) {
  const { fromMs, toMs, slotMs } = snapshot
  const bySlot = new Map(series.slots.map((slot) => [slot.startMs, slot]))
  const allSlots = []
  for (let t = fromMs; t <= toMs; t += slotMs) allSlots.push(t)
  const rates = allSlots.map((t) => [t, bySlot.get(t)?.rate ?? 0])
  const measured = series.slots.filter((slot) => slot.count > 0)
  const total = series.total
  return h(
    'article',
    { class: 'metric-card', dataset: { service: series.service, route: series.route } },
    h('h2', {}, h('span', { class: 'chip', style: { '--service': serviceColor(services, series.service) } }, series.service), ' ', h('code', {}, series.route)),
    h(
      'div',
      { class: 'figures' },
      headline('requests', String(total.count), 'requests'),
      headline('p50', duration(total.p50), 'p50'),
      headline('p95', duration(total.p95), 'p95'),
      headline('p99', duration(total.p99), 'p99'),
      headline('error ratio', percent(total.errorRatio), total.errors ? 'error-ratio error-text' : 'error-ratio'),
    ),
    h(
      'div',
      { class: 'charts' },
      h('figure', {}, h('figcaption', {}, 'Request rate'), lineChart({ title: 'Request rate', fromMs, toMs, slotMs, format: rate, lines: [{ name: 'rate', color: serviceColor(services, series.service), points: rates, dotsAboveZero: true }] })),
      h(
        'figure',
        {},
        h('figcaption', {}, 'Latency ', Object.entries(PERCENTILE_COLORS).map(([p, color]) => h('span', { class: 'key', style: { '--key': color } }, p))),
        lineChart({
          title: 'Latency percentiles',
          fromMs,
          toMs,
          slotMs,
          format: duration,
          lines: Object.entries(PERCENTILE_COLORS).map(([p, color]) => ({ name: p, color, points: measured.map((slot) => [slot.startMs, slot[p]]) })),
        }),
      ),
      h('figure', {}, h('figcaption', {}, 'Error ratio'), lineChart({ title: 'Error ratio', fromMs, toMs, slotMs, format: percent, lines: [{ name: 'error ratio', color: '#e15759', points: measured.map((slot) => [slot.startMs, slot.errorRatio]) }] })),
    ),
  )
}

export async function renderMetrics(main) {
  let services = []
  async function load() {
    const [snapshot, list] = await Promise.all([fetch('/api/metrics').then((r) => r.json()), fetch('/api/traces').then((r) => r.json())])
    services = list.services
    const minutes = Math.round((snapshot.toMs - snapshot.fromMs) / 60_000)
    fill(
      main,
      h('h1', {}, 'Requests per function and route'),
      h('p', { class: 'meta' }, `From the DELTA points of http.server.request.duration received in the last ${minutes} minutes, in ${snapshot.slotMs / 1000} s slots. Errors are requests with error.type (5xx answers and thrown errors).`),
      snapshot.ignoredCumulativePoints
        ? h('p', { class: 'note' }, `${snapshot.ignoredCumulativePoints} CUMULATIVE points were not charted: set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta.`)
        : null,
      snapshot.droppedPoints ? h('p', { class: 'note' }, `${snapshot.droppedPoints} points of further routes were left out (the viewer charts at most 500 pairs).`) : null,
      snapshot.series.length
        ? h('div', { class: 'metric-cards', id: 'metric-cards' }, snapshot.series.map((series) => card(series, snapshot, services)))
        : h('p', { class: 'empty' }, 'No request metrics yet. Each function exports its http.server.request.duration points when a request ends.'),
    )
  }
  let pending
  subscribe({
    metrics() {
      clearTimeout(pending)
      pending = setTimeout(load, 200)
    },
    reconnected: load,
  })
  setInterval(load, REFRESH_MS)
  await load()
}
