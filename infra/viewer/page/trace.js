// A trace's page: the waterfall of its spans, nested by parent and placed by start time and
// duration, one colour per service; the trace's log records on the timeline under their spans;
// links to and from other traces; and, for a clicked span, its attributes, events, links and resource.
import { fill, h, tracePath } from './dom.js'
import { KINDS, clock, duration, serviceColor, severity, valueText } from './format.js'
import { subscribe } from './live.js'

const INDENT_PX = 16
/** Deeper spans are drawn at this depth (their data-depth stays true). */
const MAX_DRAWN_DEPTH = 30
const STATUS = ['UNSET', 'OK', 'ERROR']

function attributeTable(attributes, leaveOut = []) {
  const entries = Object.entries(attributes ?? {})
    .filter(([key]) => !leaveOut.includes(key))
    .sort(([a], [b]) => a.localeCompare(b))
  if (!entries.length) return h('p', { class: 'none' }, 'none')
  return h('table', { class: 'attrs' }, h('tbody', {}, entries.map(([key, value]) => h('tr', {}, h('th', {}, key), h('td', {}, h('code', {}, valueText(value)))))))
}

function section(title, ...content) {
  return h('section', { class: 'detail-section' }, h('h3', {}, title), ...content)
}

export async function renderTrace(main, traceId, selected) {
  const open = new Set(selected ? [selected] : [])
  let data
  let scrolled = false

  function spanDetail(span, t0) {
    const stack = (e) => e.attributes['exception.stacktrace']
    return h(
      'div',
      { class: 'detail', dataset: { detailFor: span.spanId } },
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'service'), h('dd', {}, span.service),
        h('dt', {}, 'kind'), h('dd', {}, KINDS[span.kind] ?? String(span.kind)),
        h('dt', {}, 'duration'), h('dd', {}, `${duration(span.endMs - span.startMs)}, from +${duration(span.startMs - t0)}`),
        h('dt', {}, 'status'), h('dd', { class: span.status.code === 2 ? 'error-text' : '' }, STATUS[span.status.code] ?? '', span.status.message ? `: ${span.status.message}` : ''),
        h('dt', {}, 'span id'), h('dd', {}, h('code', {}, span.spanId)),
        h('dt', {}, 'parent'), h('dd', {}, h('code', {}, span.parentSpanId ?? '(root)')),
        h('dt', {}, 'scope'), h('dd', {}, [span.scope.name, span.scope.version].filter(Boolean).join(' ') || '–'),
      ),
      section('Attributes', attributeTable(span.attributes)),
      span.events.length
        ? section(
            'Events',
            span.events.map((e) =>
              h(
                'div',
                { class: ['event', e.name === 'exception' && 'exception'] },
                h('div', { class: 'event-head' }, h('strong', {}, e.name), ` at +${duration(e.timeMs - t0)}`),
                attributeTable(e.attributes, ['exception.stacktrace']),
                stack(e) !== undefined ? h('pre', { class: 'stack' }, valueText(stack(e))) : null,
              ),
            ),
          )
        : null,
      span.links.length
        ? section(
            'Links',
            h(
              'ul',
              { class: 'links' },
              span.links.map((l) => h('li', {}, h('a', { href: tracePath(l.traceId, l.spanId) }, `trace ${l.traceId}, span ${l.spanId}`), attributeTable(l.attributes))),
            ),
          )
        : null,
      section('Resource', attributeTable(span.resource)),
      span.dropped.attributes + span.dropped.events + span.dropped.links
        ? h('p', { class: 'note' }, `Dropped by the sender's or the viewer's limits: ${span.dropped.attributes} attributes, ${span.dropped.events} events, ${span.dropped.links} links.`)
        : null,
    )
  }

  function draw() {
    const { spans, logs, summary, services, linkedFrom, truncated } = data
    const byId = new Map(spans.map((s) => [s.spanId, s]))
    const children = new Map()
    for (const span of spans) {
      const parent = span.parentSpanId && byId.has(span.parentSpanId) ? span.parentSpanId : ''
      if (!children.has(parent)) children.set(parent, [])
      children.get(parent).push(span)
    }
    const logsOf = new Map()
    for (const log of logs) {
      const key = log.spanId && byId.has(log.spanId) ? log.spanId : ''
      if (!logsOf.has(key)) logsOf.set(key, [])
      logsOf.get(key).push(log)
    }
    const times = [...spans.flatMap((s) => [s.startMs, s.endMs]), ...logs.map((l) => l.timeMs)]
    const t0 = Math.min(...times)
    const total = Math.max(Math.max(...times) - t0, 0.001)
    const at = (t) => `${Math.min(100, Math.max(0, ((t - t0) / total) * 100))}%`
    const color = (service) => serviceColor(services, service)

    const rows = []
    const drawn = new Set()
    const indent = (depth) => ({ paddingLeft: `${Math.min(depth, MAX_DRAWN_DEPTH) * INDENT_PX + 8}px` })

    function logRow(log, depth) {
      const level = severity(log)
      return h(
        'div',
        { class: ['wf-row', 'log-row', `severity-${level.toLowerCase()}`], dataset: { spanId: log.spanId ?? '', depth: String(depth) }, title: `${clock(log.timeMs)} ${log.service}` },
        h('div', { class: 'wf-name', style: indent(depth) }, h('span', { class: 'severity' }, level), h('span', { class: 'log-body' }, valueText(log.body)), h('span', { class: 'log-attrs' }, Object.entries(log.attributes).map(([k, v]) => ` ${k}=${valueText(v)}`).join(''))),
        h('div', { class: 'wf-track' }, h('div', { class: 'log-mark', style: { left: at(log.timeMs) } })),
      )
    }

    function spanRow(span, depth) {
      const kind = KINDS[span.kind] ?? 'UNSPECIFIED'
      const error = span.status.code === 2
      const orphan = span.parentSpanId && !byId.has(span.parentSpanId)
      const into = linkedFrom.filter((l) => l.toSpanId === span.spanId)
      return h(
        'div',
        {
          class: ['wf-row', 'span-row', error && 'error', open.has(span.spanId) && 'open'],
          dataset: { spanId: span.spanId, parentId: span.parentSpanId ?? '', depth: String(depth), service: span.service, kind, status: error ? 'error' : 'ok' },
          onclick: (e) => {
            if (e.target.closest('a')) return
            if (open.has(span.spanId)) open.delete(span.spanId)
            else open.add(span.spanId)
            draw()
          },
        },
        h(
          'div',
          { class: 'wf-name', style: indent(depth) },
          h('span', { class: 'swatch', style: { '--service': color(span.service) } }),
          h('span', { class: 'span-name' }, span.name),
          h('span', { class: `kind kind-${kind.toLowerCase()}` }, kind),
          error ? h('span', { class: 'badge error' }, 'ERROR') : null,
          orphan ? h('span', { class: 'note' }, 'parent not received') : null,
          span.links.map((l) => h('a', { class: 'trace-link', href: tracePath(l.traceId, l.spanId), title: `Linked span ${l.spanId} of trace ${l.traceId}` }, `↗ ${span.kind === 5 ? 'producer' : 'linked'} trace ${l.traceId.slice(0, 8)}`)),
          into.map((l) => h('a', { class: 'trace-link', href: tracePath(l.traceId, l.spanId), title: `Span ${l.spanId} of trace ${l.traceId} links here` }, `↘ ${l.service}: ${l.name}`)),
        ),
        h(
          'div',
          { class: 'wf-track' },
          h('div', { class: 'bar', style: { left: at(span.startMs), width: `${((span.endMs - span.startMs) / total) * 100}%`, '--service': color(span.service) } }),
          span.events.map((e) => h('div', { class: ['event-mark', e.name === 'exception' && 'exception'], style: { left: at(e.timeMs) }, title: e.name })),
          h('span', { class: 'bar-label', style: { left: at(span.endMs) } }, duration(span.endMs - span.startMs)),
        ),
      )
    }

    function visit(span, depth) {
      if (drawn.has(span.spanId)) return
      drawn.add(span.spanId)
      rows.push(spanRow(span, depth))
      if (open.has(span.spanId)) rows.push(spanDetail(span, t0))
      for (const log of logsOf.get(span.spanId) ?? []) rows.push(logRow(log, depth + 1))
      for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1)
    }
    for (const root of children.get('') ?? []) visit(root, 0)
    // Spans whose parents form a loop have no root: drawn at the top level rather than left out.
    for (const span of spans) visit(span, 0)
    for (const log of logsOf.get('') ?? []) rows.push(logRow(log, 0))

    const ticks = [0, 0.25, 0.5, 0.75, 1]
    const error = summary.errorCount > 0
    fill(
      main,
      h(
        'section',
        { class: 'trace-head' },
        h('p', { class: 'crumbs' }, h('a', { href: '/' }, '← all traces')),
        h('h1', {}, summary.rootName, error ? h('span', { class: 'badge error' }, `ERROR ×${summary.errorCount}`) : h('span', { class: 'badge ok' }, 'OK')),
        h('p', { class: 'meta' }, `trace `, h('code', {}, summary.traceId), ` · started ${clock(summary.startMs)} · ${duration(summary.durationMs)} · ${summary.spanCount} spans · ${summary.logCount} logs`),
        h('p', { class: 'legend' }, summary.services.map((name) => h('span', { class: 'chip', style: { '--service': color(name) } }, name))),
        linkedFrom.length
          ? h(
              'p',
              { class: 'linked-from' },
              'Linked from: ',
              // One entry per linking trace: its first span that links here.
              linkedFrom.filter((l, i) => linkedFrom.findIndex((m) => m.traceId === l.traceId) === i).map((l) => h('a', { class: 'trace-link', href: tracePath(l.traceId, l.spanId) }, `${l.service}: ${l.name} (trace ${l.traceId.slice(0, 8)})`)),
            )
          : null,
        truncated.spans || truncated.logs ? h('p', { class: 'note' }, `Past the viewer's per-trace limits, ${truncated.spans} spans and ${truncated.logs} logs were left out.`) : null,
      ),
      h(
        'div',
        { class: 'waterfall', id: 'waterfall' },
        h('div', { class: 'wf-row wf-axis' }, h('div', { class: 'wf-name' }, 'span'), h('div', { class: 'wf-track' }, ticks.map((f) => h('span', { class: ['tick', f === 1 && 'last'], style: { left: `${f * 100}%` } }, duration(f * total))))),
        rows,
      ),
      h('p', { class: 'hint' }, 'Click a span for its attributes, events, links and resource.'),
    )
    if (selected && !scrolled) {
      scrolled = true
      main.querySelector(`[data-span-id="${selected}"]`)?.scrollIntoView({ block: 'center' })
    }
  }

  let reload
  async function load() {
    const response = await fetch(`/api/traces/${traceId}`)
    if (!response.ok) {
      const { error } = await response.json().catch(() => ({ error: `HTTP ${response.status}` }))
      fill(main, h('p', { class: 'crumbs' }, h('a', { href: '/' }, '← all traces')), h('p', { class: 'empty', id: 'not-found' }, error))
      return
    }
    data = await response.json()
    draw()
  }

  subscribe({
    trace({ summary }) {
      if (summary?.traceId !== traceId) return
      clearTimeout(reload)
      reload = setTimeout(load, 250)
    },
    reconnected: load,
  })
  await load()
}
