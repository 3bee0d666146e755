// Picks the page for the address: the trace list, a trace, or the metrics.
import { renderList } from './list.js'
import { renderMetrics } from './metrics.js'
import { renderTrace } from './trace.js'

const main = document.getElementById('main')
const path = location.pathname
const trace = /^\/traces\/([0-9a-f]{32})$/.exec(path)

document.getElementById(path === '/metrics' ? 'nav-metrics' : 'nav-traces').classList.add('current')
const span = new URLSearchParams(location.search).get('span')
if (trace) renderTrace(main, trace[1], /^[0-9a-f]{16}$/.test(span ?? '') ? span : undefined)
else if (path === '/metrics') renderMetrics(main)
else renderList(main)
