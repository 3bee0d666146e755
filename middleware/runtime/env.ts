// Reading settings from a worker's env bindings: each bad value becomes a message that names the
// setting and the fix, and a safe default.

export type Env = Record<string, unknown> | undefined

export function read(env: Env, name: string): string | undefined {
  const value = env?.[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

/** A value from a fixed set; anything else is reported and replaced by the fallback. */
export function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T, problems: string[], note = ''): T {
  if (value === undefined) return fallback
  if ((allowed as readonly string[]).includes(value)) return value as T
  problems.push(`${name}="${value}" is not supported${note}; using "${fallback}". Set it to one of ${allowed.map((v) => `"${v}"`).join(', ')}.`)
  return fallback
}

/** A `true`/`false` switch, case-insensitive and off unless set; anything else is reported and read as off. */
export function readSwitch(env: Env, name: string, problems: string[]): boolean {
  return oneOf(read(env, name)?.toLowerCase(), name, ['true', 'false'], 'false', problems) === 'true'
}

export function resolveLimit(env: Env, name: string, fallback: number, problems: string[]): number {
  const value = read(env, name)
  if (value === undefined) return fallback
  const n = Number(value)
  if (Number.isInteger(n) && n >= 0) return n
  problems.push(`${name}="${value}" is not a non-negative integer; using ${fallback}.`)
  return fallback
}
