/** The library's name and version, as sent in `telemetry.sdk.*` and the exporter's User-Agent. */
export const LIBRARY_NAME = 'edge-otel'
export const LIBRARY_VERSION = '0.1.0'
