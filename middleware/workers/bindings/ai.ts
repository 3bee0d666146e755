import { ATTR_GEN_AI_REQUEST_MODEL } from '@opentelemetry/semantic-conventions/incubating'
import type { BindingKind } from './client.ts'

/** Workers AI: `ai_run`, with the model as `gen_ai.request.model`. Inputs and outputs are never recorded. */
export const AI: BindingKind = {
  system: 'cloudflare-workers-ai',
  type: 'AI',
  prefix: 'ai',
  operations: {
    run: { request: ([model], attributes) => void (attributes[ATTR_GEN_AI_REQUEST_MODEL] = String(model)) },
  },
}
