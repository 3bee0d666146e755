/** Whether `value` is workerd's `RpcProperty`: an RPC method of a stub, whose every property is another. */
export const isRpcProperty = (value: unknown): boolean => (value as object | undefined)?.constructor?.name === 'RpcProperty'

/**
 * A member of a platform object (a binding, a stub, `ctx.storage`) read through a proxy: a function
 * bound to the object itself, since workerd refuses a proxy as `this`; an RPC method as it is, since
 * its `bind` would be a remote method too.
 */
export const ownMember = (target: object, key: PropertyKey): any => {
  const value = Reflect.get(target, key)
  return typeof value === 'function' && !isRpcProperty(value) ? value.bind(target) : value
}
