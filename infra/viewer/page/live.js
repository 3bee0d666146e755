// The server's event stream: `trace` (a trace changed), `evicted` (traces dropped) and `metrics`.
// EventSource reconnects by itself; the header shows whether updates are flowing.

/**
 * Calls `handlers[event](data)` for each event the server sends, and `reconnected()` when the stream
 * comes back after a break (the viewer restarted, say), since what happened meanwhile was not sent.
 */
export function subscribe({ reconnected, ...handlers }) {
  const status = document.getElementById('live')
  const source = new EventSource('/api/events')
  let broken = false
  for (const [event, handle] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handle(JSON.parse(e.data)))
  }
  source.addEventListener('open', () => {
    status.textContent = 'live'
    status.className = 'live on'
    if (broken) reconnected?.()
    broken = false
  })
  source.addEventListener('error', () => {
    broken = true
    status.textContent = 'reconnecting…'
    status.className = 'live off'
  })
  return source
}
