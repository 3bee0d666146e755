// The trace list: newest first, updated as traces arrive, filtered by service, errors, duration
// and trace id. The filters live in the address, so a filtered list can be bookmarked.
import { fill, h, tracePath } from './dom.js'
import { clock, duration, serviceColor } from './format.js'
import { subscribe } from './live.js'

export async function renderList(main) {
  const traces = new Map()
  let services = []
  let maxTraces = 0
  const fresh = new Set()
  const query = new URLSearchParams(location.search)

  const service = h('select', { id: 'filter-service', 'aria-label': 'Service' })
  const errorsOnly = h('input', { type: 'checkbox', id: 'filter-errors', checked: query.get('errors') === '1' })
  const slower = h('input', { type: 'number', id: 'filter-slower', min: '0', step: 'any', placeholder: 'ms', value: query.get('slower') ?? '' })
  const traceId = h('input', { type: 'search', id: 'filter-trace', placeholder: 'trace id', spellcheck: 'false', value: query.get('trace') ?? '' })
  const count = h('span', { class: 'count', id: 'trace-count' })
  const body = h('tbody', { id: 'trace-rows' })
  const empty = h('p', { class: 'empty' })

  fill(
    main,
    h(
      'form',
      { class: 'filters', onsubmit: (e) => e.preventDefault() },
      h('label', {}, 'Service ', service),
      h('label', {}, errorsOnly, ' errors only'),
      h('label', {}, 'slower than ', slower, ' ms'),
      h('label', {}, 'Trace ', traceId),
      count,
    ),
    h(
      'table',
      { class: 'traces' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Root span'), h('th', {}, 'Services'), h('th', { class: 'num' }, 'Spans'), h('th', { class: 'num' }, 'Duration'), h('th', {}, 'Status'))),
      body,
    ),
    empty,
  )

  function filters() {
    return {
      service: service.value,
      errors: errorsOnly.checked,
      slower: slower.value === '' ? undefined : Number(slower.value),
      trace: traceId.value.trim().toLowerCase(),
    }
  }

  function keepInAddress(f) {
    const q = new URLSearchParams()
    if (f.service) q.set('service', f.service)
    if (f.errors) q.set('errors', '1')
    if (f.slower !== undefined) q.set('slower', String(f.slower))
    if (f.trace) q.set('trace', f.trace)
    history.replaceState(null, '', q.size ? `/?${q}` : '/')
  }

  function serviceOptions() {
    const chosen = service.value || query.get('service') || ''
    const names = [...new Set([...services, ...(chosen ? [chosen] : [])])].sort()
    fill(service, h('option', { value: '' }, 'all services'), names.map((name) => h('option', { value: name, selected: name === chosen }, name)))
    service.value = chosen
  }

  function row(t) {
    const path = tracePath(t.traceId)
    const error = t.errorCount > 0
    return h(
      'tr',
      {
        class: ['trace-row', error && 'error', fresh.has(t.traceId) && 'fresh'],
        dataset: { traceId: t.traceId, status: error ? 'error' : 'ok' },
        onclick: (e) => {
          if (!e.target.closest('a') && path) location.assign(path)
        },
      },
      h('td', { class: 'time', title: new Date(t.startMs).toISOString() }, clock(t.startMs)),
      h('td', { class: 'root' }, h('a', { href: path }, t.rootName), t.hasRoot ? null : h('span', { class: 'note', title: 'No span of this trace without a parent has arrived (yet)' }, ' root not received'), h('div', { class: 'trace-id' }, t.traceId)),
      h('td', { class: 'services' }, t.services.map((name) => h('span', { class: 'chip', style: { '--service': serviceColor(services, name) } }, name))),
      h('td', { class: 'num' }, String(t.spanCount)),
      h('td', { class: 'num' }, duration(t.durationMs)),
      h('td', { class: 'status' }, error ? h('span', { class: 'badge error' }, `ERROR ×${t.errorCount}`) : h('span', { class: 'badge ok' }, 'OK')),
    )
  }

  let scheduled = false
  function render() {
    scheduled = false
    const f = filters()
    keepInAddress(f)
    const shown = [...traces.values()]
      .filter((t) => (!f.service || t.services.includes(f.service)) && (!f.errors || t.errorCount > 0) && (f.slower === undefined || t.durationMs > f.slower) && (!f.trace || t.traceId.startsWith(f.trace)))
      .sort((a, b) => b.startMs - a.startMs)
    fill(body, shown.map(row))
    fill(count, `${shown.length} of ${traces.size} traces (the viewer keeps the last ${maxTraces})`)
    fill(
      empty,
      traces.size
        ? shown.length
          ? ''
          : 'No trace matches these filters.'
        : 'No traces yet. Send requests to your functions; traces appear here as they arrive, without a reload.',
    )
  }
  const later = () => {
    if (!scheduled) requestAnimationFrame(render)
    scheduled = true
  }

  for (const input of [service, errorsOnly, slower, traceId]) input.addEventListener('input', later)

  subscribe({
    trace({ summary, services: known }) {
      if (!summary) return
      if (known.length !== services.length) {
        services = known
        serviceOptions()
      }
      if (!traces.has(summary.traceId)) {
        fresh.add(summary.traceId)
        setTimeout(() => fresh.delete(summary.traceId), 2000)
      }
      traces.set(summary.traceId, summary)
      later()
    },
    evicted(ids) {
      for (const id of ids) traces.delete(id)
      later()
    },
    reconnected: () => load(true),
  })

  async function load(replace) {
    const response = await fetch('/api/traces')
    const data = await response.json()
    services = data.services
    maxTraces = data.maxTraces
    if (replace) traces.clear()
    for (const t of data.traces) if (!traces.has(t.traceId)) traces.set(t.traceId, t)
    serviceOptions()
    render()
  }
  await load(false)
}
