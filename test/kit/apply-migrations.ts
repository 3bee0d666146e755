// Applies the orders function's D1 migrations (schema and seed) before a project's tests, where
// test/kit/workers.ts gave the project them as TEST_MIGRATIONS: to orders' own DB binding, or to
// ORDERS_DB, the same database bound to a main worker that calls orders.
import { applyD1Migrations } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

const bindings = env as unknown as { TEST_MIGRATIONS?: Parameters<typeof applyD1Migrations>[1]; DB?: D1Database; ORDERS_DB?: D1Database }
const database = bindings.ORDERS_DB ?? bindings.DB
if (bindings.TEST_MIGRATIONS && database) await applyD1Migrations(database, bindings.TEST_MIGRATIONS)
