// A new user's project, made the way a user makes one: `npm pack` of middleware/, and that tarball
// installed from the npm registry into a fresh folder beside TypeScript 5, hono and the API. A Workers
// project (test/fixtures/user-worker/) adds wrangler and the Workers types, with the usual Workers
// tsconfig; a Node or Deno project (test/fixtures/user-node/) adds @types/node and vitest, and has none
// of Cloudflare's types.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const USER_WORKER = join(ROOT, 'test/fixtures/user-worker')
export const USER_NODE = join(ROOT, 'test/fixtures/user-node')
const DENO = join(ROOT, 'node_modules/.bin/deno')

/** What each kind of project installs beside the tarball; without a version, the repository's own. */
export const WORKER_PACKAGES = ['typescript@5', 'wrangler', '@cloudflare/workers-types', 'hono', '@opentelemetry/api']
export const NODE_PACKAGES = ['typescript@5', '@types/node', 'hono', '@opentelemetry/api', 'vitest']

export interface Run {
  code: number
  /** stdout and stderr together, for failure messages. */
  output: string
}

/** Runs a command to its end; never rejects, so a test can show what it printed. */
export function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  // Without the npm_* variables of `npm test` itself, so that a nested npm acts as in a fresh shell.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')))
  return new Promise((done) => {
    execFile(command, args, { cwd, env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      done({ code, output: `${stdout}${stderr}`.trim() })
    })
  })
}

async function check(step: string, result: Promise<Run>): Promise<Run> {
  const r = await result
  if (r.code !== 0) throw new Error(`${step} failed (exit ${r.code}):\n${r.output}`)
  return r
}

/** The versions the repository itself uses, so the user's project and the repository's tests agree. */
async function devVersion(name: string): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
  return `${name}@${pkg.devDependencies[name]}`
}

/** Packs the library and installs it into a new project folder made from `fixture`; returns the folder (remove it after). */
export async function createUserProject(fixture = USER_WORKER, packages = WORKER_PACKAGES): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-otel-user-'))
  try {
    await install(dir, fixture, packages)
    return dir
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

async function install(dir: string, fixture: string, packages: string[]): Promise<void> {
  await cp(fixture, dir, { recursive: true, filter: (path) => !path.includes('.wrangler') })
  await check('npm pack', run('npm', ['pack', '--pack-destination', dir], join(ROOT, 'middleware')))
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'user-worker', private: true, type: 'module' }, null, 2)}\n`)
  const specs = await Promise.all(packages.map((p) => (p.lastIndexOf('@') > 0 ? p : devVersion(p))))
  await check('npm install', run('npm', ['install', '--no-audit', '--no-fund', ...specs, `./${tarball}`], dir))
}

/** `tsc --noEmit` in the project, with TypeScript 5 from its own node_modules or another `tsc` script, and its tsconfig.json or `config`. */
export function typecheck(dir: string, tsc = join(dir, 'node_modules/typescript/bin/tsc'), config = 'tsconfig.json'): Promise<Run> {
  return run(process.execPath, [tsc, '--noEmit', '-p', join(dir, config)], dir)
}

/** Whether the repository's Deno (a devDependency) is installed. */
export const hasDeno = (): boolean => existsSync(DENO)

/**
 * `deno check --all` of `files` in the project: its own code and every package's declarations, the
 * packages read from its node_modules (deno.json: `nodeModulesDir: "manual"`). Offline: Deno's cache is
 * inside the project, `--cached-only`, and its npm registry a closed port on loopback.
 */
export function denoCheck(dir: string, files: string[]): Promise<Run> {
  return run(DENO, ['check', '--all', '--cached-only', ...files], dir, {
    DENO_DIR: join(dir, '.deno'),
    NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/',
    DENO_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
  })
}

/** wrangler in `dir` (the project's own unless `bin` says), run with this Node (22; wrangler 4 needs it). */
export function wrangler(dir: string, args: string[], bin = join(dir, 'node_modules/wrangler/bin/wrangler.js')): Promise<Run> {
  return run(process.execPath, [bin, ...args], dir, { WRANGLER_SEND_METRICS: 'false' })
}
