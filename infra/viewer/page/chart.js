// A small SVG line chart over time: one line per series, a dot per value (dev traffic is sparse),
// the y axis from 0 to the largest value.
import { s } from './dom.js'

const W = 560
const H = 150
const PAD = { left: 46, right: 10, top: 10, bottom: 22 }

function nice(max) {
  if (!(max > 0)) return 1
  const step = 10 ** Math.floor(Math.log10(max))
  return [1, 2, 2.5, 5, 10].map((m) => m * step).find((v) => v >= max)
}

/**
 * `lines`: [{ name, color, points: [[timeMs, value], …], dotsAboveZero }]; consecutive slots are
 * joined, a missing slot breaks the line; `dotsAboveZero` leaves the dots off zeros. `format` writes
 * an axis value.
 */
export function lineChart({ title, fromMs, toMs, slotMs, lines, format }) {
  const max = nice(Math.max(0, ...lines.flatMap((l) => l.points.map(([, v]) => v))))
  const x = (t) => PAD.left + ((t - fromMs) / Math.max(1, toMs - fromMs)) * (W - PAD.left - PAD.right)
  const y = (v) => H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom)
  const grid = [0, max / 2, max].map((v) =>
    s('g', { class: 'grid' }, s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }), s('text', { x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, format(v))),
  )
  const minutes = Math.round((toMs - fromMs) / 60_000)
  const series = lines.map((line) => {
    const segments = []
    let current = []
    let last
    for (const [t, v] of line.points) {
      if (last !== undefined && t - last > slotMs) {
        segments.push(current)
        current = []
      }
      current.push(`${x(t + slotMs / 2).toFixed(1)},${y(v).toFixed(1)}`)
      last = t
    }
    segments.push(current)
    return s(
      'g',
      { class: 'series', dataset: { series: line.name } },
      segments.filter((p) => p.length > 1).map((p) => s('polyline', { points: p.join(' '), stroke: line.color, fill: 'none' })),
      line.points.filter(([, v]) => v > 0 || !line.dotsAboveZero).map(([t, v]) => s('circle', { cx: x(t + slotMs / 2).toFixed(1), cy: y(v).toFixed(1), r: 3, fill: line.color }, s('title', {}, `${line.name}: ${format(v)}`))),
    )
  })
  return s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
    grid,
    s('text', { class: 'axis', x: PAD.left, y: H - 6 }, `${minutes} min ago`),
    s('text', { class: 'axis', x: W - PAD.right, y: H - 6, 'text-anchor': 'end' }, 'now'),
    series,
  )
}
