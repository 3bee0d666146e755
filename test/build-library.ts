// vitest globalSetup: the example functions import `edge-otel` as users do, which resolves to the
// package build (middleware/dist), so every test run rebuilds it from the current sources first.
import { buildLibrary, buildTesting } from '../middleware/build.ts'

export default async function setup(): Promise<void> {
  await Promise.all([buildLibrary(), buildTesting()])
}
