// `node bench/results.ts`: writes bench/results.md again from the newest full run in bench/runs/ (and
// the one before it), without running anything; for a change in how the tables are made.
import { savedRuns, writeResults } from './report.ts'

const latest = savedRuns().pop()
if (!latest) {
  console.error('No full run in bench/runs/ yet: npm run bench makes one.')
  process.exit(1)
}
console.log(writeResults(latest))
