// vitest globalSetup: the example functions import `edge-otel` (and their tests `edge-otel/testing`)
// as users do, which resolves to the package build (middleware/dist), so every test run rebuilds it
// from the current sources first: once, though each vitest project runs its global setup.
import { buildLibrary, buildTesting } from '../middleware/build.ts'

const BUILD = Symbol.for('edge-otel.test-build')

export default async function setup(): Promise<void> {
  const shared = globalThis as { [BUILD]?: Promise<unknown> }
  shared[BUILD] ??= Promise.all([buildLibrary(), buildTesting()])
  await shared[BUILD]
}
