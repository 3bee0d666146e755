import { describe, expect, it } from 'vitest'
import { isRpcProperty, ownMember } from './own-member.ts'

class Platform {
  #secret = 'private field'
  read() {
    return this.#secret
  }
}

/** Stands in for workerd's `RpcProperty` by its constructor name, the only thing `isRpcProperty` reads. */
const RpcProperty = function RpcProperty() {}

describe('ownMember', () => {
  it('binds a method to the object itself, so it works detached from the proxy', () => {
    const target = new Platform()
    const proxy = new Proxy<Platform>(target, { get: ownMember })
    const { read } = proxy
    expect(read()).toBe('private field')
  })

  it('hands data members and RPC methods back as they are', () => {
    const method = Object.assign(() => 'remote', { constructor: RpcProperty })
    const target = { size: 3, method }
    expect(isRpcProperty(method)).toBe(true)
    expect(ownMember(target, 'size')).toBe(3)
    expect(ownMember(target, 'method')).toBe(method)
    expect(ownMember(target, 'missing')).toBeUndefined()
  })
})
