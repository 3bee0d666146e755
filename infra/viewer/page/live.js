// The server's event stream: `trace` (a trace changed), `evicted` (traces dropped) and `metrics`.
// EventSource reconnects by itself; the header shows whether updates are flowing.

/** Calls `handlers[event](data)` for each event the server sends. */
export function subscribe(handlers) {
  const status = document.getElementById('live')
  const source = new EventSource('/api/events')
  for (const [event, handle] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => handle(JSON.parse(e.data)))
  }
  source.addEventListener('open', () => {
    status.textContent = 'live'
    status.className = 'live on'
  })
  source.addEventListener('error', () => {
    status.textContent = 'reconnecting…'
    status.className = 'live off'
  })
  return source
}
