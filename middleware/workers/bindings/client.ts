import { type Attributes, type Span, context, trace } from '@opentelemetry/api'
import { ATTR_DB_NAMESPACE, ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import { KIND_CLIENT, STATUS_ERROR } from '../../sdk/api-values.ts'
import { now } from '../../sdk/clock.ts'
import { recordFailure } from '../../sdk/trace/tracer.ts'
import { telemetry } from '../../runtime/telemetry.ts'
import { ownMember } from '../own-member.ts'

/** Cloudflare's attribute for the env key a binding is bound as (Workers tracing, "Spans and attributes"). */
export const ATTR_BINDING_NAME = 'cloudflare.binding.name'
/** Cloudflare's attribute for the kind of binding. */
export const ATTR_BINDING_TYPE = 'cloudflare.binding.type'

// Arguments and results are whatever the platform's methods take and give, read defensively.
type Any = any

/** What one method of a binding records, and what it hands back. */
export interface Operation {
  /** Sets attributes read from the call's arguments; `keys` is true when keys may be recorded (opt-in). */
  request?(args: Any[], attributes: Attributes, keys: boolean): void
  /** Sets attributes read from the result; returns an `error.type` when the result means the operation failed. */
  response?(result: Any, span: Span, args: Any[]): string | void
  /**
   * Instruments what the method gives back (a D1 statement, an R2 multipart upload), with the binding's attributes;
   * for a member that is no method (Durable Object storage's `sql`), instruments the member itself.
   */
  wrap?(result: Any, base: Attributes, args: Any[]): unknown
  /** Only `wrap` applies: the call itself is no operation (D1 `prepare`, `bind`). */
  untraced?: boolean
  /** Recorded as an event on the active span instead of a span and a duration (a write the runtime sends later). */
  event?: boolean
  /** The operation's name (span name and `db.operation.name`), when it is not the method's. */
  name?: string
  /** Parses stored values: a `SyntaxError` is recorded by its type alone, since its message quotes the value. */
  parses?: boolean
}

/** A kind of binding as a table: its names and its operations by method name. */
export interface BindingKind {
  /** `db.system.name`, e.g. `cloudflare-kv`. */
  system: string
  /** `cloudflare.binding.type`, e.g. `KV`; none for what is no binding (a Durable Object's own storage). */
  type?: string
  /** Span names are `<prefix>_<method>`, as Cloudflare's own tracing names them (`kv_get`, `d1_first`). */
  prefix: string
  operations: Record<string, Operation>
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

function traced(kind: BindingKind, method: string, operation: Operation, original: (...args: Any[]) => unknown, base: Attributes, target: object, proxy: object) {
  const operationName = operation.name ?? method
  const name = `${kind.prefix}_${operationName}`
  return function tracedBindingCall(this: unknown, ...args: Any[]): unknown {
    const self = this === proxy ? target : this
    const active = context.active()
    const parent = operation.untraced ? undefined : trace.getSpan(active)
    if (!parent) {
      const result = Reflect.apply(original, self, args)
      return operation.untraced ? operation.wrap!(result, base, args) : result
    }
    const attributes: Attributes = {
      [ATTR_DB_SYSTEM_NAME]: kind.system,
      [ATTR_DB_OPERATION_NAME]: operationName,
      [ATTR_BINDING_TYPE]: kind.type,
      ...base,
    }
    try {
      operation.request?.(args, attributes, telemetry.config?.recordBindingKeys === true)
    } catch {}
    if (operation.event) {
      parent.addEvent(name, attributes)
      return Reflect.apply(original, self, args)
    }
    const span = telemetry.own.tracer.startSpan(name, { kind: KIND_CLIENT, attributes }, active)
    const start = now()
    const end = (errorType: string | void) => {
      span.end()
      // Keys in sorted order, so the series lookup needs no sort.
      const metric: Attributes = { [ATTR_DB_NAMESPACE]: base[ATTR_DB_NAMESPACE], [ATTR_DB_OPERATION_NAME]: operationName, [ATTR_DB_SYSTEM_NAME]: kind.system }
      if (errorType) metric[ATTR_ERROR_TYPE] = errorType
      telemetry.own.bindingDuration.record((now() - start) / 1000, metric)
    }
    const fail = (error: unknown): never => {
      if (operation.parses && error instanceof SyntaxError) {
        span.setAttribute(ATTR_ERROR_TYPE, error.name)
        span.setStatus({ code: STATUS_ERROR })
        end(error.name)
      } else {
        end(recordFailure(span, error))
      }
      throw error
    }
    const succeed = (result: unknown) => {
      let errorType: string | void = undefined
      try {
        errorType = operation.response?.(result, span, args)
        if (errorType) {
          span.setAttribute(ATTR_ERROR_TYPE, errorType)
          span.setStatus({ code: STATUS_ERROR })
        }
      } catch {}
      end(errorType)
      return operation.wrap ? operation.wrap(result, base, args) : result
    }
    let result: unknown
    try {
      result = Reflect.apply(original, self, args)
    } catch (error) {
      fail(error)
    }
    return isThenable(result) ? result.then(succeed, fail) : succeed(result)
  }
}

/**
 * Returns `binding` with the methods its kind lists traced as CLIENT spans with a
 * `db.client.operation.duration`; its other members are the binding's own. `base` is set on every
 * span: the binding's name (and, for a D1 statement, its query text).
 */
export function instrumentBinding<T extends object>(binding: T, kind: BindingKind, base: Attributes): T {
  const members = new Map<PropertyKey, unknown>()
  const proxy: T = new Proxy(binding, {
    get(target, key) {
      const member = Reflect.get(target, key)
      let wrapped = members.get(key)
      if (!wrapped) {
        const operation = typeof key === 'string' && Object.hasOwn(kind.operations, key) ? kind.operations[key] : undefined
        if (typeof member !== 'function') return member && operation?.wrap ? (members.set(key, (wrapped = operation.wrap(member, base, []))), wrapped) : member
        wrapped = operation ? traced(kind, key as string, operation, member as (...args: Any[]) => unknown, base, target, proxy) : ownMember(target, key)
        members.set(key, wrapped)
      }
      return wrapped
    },
  })
  return proxy
}

/** The base attributes of a binding bound as `name`: `cloudflare.binding.name` and `db.namespace`. */
export const bindingBase = (name: string): Attributes => ({ [ATTR_BINDING_NAME]: name, [ATTR_DB_NAMESPACE]: name })
