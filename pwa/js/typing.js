// @ts-check
/**
 * Nothing typed is lost: a form's fields are saved to IndexedDB as they are typed (debounced, not on blur),
 * so a reload, a killed app or a flat battery keeps a note, a finding or the party half-written. When the
 * form is saved as a record, what was typed is forgotten.
 */

/** How long typing may pause before it is saved. */
export const SAVE_AFTER_MS = 300;

function read(el) {
  return el.type === 'checkbox' ? el.checked : el.value;
}

function write(el, value) {
  if (el.type === 'checkbox') el.checked = Boolean(value);
  else el.value = value ?? '';
}

/**
 * Keeps the fields ({name: input}) of one form, under `key`, for one inspection. Returns {restore, forget,
 * flush}: restore() fills the fields with what was typed before (true when something was restored).
 */
export function keepTyping(store, inspectionId, key, fields, { delay = SAVE_AFTER_MS, timers = globalThis } = {}) {
  let timer = null;
  let saving = Promise.resolve();
  const values = () => Object.fromEntries(Object.entries(fields).map(([name, el]) => [name, read(el)]));
  const save = () => {
    timer = null;
    saving = saving.then(() => store.keepTyped(inspectionId, key, values())).catch(() => {});
    return saving;
  };
  const schedule = () => {
    if (timer) timers.clearTimeout(timer);
    timer = timers.setTimeout(save, delay);
  };
  for (const el of Object.values(fields)) {
    el.addEventListener(el.type === 'checkbox' || el.tagName === 'SELECT' ? 'change' : 'input', schedule);
  }
  return {
    /** Fills the fields with what was being typed before; true when there was something. */
    async restore() {
      const kept = await store.typed(key);
      if (!kept) return false;
      for (const [name, el] of Object.entries(fields)) if (name in kept) write(el, kept[name]);
      return true;
    },
    /** Saves now what a pending timer would save. */
    flush() {
      if (timer) { timers.clearTimeout(timer); return save(); }
      return saving;
    },
    /** Forgets what was typed (the form was saved as a record). */
    async forget() {
      if (timer) timers.clearTimeout(timer);
      timer = null;
      await saving;
      await store.dropTyped(key);
    },
  };
}
