// `node test/viewer-screenshot.ts`: remakes docs/viewer-trace.png, the trace page README.md shows:
// an order that fails in inventory, through the example functions, in headless Chromium.
import { fileURLToPath } from 'node:url'
import { launchChromium, startExamplesWithViewer } from './viewer-browser.ts'

const OUT = fileURLToPath(new URL('../docs/viewer-trace.png', import.meta.url))

const { viewer, functions, dispose } = await startExamplesWithViewer()
const browser = await launchChromium()
try {
  for (const path of ['/orders/7', '/orders/13']) await functions.fetch(path)
  await functions.fetch('/orders', { method: 'POST', body: JSON.stringify({ sku: 'sku-fig', quantity: 2 }) })
  const failed = () => viewer.traces.list().find((t) => t.errorCount > 0 && t.hasRoot && t.services.length >= 3)
  while (!failed()) await new Promise((r) => setTimeout(r, 100))
  await new Promise((r) => setTimeout(r, 1000))
  const trace = viewer.traces.detail(failed()!.traceId)!
  const thrown = trace.spans.find((s) => s.status.code === 2 && s.events.length)
  const page = await browser.newPage({ viewport: { width: 1280, height: 840 }, deviceScaleFactor: 1 })
  await page.goto(`${viewer.url}/traces/${trace.summary.traceId}${thrown ? `?span=${thrown.spanId}` : ''}`)
  await page.locator('.span-row').first().waitFor()
  await page.screenshot({ path: OUT })
  console.log(`wrote ${OUT}`)
} finally {
  await browser.close()
  await dispose()
}
