import { DurableObject } from 'cloudflare:workers'
import { STOCK } from '../../shared/catalog.ts'

export interface Reservation {
  reserved: boolean
  /** Stock left to reserve after this call. */
  remaining: number
}

/**
 * One object per SKU (named by it): holds the SKU's stock not yet reserved, and takes reservations
 * against it one at a time, so two orders never reserve the same items.
 */
export class StockReservation extends DurableObject {
  async reserve(sku: string, quantity: number): Promise<Reservation> {
    const available = (await this.ctx.storage.get<number>('available')) ?? STOCK[sku]?.available ?? 0
    if (quantity > available) return { reserved: false, remaining: available }
    await this.ctx.storage.put('available', available - quantity)
    return { reserved: true, remaining: available - quantity }
  }
}
