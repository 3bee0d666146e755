// What the binding variants do per request: three KV reads and one D1 query, as a shop's order page might.
import type { Hono } from 'hono'

export type BindingEnv = { Bindings: { KV: KVNamespace; DB: D1Database } }

/** The KV keys and the D1 table `seedBindings` (bench/run.ts) fills before the load. */
export const KV_KEYS = ['stock:sku-apple', 'stock:sku-pear', 'stock:sku-plum']

export function routeBindingCalls(app: Hono<BindingEnv>): void {
  app.get('/hello/:param', async (c) => {
    let stock = 0
    for (const key of KV_KEYS) stock += Number(await c.env.KV.get(key))
    const order = await c.env.DB.prepare('SELECT id, sku, quantity FROM orders WHERE id = ?').bind(7).first<{ sku: string }>()
    return c.text(`Hello ${c.req.param('param')}: ${order?.sku} ${stock}`)
  })
}
