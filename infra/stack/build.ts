// Builds the real stack's Go programs once and caches them by manifest hash:
//   - the OpenTelemetry Collector, with the OpenTelemetry Collector Builder (ocb) from
//     infra/stack/otelcol-builder.yaml;
//   - Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger), from the Go module pinned by
//     infra/stack/jaeger/go.mod and go.sum.
// Binaries go to ${XDG_CACHE_HOME:-$HOME/.cache}/edge-otel/<name>-<hash>; a later run with the same
// manifest reuses them. Go runs under `nice -n 19`, so a build never starves other work.
//
//   node infra/stack/build.ts            builds (or reuses) both and prints their paths
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'

const HERE = dirname(fileURLToPath(import.meta.url))

/** The ocb release that builds infra/stack/otelcol-builder.yaml (its components are of the same release). */
export const BUILDER_MODULE = 'go.opentelemetry.io/collector/cmd/builder@v0.165.0'
/** The package of Jaeger v2's all-in-one binary, in the module infra/stack/jaeger/go.mod pins. */
export const JAEGER_PACKAGE = 'github.com/jaegertracing/jaeger/cmd/jaeger'

export const COLLECTOR_MANIFEST = join(HERE, 'otelcol-builder.yaml')
export const JAEGER_MODULE_DIR = join(HERE, 'jaeger')

/** Where built binaries are kept between runs. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edge-otel')
}

function hash(...parts: string[]): string {
  const h = createHash('sha256')
  for (const part of parts) h.update(part).update('\0')
  return h.digest('hex').slice(0, 16)
}

function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('nice', ['-n', '19', command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('error', fail)
    child.on('exit', (code, signal) =>
      code === 0 ? done() : fail(new Error(`${command} ${args.join(' ')} exited with ${signal ?? code} (in ${options.cwd})`)),
    )
  })
}

function requireGo(): void {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' })
  } catch {
    throw new Error('Go is not on PATH: the real stack builds the Collector and Jaeger from Go modules, which needs Go 1.26 or later (https://go.dev/dl/).')
  }
}

/** Builds into a temporary folder of the cache, then renames the binary into place (never half-written). */
async function cached(name: string, key: string, build: (workDir: string) => Promise<string>): Promise<string> {
  const target = join(cacheDir(), `${name}-${key}`)
  if (existsSync(target)) return target
  requireGo()
  mkdirSync(cacheDir(), { recursive: true })
  const workDir = mkdtempSync(join(cacheDir(), `build-${name}-`))
  const started = Date.now()
  console.log(`[stack] building ${name} (${key}): not in ${cacheDir()} yet`)
  try {
    const binary = await build(workDir)
    renameSync(binary, target)
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  console.log(`[stack] built ${target} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return target
}

/** The Collector binary built by ocb from infra/stack/otelcol-builder.yaml. */
export function buildCollector(): Promise<string> {
  const manifest = readFileSync(COLLECTOR_MANIFEST, 'utf8')
  return cached('otelcol-edge', hash(BUILDER_MODULE, manifest), async (workDir) => {
    const config = parse(manifest)
    config.dist.output_path = join(workDir, 'src')
    writeFileSync(join(workDir, 'builder.yaml'), stringify(config))
    await run('go', ['run', BUILDER_MODULE, '--config', join(workDir, 'builder.yaml')], { cwd: workDir })
    return join(workDir, 'src', config.dist.name)
  })
}

/** Jaeger v2 built from the module that infra/stack/jaeger/go.mod and go.sum pin. */
export function buildJaeger(): Promise<string> {
  const goMod = readFileSync(join(JAEGER_MODULE_DIR, 'go.mod'), 'utf8')
  const goSum = readFileSync(join(JAEGER_MODULE_DIR, 'go.sum'), 'utf8')
  return cached('jaeger', hash(JAEGER_PACKAGE, goMod, goSum), async (workDir) => {
    const src = join(workDir, 'src')
    cpSync(JAEGER_MODULE_DIR, src, { recursive: true })
    await run('go', ['build', '-trimpath', '-o', join(workDir, 'jaeger'), JAEGER_PACKAGE], {
      cwd: src,
      env: { CGO_ENABLED: '0' },
    })
    return join(workDir, 'jaeger')
  })
}

/** Both binaries, built or reused. */
export async function buildStack(): Promise<{ collector: string; jaeger: string }> {
  const collector = await buildCollector()
  const jaeger = await buildJaeger()
  return { collector, jaeger }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const paths = await buildStack()
  console.log(`[stack] collector ${paths.collector}\n[stack] jaeger ${paths.jaeger}`)
}
