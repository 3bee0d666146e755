// The trace viewer in a real browser (Debian's Chromium through playwright-core), fed by the example
// functions in workerd: requests go through the gateway, the functions export to the viewer, and the
// page is read as a user sees it.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Viewer, startViewer } from '../infra/viewer/viewer.ts'
import type { RunningFunctions } from './functions.ts'
import { ORDER_TRACE_SIZE } from './trace-helpers.ts'
import { CHROMIUM, hasChromium, launchChromium, startExamplesWithViewer } from './viewer-browser.ts'

const skip = !hasChromium() && !process.env.CI
if (skip) console.warn(`test/viewer.test.ts skipped: no ${CHROMIUM} (apt-get install chromium; .ci/run installs it, and CI never skips)`)

/** The page's globals, which the repository's TypeScript (no DOM library) does not declare. */
type PageWindow = { getComputedStyle(el: unknown): { paddingLeft: string; backgroundColor: string }; loadedOnce?: boolean; __xss?: number }

/** The HTML a sender puts into its telemetry, in the hope that the page renders it as markup. */
const XSS = `<img src=x onerror="window.__xss=1">`

describe.skipIf(skip)('the trace viewer in Chromium, fed by the example functions', () => {
  let viewer: Viewer
  let functions: RunningFunctions
  let dispose: () => Promise<void>
  let browser: Browser
  let page: Page
  /** GET /orders/:id requests sent through the gateway, and how many of them failed. */
  const orderGets = { sent: 0, failed: 0 }

  beforeAll(async () => {
    if (!hasChromium()) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`)
    ;({ viewer, functions, dispose } = await startExamplesWithViewer({ maxTraces: 100 }))
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await dispose?.()
  })

  async function getOrder(id: number): Promise<number> {
    const response = await functions.fetch(`/orders/${id}`)
    await response.arrayBuffer()
    orderGets.sent++
    if (response.status >= 500) orderGets.failed++
    return response.status
  }

  /** The id of the one trace (in the viewer's store) whose root is `rootName` and that `matches`, once it is there. */
  async function traceWhere(rootName: string, matches: (t: ReturnType<Viewer['traces']['list']>[number]) => boolean, known = new Set<string>()): Promise<string> {
    let id: string | undefined
    await expect
      .poll(() => (id = viewer.traces.list().find((t) => t.rootName === rootName && !known.has(t.traceId) && matches(t))?.traceId), { timeout: 15_000 })
      .toBeDefined()
    return id!
  }

  it('shows a new trace in the list as it arrives, without a reload', async () => {
    await page.goto(`${viewer.url}/`)
    await page.locator('#trace-count').getByText('0 of 0 traces').waitFor()
    await page.evaluate(() => ((globalThis as unknown as PageWindow).loadedOnce = true))

    expect(await getOrder(7)).toBe(200)
    const row = page.locator('tr.trace-row', { hasText: 'GET /orders/:id' })
    await expect.poll(() => row.locator('td.num').first().textContent(), { timeout: 15_000 }).toBe(String(ORDER_TRACE_SIZE))
    expect(await row.locator('td.services .chip').allTextContents()).toEqual(['gateway', 'orders', 'inventory'])
    expect(await row.getAttribute('data-status')).toBe('ok')
    expect(await page.evaluate(() => (globalThis as unknown as PageWindow).loadedOnce)).toBe(true)
    expect(await page.locator('#live').textContent()).toBe('live')
  })

  it("draws the trace's eight spans as bars nested by parent, in the order of the call chain", async () => {
    await page.locator('tr.trace-row', { hasText: 'GET /orders/:id' }).locator('td.root a').click()
    await page.waitForURL(/\/traces\/[0-9a-f]{32}$/)
    const rows = page.locator('.span-row')
    await expect.poll(() => rows.count()).toBe(ORDER_TRACE_SIZE)

    const drawn = await rows.evaluateAll((els) =>
      els.map((el) => {
        const row = el
        const bar = row.querySelector('.bar')!.getBoundingClientRect()
        return {
          spanId: row.dataset.spanId!,
          parentId: row.dataset.parentId!,
          depth: Number(row.dataset.depth),
          service: row.dataset.service!,
          kind: row.querySelector('.kind')!.textContent!,
          name: row.querySelector('.span-name')!.textContent!,
          indent: Number.parseFloat((globalThis as unknown as PageWindow).getComputedStyle(row.querySelector('.wf-name')!).paddingLeft),
          barLeft: bar.left,
          barWidth: bar.width,
        }
      }),
    )
    // The call chain gateway → orders → inventory, depth first.
    expect(drawn.map((r) => [r.depth, r.service, r.kind, r.name])).toEqual([
      [0, 'gateway', 'SERVER', 'GET /orders/:id'],
      [1, 'gateway', 'CLIENT', 'GET'],
      [2, 'orders', 'SERVER', 'GET /orders/:id'],
      [3, 'orders', 'INTERNAL', 'load order'],
      [4, 'orders', 'CLIENT', 'd1_first'],
      [3, 'orders', 'CLIENT', 'GET'],
      [4, 'inventory', 'SERVER', 'GET /stock/:sku'],
      [5, 'inventory', 'CLIENT', 'kv_get'],
    ])
    // Each row sits under its parent's row, indented one step further, its bar starting no earlier.
    for (const [i, row] of drawn.entries()) {
      if (row.depth === 0) {
        expect(row.parentId).toBe('')
        continue
      }
      const parent = drawn.slice(0, i).findLast((r) => r.depth === row.depth - 1)!
      expect(row.parentId).toBe(parent.spanId)
      expect(row.indent).toBeGreaterThan(parent.indent)
      expect(row.barLeft).toBeGreaterThanOrEqual(parent.barLeft - 1)
    }
    // The root's bar spans the whole timeline.
    expect(drawn[0].barWidth).toBeGreaterThan(drawn.find((r) => r.service === 'inventory')!.barWidth)
    const colors = await rows.locator('.swatch').evaluateAll((els) => els.map((el) => (globalThis as unknown as PageWindow).getComputedStyle(el).backgroundColor))
    expect(new Set(colors).size).toBe(3)
  })

  it('marks the failing trace in the list and its failing spans on the page, with the exception and its stack', async () => {
    await page.goto(`${viewer.url}/`)
    expect(await getOrder(13)).toBe(502)
    const failed = page.locator('tr.trace-row[data-status="error"]')
    await failed.first().waitFor({ timeout: 15_000 })
    // Inventory fails before it reads its stock cache: one span fewer than a whole order trace.
    await expect.poll(() => failed.locator('td.num').first().textContent(), { timeout: 15_000 }).toBe(String(ORDER_TRACE_SIZE - 1))
    expect(await failed.count()).toBe(1)
    expect(await failed.locator('.badge.error').textContent()).toMatch(/^ERROR ×\d+$/)
    expect(await failed.evaluate((el) => (globalThis as unknown as PageWindow).getComputedStyle(el).backgroundColor)).not.toBe(
      await page.locator('tr.trace-row[data-status="ok"]').first().evaluate((el) => (globalThis as unknown as PageWindow).getComputedStyle(el).backgroundColor),
    )

    await failed.locator('td.root a').click()
    const inventory = page.locator('.span-row[data-service="inventory"]')
    await inventory.waitFor()
    expect(await inventory.getAttribute('data-status')).toBe('error')
    expect(await inventory.locator('.badge.error').textContent()).toBe('ERROR')
    await inventory.click()
    const detail = page.locator('.detail')
    await detail.waitFor()
    expect(await detail.locator('table.attrs tr', { hasText: 'error.type' }).locator('td').textContent()).toBe('WarehouseUnavailableError')
    expect(await detail.locator('.event.exception pre.stack').textContent()).toMatch(/^WarehouseUnavailableError: warehouse for sku-recalled is not answering\n\s+at /)
    expect(await detail.locator('.detail-section', { hasText: 'Resource' }).locator('tr', { hasText: 'service.name' }).locator('td').textContent()).toBe('inventory')
  })

  it("links the queue consumer's trace to the producer's, both ways, and puts the order's log record under its span", async () => {
    const before = new Set(viewer.traces.list().map((t) => t.traceId))
    const response = await functions.fetch('/orders', { method: 'POST', body: JSON.stringify({ sku: 'sku-apple', quantity: 1 }) })
    expect(response.status).toBe(201)
    const producer = await traceWhere('POST /orders', (t) => t.logCount === 1 && t.services.length === 3, before)
    const consumer = await traceWhere('process order-placed', (t) => t.services.includes('fulfillment'), before)
    const send = viewer.traces.detail(producer)!.spans.find((s) => s.kind === 4)!

    await page.goto(`${viewer.url}/traces/${producer}`)
    const log = page.locator('.log-row')
    await log.waitFor()
    expect(await log.locator('.log-body').textContent()).toBe('order accepted')
    expect(await log.locator('.severity').textContent()).toBe('INFO')
    // The row just above the log is the span that wrote it.
    const above = await log.evaluate((el) => el.previousElementSibling.dataset)
    expect(above).toMatchObject({ service: 'orders', kind: 'SERVER', spanId: await log.getAttribute('data-span-id') })
    expect(await page.locator('.linked-from a').textContent()).toContain('fulfillment: process order-placed')

    await page.goto(`${viewer.url}/traces/${consumer}`)
    await page.locator('.span-row[data-kind="CONSUMER"] a.trace-link').first().click()
    await page.waitForURL(`${viewer.url}/traces/${producer}?span=${send.spanId}`)
    const opened = page.locator(`.span-row[data-span-id="${send.spanId}"]`)
    await opened.waitFor()
    expect(await opened.getAttribute('data-kind')).toBe('PRODUCER')
    expect(await page.locator(`.detail[data-detail-for="${send.spanId}"]`).count()).toBe(1)
  })

  it('shows HTML that arrives in telemetry as text, through the examples and in every field of a crafted export', async () => {
    const before = new Set(viewer.traces.list().map((t) => t.traceId))
    const response = await functions.fetch('/orders', { method: 'POST', body: JSON.stringify({ sku: XSS, quantity: 1 }) })
    expect(response.status).toBe(409)
    const rejected = await traceWhere('POST /orders', (t) => t.logCount === 1 && t.services.length === 3, before)

    const crafted = '0af7651916cd43dd8448eb211c80319c'
    const span = (spanId: string, name: string, parentSpanId?: string) => ({
      traceId: crafted,
      spanId,
      parentSpanId,
      name,
      kind: 2,
      startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      endTimeUnixNano: String((BigInt(Date.now()) + 5n) * 1_000_000n),
      attributes: [{ key: `<b>${XSS}</b>`, value: { stringValue: XSS } }],
      events: [{ name: XSS, timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), attributes: [{ key: 'exception.stacktrace', value: { stringValue: `</pre>${XSS}` } }] }],
      status: { code: 2, message: XSS },
    })
    const exported = await fetch(`${viewer.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: `<script>window.__xss=2</script>` } }] }, scopeSpans: [{ spans: [span('b7ad6b7169203331', XSS), span('00f067aa0ba902b7', `${XSS} child`, 'b7ad6b7169203331')] }] }],
      }),
    })
    expect(exported.status).toBe(200)

    await page.goto(`${viewer.url}/`)
    const row = page.locator(`tr.trace-row[data-trace-id="${crafted}"]`)
    await row.waitFor()
    expect(await row.locator('td.root a').textContent()).toBe(XSS)
    expect(await row.locator('.chip').textContent()).toBe('<script>window.__xss=2</script>')

    await row.locator('td.root a').click()
    await page.locator('.span-row').first().click()
    const detail = page.locator('.detail')
    await detail.waitFor()
    expect(await detail.locator('table.attrs th').first().textContent()).toBe(`<b>${XSS}</b>`)
    expect(await detail.locator('pre.stack').textContent()).toBe(`</pre>${XSS}`)
    expect(await page.locator('.span-row .span-name').allTextContents()).toEqual([XSS, `${XSS} child`])

    await page.goto(`${viewer.url}/traces/${rejected}`)
    expect(await page.locator('.log-row .log-attrs').textContent()).toContain(`app.order.sku=${XSS}`)

    // Nothing of it became markup, and no handler ran.
    for (const path of ['/', `/traces/${crafted}`, `/traces/${rejected}`]) {
      await page.goto(`${viewer.url}${path}`)
      await page.locator('main *').first().waitFor()
      expect(await page.locator('main img, main b, main iframe, script:not([src="/assets/app.js"])').count()).toBe(0)
      expect(await page.evaluate(() => (globalThis as unknown as PageWindow).__xss)).toBeUndefined()
    }
  })

  it('filters the list by service, errors, duration and trace id', async () => {
    await page.goto(`${viewer.url}/`)
    const rows = page.locator('tr.trace-row')
    await rows.first().waitFor()
    const all = await rows.count()
    expect(all).toBe(viewer.traces.size)

    const statuses = () => rows.evaluateAll((els) => els.map((el) => el.dataset.status))
    await page.locator('#filter-errors').check()
    const errors = viewer.traces.list().filter((t) => t.errorCount > 0).length
    expect(errors).toBeGreaterThan(0)
    await expect.poll(statuses).toEqual(Array(errors).fill('error'))
    await page.locator('#filter-errors').uncheck()
    await expect.poll(() => rows.count()).toBe(all)

    await page.locator('#filter-service').selectOption('fulfillment')
    const consumers = viewer.traces.list().filter((t) => t.services.includes('fulfillment')).map((t) => t.rootName)
    expect(consumers.length).toBeGreaterThan(0)
    await expect.poll(() => rows.locator('td.root a').allTextContents()).toEqual(consumers)
    expect(new URL(page.url()).searchParams.get('service')).toBe('fulfillment')
    await page.locator('#filter-service').selectOption('')

    const slowest = Math.max(...viewer.traces.list().map((t) => t.durationMs))
    await page.locator('#filter-slower').fill(String(slowest))
    await expect.poll(() => rows.count()).toBe(0)
    expect(await page.locator('p.empty').textContent()).toBe('No trace matches these filters.')
    await page.locator('#filter-slower').fill(String(slowest / 2))
    await expect.poll(() => rows.count()).toBe(viewer.traces.list().filter((t) => t.durationMs > slowest / 2).length)
    await page.locator('#filter-slower').fill('')

    const one = viewer.traces.list()[0].traceId
    await page.locator('#filter-trace').fill(one.slice(0, 10))
    await expect.poll(() => rows.evaluateAll((els) => els.map((el) => el.dataset.traceId))).toEqual([one])
  })

  it('charts request rate, latency percentiles and error ratio per function and route, and updates them live', async () => {
    const gatewayOrders = () => viewer.metrics.snapshot().series.find((s) => s.service === 'gateway' && s.route === '/orders/:id')
    await expect.poll(() => gatewayOrders()?.total.count, { timeout: 15_000 }).toBe(orderGets.sent)

    await page.goto(`${viewer.url}/metrics`)
    const card = page.locator('.metric-card[data-service="gateway"][data-route="/orders/:id"]')
    await card.waitFor()
    expect(await card.locator('.figure.requests .figure-value').textContent()).toBe(String(orderGets.sent))
    expect(await card.locator('.figure.error-ratio .figure-value').textContent()).toBe(`${Math.round((orderGets.failed / orderGets.sent) * 100)}%`)
    for (const p of ['p50', 'p95', 'p99']) expect(await card.locator(`.figure.${p} .figure-value`).textContent()).toMatch(/^\d+(\.\d+)? m?s$/)
    const charts = card.locator('svg.chart')
    expect(await charts.count()).toBe(3)
    for (const i of [0, 1, 2]) expect(await charts.nth(i).locator('circle').count()).toBeGreaterThan(0)
    expect(await charts.nth(1).locator('g.series').evaluateAll((els) => els.map((el) => el.dataset.series))).toEqual(['p50', 'p95', 'p99'])

    expect(await getOrder(8)).toBe(200)
    await expect.poll(() => card.locator('.figure.requests .figure-value').textContent(), { timeout: 15_000 }).toBe(String(orderGets.sent))
  })

  it('catches up when the viewer restarts under an open page', async () => {
    let other = await startViewer({ port: 0 })
    const port = Number(new URL(other.url).port)
    try {
      await page.goto(`${other.url}/`)
      await page.locator('#live').getByText('live').waitFor()
      await other.close()
      await page.locator('#live').getByText('reconnecting…').waitFor()
      other = await startViewer({ port })
      // Sent while the page is not yet connected again: only a fresh read of the list shows it.
      const json = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'after the restart', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }
      expect((await fetch(`${other.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) })).status).toBe(200)
      await page.locator('tr.trace-row', { hasText: 'after the restart' }).waitFor({ timeout: 15_000 })
      expect(await page.locator('#live').textContent()).toBe('live')
    } finally {
      await other.close()
    }
  })
})
