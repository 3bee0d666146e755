export { BINDING_INSTRUMENTERS, type BindingInstrumenter, instrumentEnv, serviceBinding } from './env.ts'
export { type BindingKind, type Operation, instrumentBinding } from './client.ts'
export { instrumentCaches } from './cache.ts'
