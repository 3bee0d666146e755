import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { INTERNAL_PROPERTIES, buildLibrary, buildTypes, inlineSemanticConventions } from './build.ts'

const ROOT = new URL('..', import.meta.url).pathname

function declarationFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...declarationFiles(path))
    else if (/\.d\.[mc]?ts$/.test(name)) out.push(path)
  }
  return out
}

/** The library's TypeScript files, as paths relative to middleware/, every layer's folder included. */
function librarySources(): string[] {
  return (readdirSync(join(ROOT, 'middleware'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.startsWith('dist') && !f.includes('node_modules') && !f.startsWith('.types-'))
}

/** Every member name the declarations give a property, method or parameter. */
function declaredNames(files: string[]): Set<string> {
  const names = new Set<string>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
    for (const [, name] of text.matchAll(/["']?([A-Za-z_$][\w$]*)["']?\??\s*[:(]/g)) names.add(name)
  }
  return names
}

describe('the package build', () => {
  it('shortens no name that code outside the library declares', () => {
    const external = declaredNames(
      [
        'node_modules/@opentelemetry', // what user code, the API singletons and the SDK exporters (edge-otel/sdk) read
        'node_modules/@types/node', // Node, Bun and Deno objects (otelAnywhere)
        'node_modules/hono/dist/types',
        'node_modules/@cloudflare/workers-types',
        'node_modules/@typescript/typescript-linux-x64/lib', // the JavaScript and web platform built-ins
        'node_modules/otlp-proto-root/build', // OTLP/JSON field names
      ].flatMap((dir) => declarationFiles(join(ROOT, dir))),
    )
    expect(external.size).toBeGreaterThan(5000)
    expect(INTERNAL_PROPERTIES.filter((name) => external.has(name))).toEqual([])
  })

  it('shortens no option or field of a type the package exports', () => {
    const index = readFileSync(join(ROOT, 'middleware/index.ts'), 'utf8')
    const exported = new Set<string>()
    for (const [, typeOnly, list] of index.matchAll(/export (type )?\{([^}]*)\}/g)) {
      for (const [, isType, name] of list.matchAll(/(type )?(\w+)/g)) if (typeOnly || isType) exported.add(name)
    }
    const members = new Set<string>()
    for (const file of librarySources()) {
      const text = readFileSync(join(ROOT, 'middleware', file), 'utf8')
      for (const [, name, body] of text.matchAll(/export (?:interface|type) (\w+)[^{=]*[{=]([\s\S]*?)\n\}/g)) {
        if (!exported.has(name)) continue
        for (const [, member] of body.matchAll(/^\s*(?:readonly\s+)?(\w+)\??:/gm)) members.add(member)
      }
    }
    expect(members).toContain('serviceName')
    expect(members).toContain('spilledAt')
    expect(INTERNAL_PROPERTIES.filter((name) => members.has(name))).toEqual([])
  })

  it('shortens no name the library also spells as a string (a computed or quoted access, which the build leaves long)', () => {
    // The test kit is left out: it reaches the runtime through the build's own table of shortened names
    // (`property('own')` in testing/capture.ts), the one access by string that follows the build. Type
    // arguments (`Pick<T, 'name'>`) are erased, so they are left out too.
    const source = librarySources()
      .filter((f) => !f.endsWith('.test.ts') && f !== 'build.ts' && !f.startsWith('testing'))
      .map((f) => readFileSync(join(ROOT, 'middleware', f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/\b(?:Pick|Omit)<[^>]*>/g, ''))
      .join('\n')
    expect(source).toContain("'traceparent'")
    expect(INTERNAL_PROPERTIES.filter((name) => new RegExp(`['"\`]${name}['"\`]`).test(source))).toEqual([])
  })

  it('lists only names the library uses', () => {
    const source = librarySources()
      .filter((f) => !f.endsWith('.test.ts') && f !== 'build.ts')
      .map((f) => readFileSync(join(ROOT, 'middleware', f), 'utf8'))
      .join('\n')
    expect(INTERNAL_PROPERTIES.filter((name) => !new RegExp(`[.\\s]${name}\\b`).test(source))).toEqual([])
  })

  it('writes semantic-convention constants in as their values', () => {
    const source = "import { ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions'\nspan.setAttribute(ATTR_HTTP_ROUTE, r)\n"
    expect(inlineSemanticConventions(source, 'x.ts')).toBe('span.setAttribute("http.route", r)\n')
    expect(() => inlineSemanticConventions("import { NOT_A_NAME } from '@opentelemetry/semantic-conventions'\n", 'x.ts')).toThrow(/NOT_A_NAME/)
  })

  it('builds one module that imports only the API, hono and runtime built-ins', async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'edge-otel-build-')), 'index.js')
    await buildLibrary(outfile)
    const dist = readFileSync(outfile, 'utf8')
    // An import's `from` follows `}` or a space; a string ending in "from" (an attribute name) is not one.
    const imports = new Set([...dist.matchAll(/(?:^|[}\s])from\s*"([^"]+)"/gm)].map((m) => m[1]))
    expect([...imports].sort()).toEqual(['@opentelemetry/api', 'hono/http-exception', 'hono/route', 'node:async_hooks'])
    expect(dist).toContain('"http.server.request.duration"')
    expect(dist).not.toMatch(/\.(sensitiveQueryKeys|droppedAttributes|hexBytes)\b/)
    // Names the platform gives its own objects stay as they are: a Workflow event's instanceId.
    expect(dist).toMatch(/\.instanceId\b/)
  })
})

describe('the package types (dist/index.d.ts)', () => {
  let types = ''
  let dist = ''
  let dir = ''

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edge-otel-types-'))
    await Promise.all([buildTypes(join(dir, 'index.d.ts')), buildLibrary(join(dir, 'index.js'))])
    types = readFileSync(join(dir, 'index.d.ts'), 'utf8')
    dist = readFileSync(join(dir, 'index.js'), 'utf8')
  })

  it('import only the peer dependencies: no .ts extension, nothing that needs @types/node', () => {
    const code = types.replace(/\/\*[\s\S]*?\*\//g, '')
    const imports = new Set([...code.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]))
    expect([...imports].sort()).toEqual(['@opentelemetry/api', 'hono'])
    expect(types).not.toMatch(/\/\/\/\s*<reference/)
    expect(code).not.toMatch(/AsyncLocalStorage|node:/)
  })

  it('declare no member under a name the build shortens, so each type matches its objects at run time', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'edge-otel-types-')), 'index.d.ts')
    writeFileSync(file, types)
    const names = declaredNames([file])
    expect(names).toContain('serviceName')
    expect(names).toContain('spilledAt')
    expect(INTERNAL_PROPERTIES.filter((name) => names.has(name))).toEqual([])
  })

  it('of edge-otel/sdk (dist/sdk.d.ts) declare no member under a name the build shortens either', () => {
    const names = declaredNames([join(dir, 'sdk.d.ts')])
    expect(names).toContain('spanProcessors')
    expect(names).toContain('onEnd')
    expect(INTERNAL_PROPERTIES.filter((name) => names.has(name))).toEqual([])
  })

  it('of edge-otel/sdk declare what dist/sdk.js exports: everything edge-otel does, and sdkExporters', () => {
    const exportsOf = (code: string) => (code.match(/export\s*\{([^}]*)\}\s*;\s*(?:\/\/.*\s*)?$/)?.[1] ?? '').split(',').map((e) => e.trim().split(/\s+as\s+/).pop()!).filter(Boolean).sort()
    const sdk = readFileSync(join(dir, 'sdk.js'), 'utf8')
    const sdkTypes = readFileSync(join(dir, 'sdk.d.ts'), 'utf8')
    expect(exportsOf(sdk)).toEqual([...exportsOf(dist), 'sdkExporters'].sort())
    expect([...sdkTypes.matchAll(/^export declare (?:const|function|class|let|enum) (\w+)/gm)].map((m) => m[1]).sort()).toEqual(exportsOf(sdk))
    expect(dist).not.toContain('sdkExporters')
    expect(dist).not.toContain("span processor's")
  })

  it('declare as values exactly what the module exports', () => {
    const declared = [...types.matchAll(/^export declare (?:const|function|class|let|enum) (\w+)/gm)].map((m) => m[1])
    const exportList = dist.match(/export\s*\{([^}]*)\}\s*;\s*(?:\/\/.*\s*)?$/)?.[1] ?? ''
    const exported = exportList.split(',').map((e) => e.trim().split(/\s+as\s+/).pop()).filter(Boolean)
    expect(exported).toContain('otel')
    expect(declared.sort()).toEqual(exported.sort())
  })
})
