// @ts-check
/** DOM helpers: elements are built with text content only, so user data is never parsed as HTML. */

const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'hidden', 'open', 'indeterminate']);

/** Creates an element: h('button', {class: 'big', onclick: fn}, '同步'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (PROPS.has(key)) el[key] = value;
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (strings become text nodes; null, false and nested arrays are handled). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let uid = 0;
/** A unique element id with a prefix. */
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field: {label, input, hint, error} wrapped in a div. */
export function field(label, input, { hint = '', required = false } = {}) {
  const id = input.id || nextId();
  input.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', `${id}-hint`);
  if (required) input.required = true;
  const error = h('p', { class: 'error', id: `${id}-error`, role: 'alert', hidden: true });
  return h('div', { class: 'field' }, h('label', { for: id }, label, required ? h('span', { class: 'req' }, '（必填）') : null), input, hintEl, error);
}

/** Shows (or clears) the error message under a field made with field(). */
export function setFieldError(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  if (!error) return;
  error.textContent = message || '';
  error.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** A list of checkboxes for codes with labels: returns {el, values()}. */
export function checkboxGroup(legend, options, selected = []) {
  const boxes = options.map((o) => h('input', { type: 'checkbox', value: o.code, checked: selected.includes(o.code) }));
  const el = h('fieldset', { class: 'choices' }, h('legend', {}, legend),
    options.map((o, i) => h('label', { class: 'choice' }, boxes[i], h('span', {}, o.label))));
  return { el, values: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}
