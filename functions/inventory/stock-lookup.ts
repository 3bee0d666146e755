import { WorkerEntrypoint } from 'cloudflare:workers'
import { type Stock, STOCK } from '../../shared/catalog.ts'

/** Inventory's RPC interface for other functions: the gateway's GET /stock/:sku calls `stock`. */
export class StockLookup extends WorkerEntrypoint {
  async stock(sku: string): Promise<Stock | null> {
    return STOCK[sku] ?? null
  }
}
