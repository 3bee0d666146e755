// A new user's Workers project, made the way a user makes one: `npm pack` of middleware/, and that
// tarball installed from the npm registry into a fresh folder beside TypeScript 5, wrangler, the
// Workers types, hono and the API, with the usual Workers tsconfig (test/fixtures/user-worker/).
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const USER_WORKER = join(ROOT, 'test/fixtures/user-worker')

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

/** Packs the library and installs it into a new project folder; returns the folder (remove it after). */
export async function createUserProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-otel-user-'))
  try {
    await install(dir)
    return dir
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

async function install(dir: string): Promise<void> {
  await cp(USER_WORKER, dir, { recursive: true, filter: (path) => !path.includes('.wrangler') })
  await check('npm pack', run('npm', ['pack', '--pack-destination', dir], join(ROOT, 'middleware')))
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'user-worker', private: true, type: 'module' }, null, 2)}\n`)
  const packages = [
    'typescript@5',
    await devVersion('wrangler'),
    await devVersion('@cloudflare/workers-types'),
    await devVersion('hono'),
    await devVersion('@opentelemetry/api'),
    `./${tarball}`,
  ]
  await check('npm install', run('npm', ['install', '--no-audit', '--no-fund', ...packages], dir))
}

/** `tsc --noEmit` in the project, with TypeScript 5 from its own node_modules or another `tsc` script. */
export function typecheck(dir: string, tsc = join(dir, 'node_modules/typescript/bin/tsc')): Promise<Run> {
  return run(process.execPath, [tsc, '--noEmit', '-p', dir], dir)
}

/** wrangler in `dir` (the project's own unless `bin` says), run with this Node (22; wrangler 4 needs it). */
export function wrangler(dir: string, args: string[], bin = join(dir, 'node_modules/wrangler/bin/wrangler.js')): Promise<Run> {
  return run(process.execPath, [bin, ...args], dir, { WRANGLER_SEND_METRICS: 'false' })
}
