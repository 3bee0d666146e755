import { describe, expect, it } from 'vitest'
import { VERCEL_REQUEST_CONTEXT, detectPlatform } from './platform.ts'

const granted = { querySync: () => ({ state: 'granted' }) }

describe('detectPlatform', () => {
  it('tells Deno, Bun and Node apart, though Deno and Bun also define process.versions.node', () => {
    const node = { versions: { node: '22.23.3' }, env: { A: '1' } }
    const deno = detectPlatform({ Deno: { version: { deno: '2.9.6' }, env: { toObject: () => ({ B: '2' }) }, permissions: granted }, process: node })
    expect(deno.resource).toEqual({ 'process.runtime.name': 'deno', 'process.runtime.version': '2.9.6' })
    expect(deno.env).toEqual({ B: '2' })
    expect(detectPlatform({ Bun: { version: '1.4.5' }, process: node }).resource['process.runtime.name']).toBe('bun')
    const plain = detectPlatform({ process: node })
    expect(plain.resource).toEqual({ 'process.runtime.name': 'nodejs', 'process.runtime.version': '22.23.3' })
    expect([plain.env, plain.lifetime]).toEqual([{ A: '1' }, 'server'])
  })

  it('reads no Deno env without the permission (so a run without --allow-env is never prompted)', () => {
    let read = false
    const env = { toObject: () => ((read = true), { B: '2' }) }
    expect(detectPlatform({ Deno: { version: { deno: '2.9.6' }, env, permissions: { querySync: () => ({ state: 'prompt' }) } } }).env).toEqual({})
    expect(read).toBe(false)
  })

  it('finds each platform’s own waitUntil: Netlify’s context in Hono’s env, Supabase’s EdgeRuntime, Vercel’s request context', () => {
    const handed: string[] = []
    const netlify = detectPlatform({ Netlify: {}, Deno: { version: { deno: '2.9.6' } } })
    expect(netlify.lifetime).toBe('function')
    netlify.waitUntil({ context: { waitUntil: () => handed.push('netlify') } })!(Promise.resolve())
    expect(netlify.waitUntil({})).toBeUndefined()

    const supabase = detectPlatform({ EdgeRuntime: { waitUntil: () => handed.push('supabase') }, Deno: { version: { deno: '2.9.6' } } })
    expect(supabase.lifetime).toBe('function')
    supabase.waitUntil(undefined)!(Promise.resolve())

    let inRequest = false
    const vercel = detectPlatform({ EdgeRuntime: 'edge-runtime', [VERCEL_REQUEST_CONTEXT]: { get: () => (inRequest ? { waitUntil: () => handed.push('vercel') } : undefined) } })
    expect([vercel.lifetime, vercel.resource['process.runtime.name']]).toEqual(['function', 'edge-runtime'])
    expect(vercel.waitUntil(undefined)).toBeUndefined()
    inRequest = true
    vercel.waitUntil(undefined)!(Promise.resolve())
    expect(handed).toEqual(['netlify', 'supabase', 'vercel'])
  })

  it('knows AWS Lambda by AWS_LAMBDA_FUNCTION_NAME, with its cloud attributes', () => {
    const lambda = detectPlatform({ process: { versions: { node: '22.23.3' }, env: { AWS_LAMBDA_FUNCTION_NAME: 'orders' } } })
    expect(lambda.lifetime).toBe('lambda')
    expect(lambda.resource).toMatchObject({ 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda' })
  })
})
