// The pages' files (infra/viewer/page/), read from disk here; the viewer's build (build.ts) puts
// them into its bundle in place of this module, so the packaged command has them without the folder.
import { readFileSync, readdirSync } from 'node:fs'

const PAGE = new URL('./page/', import.meta.url)

/** The page files by name (`index.html`, `app.js`, `style.css`, …), read on each call so that edits show on reload. */
export function pageFiles(): Map<string, Buffer> {
  return new Map(readdirSync(PAGE).map((name) => [name, readFileSync(new URL(name, PAGE))]))
}
