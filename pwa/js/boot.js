// @ts-check
/**
 * Imported first by app.js: starts opening the signed-in user's database at once, so that IndexedDB
 * opens while the rest of the app's modules are still being evaluated (a faster cold start offline).
 */
import { openUserDb } from './db.js';

/** Where this phone keeps the id of the signed-in user. */
export const SESSION_KEY = 'spotcheck-current-user';

const stored = globalThis.localStorage ? localStorage.getItem(SESSION_KEY) : null;

/** {userId, db: Promise<IDBDatabase|null>} for the stored session, or null when nobody is signed in. */
export const earlyOpen = stored
  ? { userId: Number(stored), db: openUserDb(globalThis.indexedDB, Number(stored)).catch(() => null) }
  : null;
