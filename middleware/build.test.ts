import { readFileSync, readdirSync, statSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AUDITED, INTERNAL_PROPERTIES, buildLibrary, inlineSemanticConventions } from './build.ts'

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
        'node_modules/@opentelemetry/api/dist', // what user code and the API singletons read
        'node_modules/hono/dist/types',
        'node_modules/@cloudflare/workers-types',
        'node_modules/@typescript/typescript-linux-x64/lib', // the JavaScript and web platform built-ins
        'node_modules/otlp-proto-root/build', // OTLP/JSON field names
      ].flatMap((dir) => declarationFiles(join(ROOT, dir))),
    )
    expect(external.size).toBeGreaterThan(5000)
    expect(INTERNAL_PROPERTIES.filter((name) => external.has(name) && !AUDITED.includes(name))).toEqual([])
  })

  it('shortens no option or field of a type the package exports', () => {
    const index = readFileSync(join(ROOT, 'middleware/index.ts'), 'utf8')
    const exported = new Set<string>()
    for (const [, typeOnly, list] of index.matchAll(/export (type )?\{([^}]*)\}/g)) {
      for (const [, isType, name] of list.matchAll(/(type )?(\w+)/g)) if (typeOnly || isType) exported.add(name)
    }
    exported.add('SendResult') // what a Transport returns
    const members = new Set<string>()
    for (const file of readdirSync(join(ROOT, 'middleware')).filter((f) => f.endsWith('.ts'))) {
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

  it('lists only names the library uses', () => {
    const source = readdirSync(join(ROOT, 'middleware'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'build.ts')
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
    const imports = new Set([...dist.matchAll(/from "([^"]+)"/g)].map((m) => m[1]))
    expect([...imports].sort()).toEqual(['@opentelemetry/api', 'hono/route', 'node:async_hooks'])
    expect(dist).toContain('"http.server.request.duration"')
    expect(dist).not.toMatch(/\.(sensitiveQueryKeys|droppedAttributes|hexBytes)\b/)
  })
})
