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

/** Orders 1..500 exist. Order 13 points at a recalled SKU, whose stock lookup fails. */
export const LAST_ORDER_ID = 500
export const RECALLED_SKU = 'sku-recalled'

const SKUS = ['sku-apple', 'sku-pear', 'sku-plum', 'sku-fig', 'sku-kiwi']

export const STOCK: Record<string, Stock> = {
  'sku-apple': { sku: 'sku-apple', available: 120, warehouse: 'ams' },
  'sku-pear': { sku: 'sku-pear', available: 0, warehouse: 'ams' },
  'sku-plum': { sku: 'sku-plum', available: 42, warehouse: 'fra' },
  'sku-fig': { sku: 'sku-fig', available: 7, warehouse: 'fra' },
  'sku-kiwi': { sku: 'sku-kiwi', available: 300, warehouse: 'lhr' },
}

export function findOrder(id: string): Order | undefined {
  if (!/^[1-9][0-9]{0,5}$/.test(id)) return undefined
  const n = Number(id)
  if (n > LAST_ORDER_ID) return undefined
  return { id: n, sku: n === 13 ? RECALLED_SKU : SKUS[n % SKUS.length], quantity: (n % 3) + 1 }
}
