// Reads `perf script` output of a workerd process into where its CPU went, one category per sample,
// so two variants can be compared per request: JavaScript, garbage collection, V8's compilers,
// AsyncLocalStorage's context frames, gzip, the kernel, and the rest of workerd's native code.

/** Where one sample's CPU went. */
export type Category = 'garbage collection' | 'V8 compilers' | 'JavaScript' | 'AsyncLocalStorage frames' | 'gzip (zlib)' | 'kernel' | 'other native'

export const CATEGORIES: Category[] = ['JavaScript', 'garbage collection', 'V8 compilers', 'AsyncLocalStorage frames', 'gzip (zlib)', 'kernel', 'other native']

/** One frame of a sample's stack, leaf first: its symbol and the object it is in. */
export interface Frame {
  symbol: string
  dso: string
}

/** The collector on the main thread, and its jobs on V8's worker threads (which share workerd's one core in the bench). */
const GC = /Heap::CollectGarbage|Heap::PerformGarbageCollection|ScavengerCollector|ScavengerJobTask|MarkCompactCollector|MinorMarkSweep|ConcurrentMarking|IncrementalMarking|Sweeper|cppgc::internal::(?:Marker|Sweeper)/
/** Maglev and TurboFan, on the main thread or in their background jobs. */
const COMPILER = /OptimizingCompileTaskExecutor|v8::internal::compiler::|v8::internal::maglev::|Compiler::Compile|BaselineBatchCompiler/
const CONTEXT_FRAME = /AsyncContextFrame|AsyncLocalStorage::(?:run|getStore)/
const ZLIB = /^(?:deflate|inflate|longest_match|build_tree|compress_block|send_tree|fill_window|crc32|adler32|zlib|_tr_)/
/** How far from the leaf a context-frame symbol still counts as the sample's cost, not as a caller of it. */
const CONTEXT_DEPTH = 12

/**
 * The category of one sample. Garbage collection, then compiling, win wherever they are in the stack; then the leaf
 * decides: JIT code and V8's builtins are JavaScript, the kernel is the kernel, zlib is gzip; a native
 * leaf near an AsyncContextFrame or AsyncLocalStorage frame is that frame's cost.
 */
export function categorize(stack: Frame[]): Category {
  if (stack.some((f) => GC.test(f.symbol))) return 'garbage collection'
  if (stack.some((f) => COMPILER.test(f.symbol))) return 'V8 compilers'
  const leaf = stack[0]
  if (!leaf) return 'other native'
  if (leaf.dso.startsWith('[JIT]') || leaf.dso.startsWith('/tmp/perf-') || leaf.symbol.startsWith('Builtins_') || leaf.symbol === '[unknown]') return 'JavaScript'
  if (leaf.dso.includes('kernel')) return 'kernel'
  if (ZLIB.test(leaf.symbol)) return 'gzip (zlib)'
  if (stack.slice(0, CONTEXT_DEPTH).some((f) => CONTEXT_FRAME.test(f.symbol))) return 'AsyncLocalStorage frames'
  return 'other native'
}

/** Splits `perf script -F ip,sym,dso` output into stacks, leaf first. */
export function parseStacks(text: string): Frame[][] {
  const stacks: Frame[][] = []
  for (const block of text.split(/\n\s*\n/)) {
    const frames: Frame[] = []
    for (const line of block.split('\n')) {
      // "<ip> <symbol>+0x<offset> (<dso>)"; the symbol may hold spaces and parentheses.
      const m = /^\s*[0-9a-f]+ (.*?)(?:\+0x[0-9a-f]+)? \(([^()]*)\)\s*$/.exec(line)
      if (m) frames.push({ symbol: m[1], dso: m[2] })
    }
    if (frames.length) stacks.push(frames)
  }
  return stacks
}

/** Samples per category. */
export function tally(stacks: Frame[][]): Record<Category, number> {
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>
  for (const stack of stacks) counts[categorize(stack)]++
  return counts
}
