import type { BindingKind } from './client.ts'

/**
 * Workers Analytics Engine: `writeDataPoint` is an event (`analytics_engine_writeDataPoint`) on the
 * active span, not a span: it returns at once and the runtime sends the point later, so a span would
 * time nothing. Blobs, doubles and indexes are never recorded.
 */
export const ANALYTICS_ENGINE: BindingKind = {
  system: 'cloudflare-analytics-engine',
  type: 'ANALYTICS_ENGINE',
  prefix: 'analytics_engine',
  operations: { writeDataPoint: { event: true } },
}
