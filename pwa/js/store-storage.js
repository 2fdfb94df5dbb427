// @ts-check
/** The store's view of the browser's storage for this app: whether it is kept, and how full it is. */

/** Storage: whether it is persistent, and usage/quota in bytes. */
export async function storage() {
  const s = globalThis.navigator && navigator.storage;
  if (!s) return { supported: false };
  const [persisted, estimate] = await Promise.all([s.persisted ? s.persisted() : false, s.estimate ? s.estimate() : {}]);
  return { supported: true, persisted, usage: estimate.usage || 0, quota: estimate.quota || 0 };
}

/** Asks the browser to keep this app's storage (navigator.storage.persist()). */
export async function persist() {
  const s = globalThis.navigator && navigator.storage;
  return s && s.persist ? s.persist() : false;
}
