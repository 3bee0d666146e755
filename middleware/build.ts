// Builds the package as users install it: `dist/index.js`, one ESM file with the library's modules,
// `@opentelemetry/api` and `hono` left to the user's bundler, and `dist/index.d.ts`, its types in one
// declaration file. `npm install` (prepare), `npm pack` (prepack), `npm run typecheck` and
// `node middleware/build.ts` build both; `npm test`, `npm run dev` and `npm run bench` remake the
// JavaScript only. The example functions are type-checked against the declarations, as users' code is.
//
// Two steps make the user's worker smaller (docs/performance.md):
// - each `@opentelemetry/semantic-conventions` constant the source imports is written in as its string,
//   because a bundler keeps every imported constant as a variable of its own;
// - the internal property names below are shortened. Public options, exported types and OTLP/JSON fields
//   stay as they are, and so does every name that any external declaration uses (the web platform,
//   workerd, Node, Hono, the OpenTelemetry API and SDK packages): `build.test.ts` checks the list against
//   all of them, with no exceptions, and the workerd tests run the example functions on this build.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Extractor, ExtractorConfig, ExtractorLogLevel, type ExtractorMessage } from '@microsoft/api-extractor'
import * as stable from '@opentelemetry/semantic-conventions'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'
import { type BuildOptions, type OutputFile, type Plugin, build, context } from 'esbuild'
import { minify } from 'terser'
import { buildViewer } from '../infra/viewer/build.ts'

export const ENTRY = fileURLToPath(new URL('./index.ts', import.meta.url))
/** `edge-otel/sdk`: the whole library again, with the OpenTelemetry SDK bridge (a bundle of its own, so `edge-otel` is unchanged by it). */
export const SDK_ENTRY = fileURLToPath(new URL('./opentelemetry-sdk.ts', import.meta.url))
export const DIST = fileURLToPath(new URL('./dist/index.js', import.meta.url))
export const TYPES = fileURLToPath(new URL('./dist/index.d.ts', import.meta.url))
/** `edge-otel/testing`, the test kit: its own file, which no worker's bundle reaches. */
export const TESTING_ENTRY = fileURLToPath(new URL('./testing/index.ts', import.meta.url))
export const TESTING_DIST = fileURLToPath(new URL('./dist/testing.js', import.meta.url))
export const TESTING_TYPES = fileURLToPath(new URL('./dist/testing.d.ts', import.meta.url))
const PACKAGE = fileURLToPath(new URL('.', import.meta.url))

/** Properties that only the library's own modules read and write. */
export const INTERNAL_PROPERTIES = [
  // the span class, as the encoders read it
  'attributeValueLength', 'droppedAttributes', 'droppedEvents', 'droppedLinks', 'parentIsRemote',
  'attributeCount', 'eventCount', 'linkCount',
  // the protobuf writer
  'hexBytes', 'timeNanos', 'fixed32', 'sfixed64', 'packedDouble', 'packedFixed64', 'varint', 'int64', 'double',
  // the per-isolate runtime and its configuration
  'sensitiveQueryKeys', 'own', 'warnOnce', 'takeColdStart',
  'requestEnded', 'recordUnsampled', 'spillQueue', 'addSource', 'adapt',
  'retryDeadline', 'cardinalityLimit',
  // the library's own instruments
  'serverDuration', 'clientDuration', 'activeRequests', 'coldStarts', 'invocations', 'spansExported', 'pointsExported',
  'spansProcessed', 'spilled', 'replayed',
  // metrics: instruments, series and collected points
  'series', 'seriesFor', 'lastCollect', 'instruments', 'monotonic', 'meters', 'bucketBounds',
  // the middleware's request state and tail sampling
  'activeAttributes', 'rootSpans', 'sink', 'answered', 'spanEnded', 'handedItems', 'handBack', 'handed',
  // queues
  'sent', 'consumed',
]

const SEMCONV_IMPORT = /import\s*\{([^}]*)\}\s*from\s*'@opentelemetry\/semantic-conventions(?:\/incubating)?'\n?/g
const SEMCONV: Record<string, unknown> = { ...stable, ...incubating }

/** The module's source with its semantic-convention imports replaced by their string values. */
export function inlineSemanticConventions(source: string, file: string): string {
  const names: string[] = []
  let out = source.replace(SEMCONV_IMPORT, (_, list: string) => {
    names.push(...list.split(',').map((n) => n.trim()).filter(Boolean))
    return ''
  })
  for (const name of names) {
    const value = SEMCONV[name]
    if (typeof value !== 'string') throw new Error(`${file}: ${name} is not a string constant of @opentelemetry/semantic-conventions`)
    out = out.replace(new RegExp(`\\b${name}\\b`, 'g'), JSON.stringify(value))
  }
  return out
}

const semanticConventions: Plugin = {
  name: 'inline-semantic-conventions',
  setup(b) {
    b.onLoad({ filter: /[\\/]middleware[\\/](?:[\w-]+[\\/])*[\w-]+\.ts$/ }, async (args) => ({
      contents: inlineSemanticConventions(await readFile(args.path, 'utf8'), args.path),
      loader: 'ts',
    }))
  },
}

export const buildOptions = (outfile = DIST, entry = ENTRY): BuildOptions => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['@opentelemetry/api', 'hono', 'hono/*', 'node:*', 'cloudflare:*'],
  mangleProps: new RegExp(`^(${INTERNAL_PROPERTIES.join('|')})$`),
  plugins: [semanticConventions],
  // Minified, because wrangler keeps every function's and class's name (esbuild's keepNames) when it
  // minifies a worker: it keeps the short names instead of the long ones (0.35 KiB gzip). The source
  // map, with the sources in it, maps frames back to them.
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
})

/** The `edge-otel/sdk` file beside a build's `index.js` or `index.d.ts`. */
export const sdkFileBeside = (file: string): string => join(dirname(file), file.endsWith('.d.ts') ? 'sdk.d.ts' : 'sdk.js')

/**
 * Builds `dist/index.js`, and `dist/sdk.js` beside it, once. Each file is written beside and renamed
 * into place, so that a test bundling the build while `npm pack` remakes it never reads half a file.
 */
export async function buildLibrary(outfile = DIST): Promise<void> {
  await Promise.all(
    [[outfile, ENTRY], [sdkFileBeside(outfile), SDK_ENTRY]].map(async ([file, entry]) => {
      const { outputFiles = [] } = await build({ ...buildOptions(file, entry), write: false })
      await writeBuild(outputFiles, file)
    }),
  )
}

/**
 * The test kit's modules import the library only through its main entry (`../index.ts`), which stays
 * the package's own `edge-otel` import: the kit and the worker under test then share one telemetry
 * runtime per isolate. Any other library module it reaches would be a second copy, so it fails the build.
 */
const mainEntryExternal: Plugin = {
  name: 'main-entry-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const path = join(args.resolveDir, args.path)
      if (path === ENTRY) return { path: 'edge-otel', external: true }
      if (path.startsWith(PACKAGE) && !path.startsWith(dirname(TESTING_ENTRY))) {
        return { errors: [{ text: `${args.importer} imports ${args.path}: the test kit reaches the library only through ../index.ts` }] }
      }
      return undefined
    })
  },
}

/**
 * Builds `dist/testing.js`: the kit, its protobuf decoder (protobufjs and the generated OTLP types,
 * bundled) and nothing of the library but imports of `edge-otel`; vitest stays the user's.
 */
export async function buildTesting(outfile = TESTING_DIST): Promise<void> {
  // The names the library's build gives its internal properties, for the kit's hold on the runtime.
  const { mangleCache } = await build({ ...buildOptions(), write: false, sourcemap: false, mangleCache: {} })
  const { outputFiles = [] } = await build({
    entryPoints: [TESTING_ENTRY],
    outfile,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    external: ['@opentelemetry/api', 'hono', 'hono/*', 'vitest', 'node:*', 'cloudflare:*'],
    plugins: [mainEntryExternal],
    define: { EDGE_OTEL_PROPERTY_NAMES: JSON.stringify(mangleCache ?? {}) },
    minify: true,
    sourcemap: true,
    // protobufjs looks for optional modules with eval('require'), in a try; workerd refuses it, and it goes on without.
    logOverride: { 'direct-eval': 'silent' },
    logLevel: 'warning',
  })
  await mkdir(dirname(outfile), { recursive: true })
  await Promise.all(
    outputFiles.map(async (f) => {
      const partial = `${f.path}.${process.pid}.partial`
      await writeFile(partial, f.contents)
      await rename(partial, f.path)
    }),
  )
}

/** Compresses esbuild's output a second time and writes it in place, file by file, by rename. */
async function writeBuild(outputFiles: OutputFile[], outfile: string): Promise<void> {
  const code = outputFiles.find((f) => f.path.endsWith('.js'))!
  const map = outputFiles.find((f) => f.path.endsWith('.map'))!
  const smaller = await compress(code.text, map.text, outfile)
  await mkdir(dirname(outfile), { recursive: true })
  await Promise.all(
    [[outfile, smaller.code], [`${outfile}.map`, smaller.map]].map(async ([path, contents]) => {
      const partial = `${path}.${process.pid}.partial`
      await writeFile(partial, contents)
      await rename(partial, path)
    }),
  )
}

/** Builds, then rebuilds on every change to the library's sources (for `npm run dev`), as `buildLibrary` does. */
export async function watchLibrary(): Promise<() => Promise<void>> {
  const options = buildOptions()
  const write: Plugin = {
    name: 'write-build',
    setup(b) {
      b.onEnd(async ({ outputFiles }) => {
        if (outputFiles?.length) await writeBuild(outputFiles, DIST)
      })
    },
  }
  const ctx = await context({ ...options, write: false, plugins: [...(options.plugins ?? []), write] })
  await ctx.rebuild()
  await ctx.watch()
  return () => ctx.dispose()
}

/**
 * A second pass of terser over esbuild's output: its compressor finds what esbuild's does not (about
 * 0.35 KiB gzip of the library), and the source map still leads to the sources.
 */
async function compress(code: string, map: string, outfile: string): Promise<{ code: string; map: string }> {
  const file = outfile.split(/[\\/]/).pop()!
  const result = await minify(code.replace(/\n\/\/# sourceMappingURL=.*\n?$/, ''), {
    module: true,
    ecma: 2020,
    compress: { passes: 3 },
    mangle: true,
    // Keeps the /* @__PURE__ */ marks, so a worker's bundler can still drop what it does not use.
    format: { preserve_annotations: true },
    sourceMap: { content: map, url: `${file}.map`, filename: file },
  })
  return { code: `${result.code!}\n`, map: result.map as string }
}


const AUGMENTATION = /^declare module ['"][^'"]+['"] \{\n[\s\S]*?^\}\n/gm

/**
 * API Extractor leaves out `declare module '…'` blocks (the test kit's matchers on vitest's `expect`):
 * each one in the emitted declarations is added to the rolled-up file as it is.
 */
async function appendAugmentations(emitted: string, outfile: string): Promise<void> {
  const files = (await readdir(emitted, { recursive: true })).filter((f) => f.endsWith('.d.ts'))
  const blocks: string[] = []
  for (const file of files) blocks.push(...((await readFile(join(emitted, file), 'utf8')).match(AUGMENTATION) ?? []))
  if (blocks.length) await writeFile(outfile, `${await readFile(outfile, 'utf8')}\n${blocks.join('\n')}`)
}

const TSC = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc')

/** What the library's sources are compiled against, as in the repository's tsconfig.json. */
const COMPILER_OPTIONS = [
  '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler', '--lib', 'es2023',
  '--types', '@cloudflare/workers-types,@types/node', '--strict', '--skipLibCheck', '--allowImportingTsExtensions',
]

/**
 * Writes the package's types as one declaration file: TypeScript emits a declaration per module,
 * leaving out what is marked `@internal` (members whose names the build shortens, which would not
 * match the objects at run time), and API Extractor rolls them into `outfile`. A public type that
 * names a type the package does not export fails the build (`ae-forgotten-export`).
 */
export async function buildTypes(outfile = TYPES): Promise<void> {
  await Promise.all([extractTypes(ENTRY, outfile), extractTypes(SDK_ENTRY, sdkFileBeside(outfile))])
}

/** Rolls the declarations of one entry (`index.ts`, `opentelemetry-sdk.ts`, `testing/index.ts`) into `outfile`. */
export async function extractTypes(entry: string, outfile: string): Promise<void> {
  // Inside the package (so that the declarations resolve `hono` and `@opentelemetry/api` as the sources
  // do) but outside dist/, which `npm pack` packs.
  const emitted = await mkdtemp(join(PACKAGE, '.types-'))
  try {
    await promisify(execFile)(process.execPath, [
      TSC, '--ignoreConfig', entry, ...COMPILER_OPTIONS,
      '--declaration', '--emitDeclarationOnly', '--stripInternal', '--outDir', emitted,
    ]).catch((error: { stdout?: string }) => {
      throw new Error(`tsc could not emit the declarations:\n${error.stdout ?? error}`)
    })
    const problems: string[] = []
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: PACKAGE,
        mainEntryPointFilePath: join(emitted, relative(PACKAGE, entry).replace(/\.ts$/, '.d.ts')),
        // The declarations are read as a Workers project reads them: without @types/node.
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'es2022', module: 'esnext', moduleResolution: 'bundler', lib: ['es2023'],
              types: ['@cloudflare/workers-types'], strict: true, skipLibCheck: true, allowImportingTsExtensions: true,
            },
          },
        },
        dtsRollup: { enabled: true, untrimmedFilePath: outfile },
        apiReport: { enabled: false },
        docModel: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
          extractorMessageReporting: {
            default: { logLevel: ExtractorLogLevel.Error },
            'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None },
            'ae-internal-missing-underscore': { logLevel: ExtractorLogLevel.None },
          },
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        },
      },
      configObjectFullPath: undefined,
      packageJsonFullPath: join(PACKAGE, 'package.json'),
    })
    const result = Extractor.invoke(config, {
      localBuild: true,
      messageCallback(message: ExtractorMessage) {
        if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) {
          problems.push(message.formatMessageWithLocation(PACKAGE))
        }
        message.handled = true
      },
    })
    if (!result.succeeded || problems.length) {
      // Not left for `npm pack` to ship.
      await rm(outfile, { force: true })
      throw new Error(`the package's types:\n${problems.join('\n')}`)
    }
    await appendAugmentations(emitted, outfile)
  } finally {
    await rm(emitted, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await Promise.all([buildLibrary(), buildTesting(), buildTypes(), extractTypes(TESTING_ENTRY, TESTING_TYPES), buildViewer()])
}
