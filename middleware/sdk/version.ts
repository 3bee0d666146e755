/** The library's name and version, as sent in `telemetry.sdk.*` and the exporter's User-Agent; `version.test.ts` holds them to package.json. */
export const LIBRARY_NAME = 'edge-otel'
export const LIBRARY_VERSION = '0.1.0'
