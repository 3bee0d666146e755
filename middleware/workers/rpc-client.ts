import { type Attributes, context, propagation, trace } from '@opentelemetry/api'
import { ATTR_RPC_METHOD, ATTR_RPC_SYSTEM_NAME } from '@opentelemetry/semantic-conventions'
import { KIND_CLIENT } from '../sdk/api-values.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { isRpcProperty, ownMember } from './own-member.ts'

/**
 * The method an instrumented Durable Object or `WorkerEntrypoint` adds for traced callers:
 * `[RPC_CALL](carrier, method, args)` runs `method(...args)` under the caller's trace context.
 */
export const RPC_CALL = '__edgeOtelRpc'

/** `rpc.system.name` of Workers RPC (Durable Object stubs and service bindings). */
export const RPC_SYSTEM = 'cloudflare_workers_rpc'

/** Cloudflare's own Workers tracing names the called method so (its "RPC Handler" attribute). */
export const ATTR_JSRPC_METHOD = 'cloudflare.jsrpc.method'

/** The RPC attributes of a call: `rpc.method` is `Service/method`, as the RPC conventions name it. */
export const rpcAttributes = (service: string, method: string): Attributes => ({
  [ATTR_RPC_SYSTEM_NAME]: RPC_SYSTEM,
  [ATTR_RPC_METHOD]: `${service}/${method}`,
  [ATTR_JSRPC_METHOD]: method,
})

// What a binding's callee is, once an isolate has seen: true, instrumented (calls carry the trace
// context); false, not (calls go to the method as written). Unknown until the first traced call.
const callees = new WeakMap<object, boolean>()

// biome-ignore lint: any function
type Callable = (...args: any[]) => any

/**
 * A stub's or service binding's RPC method (workerd's `RpcProperty`) whose calls get a CLIENT span
 * inside a traced request. To an instrumented callee the call goes through `RPC_CALL` with the trace
 * context; the first call to one that is not instrumented learns so from workerd's "does not
 * implement" error, which no user code ran to raise, and goes to the method itself, as every later
 * call from the isolate does. Property reads and promise pipelining pass through untouched.
 */
function tracedMethod(stub: Record<string, Callable>, method: string, property: Callable, callee: object, name: string): Callable {
  return new Proxy<Callable>(property, {
    get: ownMember,
    apply(target: Callable, _, args: unknown[]) {
      const active = context.active()
      const known = callees.get(callee)
      if (!trace.getSpan(active)) return Reflect.apply(target, undefined, args)
      const attributes = rpcAttributes(name, method)
      attributes['cloudflare.binding.name'] = name
      const span = telemetry.own.tracer.startSpan(attributes[ATTR_RPC_METHOD] as string, { kind: KIND_CLIENT, attributes }, active)
      const carrier = {}
      propagation.inject(trace.setSpan(active, span), carrier)
      const plain = () => Reflect.apply(target, undefined, args) as Promise<unknown>
      const carried = () => stub[RPC_CALL](carrier, method, args) as Promise<unknown>
      const notInstrumented = (error: unknown) => String((error as Error)?.message).includes(`"${RPC_CALL}"`)
      const result =
        known === false
          ? plain()
          : known
            ? carried()
            : carried().then(
                (value) => (callees.set(callee, true), value),
                (error) => {
                  if (!notInstrumented(error)) throw error
                  callees.set(callee, false)
                  return plain()
                },
              )
      // Ends the span without touching what the caller gets (an RpcPromise keeps its pipelining).
      result.then(
        () => span.end(),
        (error) => {
          // A callee redeployed without instrumentation: learn again on the next call.
          if (notInstrumented(error)) callees.delete(callee)
          recordFailure(span, error)
          span.end()
        },
      )
      return result
    },
  })
}

/** A Durable Object stub or service binding whose RPC methods and `fetch` are traced. */
function tracedStub<T extends object>(stub: T, callee: object, name: string, traceFetch: (f: Callable) => Callable): T {
  return new Proxy(stub, {
    get(target, key) {
      const value = ownMember(target, key)
      if (key === 'fetch') return traceFetch(value)
      return typeof key === 'string' && isRpcProperty(value) ? tracedMethod(target as Record<string, Callable>, key, value, callee, name) : value
    },
  })
}

/**
 * The hook `instrumentEnv` calls for each binding: a service binding (with `fetch`) gets its RPC
 * methods traced; a Durable Object namespace gets stubs whose `fetch` and RPC methods are traced.
 * Anything else is returned as it is. `traceFetch` traces a binding's `fetch`.
 */
export function rpcBinding<T>(binding: T, name: string, traceFetch: (f: Callable) => Callable): T {
  if (typeof binding !== 'object' || binding === null) return binding
  if (typeof (binding as { fetch?: unknown }).fetch === 'function') return tracedStub(binding, binding, name, traceFetch)
  if (binding.constructor?.name !== 'DurableObjectNamespace') return binding
  return new Proxy(binding, {
    get(target, key) {
      const value = ownMember(target, key)
      return key === 'get' || key === 'getByName' ? (...args: unknown[]) => tracedStub(value(...args), target, name, traceFetch) : value
    },
  })
}
