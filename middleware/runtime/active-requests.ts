import type { Attributes, UpDownCounter } from '@opentelemetry/api'

/**
 * `http.server.active_requests` that returns to zero even for requests that never end. A request the
 * runtime drops (the client went away, the handler hung) never reaches its end, so a plain
 * add(+1)/add(-1) pair would drift upward for the isolate's life. Each started request is kept here,
 * oldest first, until it ends or until `expire` finds it older than the request timeout.
 */
export class ActiveRequests {
  /** Each active request: when it started (ms since the epoch) and the attributes it was counted with. */
  readonly #open = new Map<object, [since: number, attributes: Attributes]>()
  readonly #gauge: () => UpDownCounter

  constructor(gauge: () => UpDownCounter) {
    this.#gauge = gauge
  }

  /** Requests started and not yet ended or expired. */
  get size(): number {
    return this.#open.size
  }

  /** Counts `request` as active from `since`. */
  start(request: object, attributes: Attributes, since = Date.now()): void {
    this.#open.set(request, [since, attributes])
    this.#gauge().add(1, attributes)
  }

  /** Counts `request` as ended; false if it was not active (never started, already ended or expired). */
  end(request: object): boolean {
    const entry = this.#open.get(request)
    if (entry) {
      this.#open.delete(request)
      this.#gauge().add(-1, entry[1])
    }
    return !!entry
  }

  /** Ends every request that started `maxAge` ms or more before `now`; returns how many. */
  expire(now: number, maxAge: number): number {
    let expired = 0
    for (const [request, [since]] of this.#open) {
      if (now - since < maxAge) break
      expired += +this.end(request)
    }
    return expired
  }
}
