// Builds the packaged viewer command, `middleware/dist/viewer.js` (the `edge-otel-viewer` bin of the
// package): one file for Node 20 and later, with the receiver, its protobuf decoding (protobufjs and
// the generated OTLP schema) and the page files inside, so it needs nothing the package does not
// declare. It is a separate entry: nothing of it enters `dist/index.js`, the library users bundle.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Plugin, build } from 'esbuild'

/** The command's source, and the bundle it becomes in the package. */
export const VIEWER_ENTRY = fileURLToPath(new URL('./cli.ts', import.meta.url))
export const VIEWER_DIST = fileURLToPath(new URL('../../middleware/dist/viewer.js', import.meta.url))
const PAGE = new URL('./page/', import.meta.url)

/** Puts the page files into the bundle in place of assets.ts, which reads them from disk. */
const inlinePage: Plugin = {
  name: 'inline-viewer-page',
  setup(b) {
    b.onLoad({ filter: /[\\/]infra[\\/]viewer[\\/]assets\.ts$/ }, async () => {
      const files: Record<string, string> = {}
      for (const name of await readdir(PAGE)) files[name] = await readFile(new URL(name, PAGE), 'utf8')
      return {
        contents: `const FILES = new Map(Object.entries(${JSON.stringify(files)}).map(([name, text]) => [name, Buffer.from(text)]))
export function pageFiles() { return FILES }`,
        loader: 'js',
      }
    })
  },
}

/** Writes the viewer command's bundle, by rename, so that `npm pack` never ships half a file. */
export async function buildViewer(outfile = VIEWER_DIST): Promise<void> {
  const { outputFiles } = await build({
    entryPoints: [VIEWER_ENTRY],
    bundle: true,
    write: false,
    outfile,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    banner: { js: '#!/usr/bin/env node' },
    plugins: [inlinePage],
    logLevel: 'warning',
  })
  await mkdir(dirname(outfile), { recursive: true })
  const partial = `${outfile}.${process.pid}.partial`
  await writeFile(partial, outputFiles[0].contents, { mode: 0o755 })
  await rename(partial, outfile)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildViewer()
