// How the pages write durations, times, kinds and colours.

/** SpanKind names, indexed by the OTLP number. */
export const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']

export const SEVERITIES = [
  [21, 'FATAL'],
  [17, 'ERROR'],
  [13, 'WARN'],
  [9, 'INFO'],
  [5, 'DEBUG'],
  [1, 'TRACE'],
]

/** The severity name of a log record: its text, else the range its number falls in. */
export function severity(log) {
  if (log.severityText) return log.severityText.toUpperCase()
  return (SEVERITIES.find(([from]) => log.severityNumber >= from) ?? [0, 'UNSET'])[1]
}

export function duration(ms) {
  if (!Number.isFinite(ms)) return '–'
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 1) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

export function clock(ms) {
  const d = new Date(ms)
  const pad = (n, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

// Tableau 10 without its red, which marks errors.
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac', '#86bcb6']

/** A service's colour: by the order the viewer first received it in, the same on every page. */
export function serviceColor(services, name) {
  const i = services.indexOf(name)
  if (i >= 0) return PALETTE[i % PALETTE.length]
  let hash = 0
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) | 0
  return PALETTE[Math.abs(hash) % PALETTE.length]
}

/** A value as text: strings as they are, the rest as JSON. */
export function valueText(value) {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
