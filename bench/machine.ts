// What the bench reads from and asks of Linux: a process's CPU time and the per-core CPU counters
// from /proc, and pinning a process (all its threads) to a core with taskset.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** Seconds of CPU (user + system, all threads) that process `pid` has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  // The command name may hold spaces and parentheses; the fields after its closing parenthesis do not.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/** One core's counters from /proc/stat, in seconds since boot. */
export interface CoreTimes {
  /** user + nice + system + irq + softirq */
  busy: number
  /** Time the hypervisor gave this virtual CPU's turn to another guest. */
  steal: number
  /** busy + idle + iowait + steal */
  total: number
}

/** Counters of core `core` (`cpu<core>` in /proc/stat). */
export function coreTimes(core: number): CoreTimes {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `))
  if (!line) throw new Error(`/proc/stat has no line for cpu${core}`)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map((n) => Number(n) / TICKS_PER_SECOND)
  const busy = user + nice + system + irq + softirq
  return { busy, steal, total: busy + idle + iowait + steal }
}

/** The change in a core's counters between two readings. */
export function coreDelta(before: CoreTimes, after: CoreTimes): CoreTimes {
  return { busy: after.busy - before.busy, steal: after.steal - before.steal, total: after.total - before.total }
}

/** Pins process `pid` and every thread it has to `core`; threads it starts later inherit the pinning. */
export function pin(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-c', '-p', String(core), String(pid)], { stdio: 'ignore' })
}

/** The cores `pid` may run on, as taskset lists them (e.g. `0`, `0,1`). */
export function affinity(pid: number): string {
  return execFileSync('taskset', ['-c', '-p', String(pid)]).toString().trim().split(': ').pop()!
}


/**
 * Resolves once `cpuSeconds()` (a process's CPU time) has stood still for two 50 ms looks in a row, or
 * after `limitMs`: the process has finished what the last load left it (an export under way).
 */
export async function quiesce(cpuSeconds: () => number, limitMs = 2000): Promise<void> {
  const deadline = performance.now() + limitMs
  let last = cpuSeconds()
  let still = 0
  while (still < 2 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    const now = cpuSeconds()
    still = now === last ? still + 1 : 0
    last = now
  }
}

/** What one measured window ran: its place in the schedule and the load's own count. */
export interface WindowRun<W> {
  at: W
  requests: number
  seconds: number
  errors: number
}

/**
 * Loads one window and reads the machine around it: the process's CPU, the server and load cores'
 * counters, and then waits (`quiesce`) for what the window's requests left behind (an export under way).
 * `settledCpu` counts that leftover in the CPU per request too (Deno exports on threads of its own).
 */
export async function measureWindow<W>(
  at: W,
  cpuSeconds: () => number,
  cores: { server: number; load: number },
  load: () => Promise<{ requests: number; seconds: number; errors: number }>,
  settledCpu = false,
): Promise<WindowRun<W> & { rps: number; cpuUs: number; serverUse: number; steal: number; foreign: number; loadBusy: number }> {
  const server = coreTimes(cores.server)
  const loadBefore = coreTimes(cores.load)
  const cpu = cpuSeconds()
  const run = await load()
  const inWindow = cpuSeconds() - cpu
  const serverCore = coreDelta(server, coreTimes(cores.server))
  const loadCore = coreDelta(loadBefore, coreTimes(cores.load))
  await quiesce(cpuSeconds)
  const used = settledCpu ? cpuSeconds() - cpu : inWindow
  const wall = Math.max(serverCore.total, 1e-9)
  return {
    at,
    requests: run.requests,
    seconds: run.seconds,
    errors: run.errors,
    rps: run.requests / run.seconds,
    cpuUs: (used / Math.max(run.requests, 1)) * 1e6,
    serverUse: inWindow / wall,
    steal: serverCore.steal / wall,
    foreign: Math.max(0, serverCore.busy - inWindow) / wall,
    loadBusy: loadCore.busy / Math.max(loadCore.total, 1e-9),
  }
}
