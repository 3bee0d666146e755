// Debian's Chromium driven by playwright-core (browser downloads cannot run here), and the example
// functions exporting to the trace viewer: what the viewer's browser test and its screenshot share.
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { type Viewer, type ViewerOptions, startViewer } from '../infra/viewer/viewer.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from './functions.ts'

/** Debian's `chromium` package (`.ci/run` installs it). */
export const CHROMIUM = '/usr/bin/chromium'

export const hasChromium = () => existsSync(CHROMIUM)

/** Headless Chromium; playwright-core gives it a fresh profile directory of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The viewer on a free port and the example functions exporting to it. */
export async function startExamplesWithViewer(options: ViewerOptions = {}): Promise<{ viewer: Viewer; functions: RunningFunctions; dispose(): Promise<void> }> {
  const viewer = await startViewer({ port: 0, ...options })
  const functions = await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: viewer.url })
  return {
    viewer,
    functions,
    dispose: async () => {
      await functions.dispose()
      await viewer.close()
    },
  }
}
