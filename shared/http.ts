import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** Passes a downstream function's JSON answer through with its status. */
export async function relayJson(c: Context, response: Response): Promise<Response> {
  const body = await response.json().catch(() => ({ error: 'bad upstream response' }))
  return c.json(body, response.status as ContentfulStatusCode)
}
