// @ts-check
/**
 * What the screens use, one object composed of one part per concern: the session (store-session.js: the
 * signed-in user, login, logout, sync), inspections as the phone shows them (store-inspections.js), the
 * recording actions that queue outbox mutations (store-recording.js), photos, signatures and thumbnails
 * (store-media.js), and the browser's storage (store-storage.js). Screens never touch IndexedDB; the parts
 * do it through db.js and outbox.js.
 */
import { newSession, sessionPart } from './store-session.js';
import { inspectionsPart } from './store-inspections.js';
import { recordingPart } from './store-recording.js';
import { mediaPart } from './store-media.js';
import { storage, persist } from './store-storage.js';

export { THUMB_KEY } from './store-media.js';

/** Creates the store; call init() before anything else. */
export function createStore({ factory = globalThis.indexedDB, fetchFn = undefined, onBlocked = undefined, early = null } = {}) {
  const listeners = new Set();
  const emit = (type, detail = {}) => listeners.forEach((fn) => fn(type, detail));
  const s = newSession({ factory, fetchFn, onBlocked, early, emit });
  return {
    /** Listens to store events ('changed', 'login', 'logout', 'sync:*'); returns an unsubscribe function. */
    on(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    ...sessionPart(s),
    ...inspectionsPart(s),
    ...recordingPart(s),
    ...mediaPart(s),
    /** Storage: whether it is persistent, and usage/quota in bytes. */
    storage,
    /** Asks the browser to keep this app's storage (navigator.storage.persist()). */
    persist,
  };
}
