/** The example shop's data, shared by the orders and inventory functions. */

export interface Order {
  id: number
  sku: string
  quantity: number
}

export interface Stock {
  sku: string
  available: number
  warehouse: string
}

/**
 * Orders 1..500 exist (seeded into D1 by functions/orders/migrations). Order 13 points at a recalled SKU, whose stock lookup fails; order 77 at a SKU
 * kept in a far warehouse, whose stock lookup is slow; order 88 at a SKU whose warehouse feed is
 * down, so inventory answers from its last known stock.
 */
export const LAST_ORDER_ID = 500
export const RECALLED_SKU = 'sku-recalled'
export const FAR_SKU = 'sku-durian'
export const STALE_SKU = 'sku-lychee'
/** How long a stock lookup in the far warehouse takes, in ms. */
export const FAR_WAREHOUSE_MS = 300

const SKUS = ['sku-apple', 'sku-pear', 'sku-plum', 'sku-fig', 'sku-kiwi']

export const STOCK: Record<string, Stock> = {
  'sku-apple': { sku: 'sku-apple', available: 120, warehouse: 'ams' },
  'sku-pear': { sku: 'sku-pear', available: 0, warehouse: 'ams' },
  'sku-plum': { sku: 'sku-plum', available: 42, warehouse: 'fra' },
  'sku-fig': { sku: 'sku-fig', available: 7, warehouse: 'fra' },
  'sku-kiwi': { sku: 'sku-kiwi', available: 300, warehouse: 'lhr' },
  [FAR_SKU]: { sku: FAR_SKU, available: 12, warehouse: 'sin' },
  [STALE_SKU]: { sku: STALE_SKU, available: 25, warehouse: 'hkg' },
}

/** An order id as a number, or undefined for one that cannot name an order (orders live in D1, functions/orders/migrations). */
export function orderId(id: string): number | undefined {
  return /^[1-9][0-9]{0,5}$/.test(id) ? Number(id) : undefined
}
