import { bundleVariant } from './build.ts'
import { evaluationMs } from './eval.ts'
const names = process.argv.slice(2)
const bundles = await Promise.all(names.map((n) => bundleVariant(new URL(`variants/${n}.ts`, import.meta.url).pathname)))
const res = names.map(() => [] as number[])
for (let r = 0; r < 8; r++) bundles.forEach((b, i) => res[i].push(evaluationMs(b.cjs, 15)))
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]
names.forEach((n, i) => console.log(n.padEnd(20), med(res[i]).toFixed(2), 'ms', (med(res[i]) / med(res[0])).toFixed(2), 'x', (bundles[i].esm.length / 1024).toFixed(1), 'KiB min'))
