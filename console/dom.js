// Building DOM nodes. Every value goes in as text (textContent or a text node) or as
// an attribute value, never as markup, so data from the API cannot become HTML or script.

/**
 * A new element: `attrs` are attributes, except `text` (the text content), `testid`
 * (data-testid), `dataset` (data-* values) and `on<event>` (listeners); `children` are
 * nodes or values shown as text.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'testid') node.dataset.testid = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A section with a heading and its content. */
export function section(title, ...children) {
  return el('section', { class: 'panel' }, el('h3', { text: title }), ...children);
}

/** A two-column list of labels and values. */
export function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.flatMap(([label, value]) => [
    el('dt', { text: label }),
    el('dd', {}, value instanceof Node ? value : String(value ?? '—')),
  ]));
}

/** An API time (RFC 3339) in the reader's local time, or a dash. */
export function time(rfc3339) {
  if (!rfc3339) return '—';
  const at = new Date(rfc3339);
  return Number.isNaN(at.getTime()) ? String(rfc3339) : at.toLocaleString();
}

/** JSON as indented text. */
export function json(value) {
  return JSON.stringify(value, null, 2);
}
