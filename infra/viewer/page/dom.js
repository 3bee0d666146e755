// Builds elements with DOM calls only. Strings become text nodes, so a received value is shown as
// text whatever it holds; nothing here parses HTML.

const SVG_NS = 'http://www.w3.org/2000/svg'

function apply(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value)
    else if (key === 'style') for (const [name, v] of Object.entries(value)) el.style.setProperty(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v)
    else if (key === 'dataset') Object.assign(el.dataset, value)
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
    else if (key === 'checked' || key === 'value' || key === 'selected') el[key] = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** An HTML element: `h('td', { class: 'x', onclick }, 'text', child)`. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag)
  apply(el, props)
  append(el, children)
  return el
}

/** An SVG element, the same way. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  apply(el, props)
  append(el, children)
  return el
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

/** The path of a trace's page, for an id the server sent (32 hex digits), or undefined. */
export function tracePath(traceId, spanId) {
  if (!/^[0-9a-f]{32}$/.test(traceId)) return undefined
  return `/traces/${traceId}${spanId && /^[0-9a-f]{16}$/.test(spanId) ? `?span=${spanId}` : ''}`
}
