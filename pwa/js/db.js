// @ts-check
/**
 * All IndexedDB access. One device database lists the accounts that used this phone; each user has a
 * database of their own, so a second user on the same phone never reads the first user's records.
 * Upgrades run a ladder of steps, one per version; a step may add stores and indexes but never deletes
 * a store that can hold unsynced data (outbox, blobs, attention, journal, drafts).
 */
import { AppError } from './messages.js';

/** The device database: which accounts used this phone. */
export const DEVICE_DB = 'spotcheck-device';
/** Its version. */
export const DEVICE_DB_VERSION = 1;
/** Each user's database is this prefix plus the user id. */
export const USER_DB_PREFIX = 'spotcheck-user-';
/** The user database's version: USER_LADDER has one step per version. */
export const DB_VERSION = 3;

/** Store names. */
export const S = Object.freeze({
  META: 'meta', INSPECTIONS: 'inspections', OUTBOX: 'outbox', BLOBS: 'blobs', ATTENTION: 'attention',
  RECEIPTS: 'receipts', DRAFTS: 'drafts', JOURNAL: 'journal', ACCOUNTS: 'accounts', TYPING: 'typing',
});

/** Stores that may hold data the server does not have yet: no upgrade step may drop them. */
export const UNSYNCED_STORES = Object.freeze([S.OUTBOX, S.BLOBS, S.ATTENTION, S.JOURNAL, S.DRAFTS, S.TYPING]);

/** The user database's upgrade ladder: step i upgrades version i to version i + 1. */
export const USER_LADDER = [
  (db) => {
    db.createObjectStore(S.META, { keyPath: 'key' });
    db.createObjectStore(S.INSPECTIONS, { keyPath: 'id' });
    db.createObjectStore(S.OUTBOX, { keyPath: 'id' }).createIndex('inspection_id', 'inspection_id');
    db.createObjectStore(S.BLOBS, { keyPath: 'sha256' });
    db.createObjectStore(S.ATTENTION, { keyPath: 'key', autoIncrement: true })
      .createIndex('inspection_id', 'inspection_id');
    db.createObjectStore(S.RECEIPTS, { keyPath: 'inspection_id' });
    db.createObjectStore(S.DRAFTS, { keyPath: 'inspection_id' });
  },
  // v2: a journal of acknowledged mutations (what the receipt must list; resent if the server lost them),
  // and blobs findable by inspection.
  (db, tx) => {
    db.createObjectStore(S.JOURNAL, { keyPath: ['client_id', 'id'] }).createIndex('inspection_id', 'inspection_id');
    tx.objectStore(S.BLOBS).createIndex('inspection_id', 'inspection_id');
  },
  // v3: what is being typed (a note, a finding, the party), saved as it is typed so that a reload or a
  // killed app loses nothing; keyed "<inspection id>:<form>".
  (db) => {
    db.createObjectStore(S.TYPING, { keyPath: 'key' }).createIndex('inspection_id', 'inspection_id');
  },
];

const DEVICE_LADDER = [
  (db) => {
    db.createObjectStore(S.ACCOUNTS, { keyPath: 'user_id' });
  },
];

/** Wraps an IDBRequest in a promise. */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function storageError(err) {
  if (err instanceof AppError) return err;
  const name = err && err.name;
  if (name === 'QuotaExceededError' || (err && /quota/i.test(String(err.message)))) return new AppError('quota_exceeded');
  const wrapped = new AppError('storage_failed');
  wrapped.cause = err;
  return wrapped;
}

function open(factory, name, version, ladder, onBlocked) {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version);
    request.onupgradeneeded = (event) => {
      const db = request.result;
      for (let v = event.oldVersion; v < (event.newVersion || version); v += 1) ladder[v](db, request.transaction);
    };
    request.onblocked = () => onBlocked && onBlocked();
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close(); // a newer version of the app wants to upgrade: let it
      resolve(db);
    };
    request.onerror = () => reject(storageError(request.error));
  });
}

/** Opens the device database (the accounts that used this phone). */
export function openDeviceDb(factory = globalThis.indexedDB, onBlocked = undefined) {
  return open(factory, DEVICE_DB, DEVICE_DB_VERSION, DEVICE_LADDER, onBlocked);
}

/** The database name of one user. */
export function userDbName(userId) {
  return `${USER_DB_PREFIX}${userId}`;
}

/** Opens (creating or upgrading step by step) one user's database. */
export function openUserDb(factory, userId, { version = DB_VERSION, onBlocked } = {}) {
  return open(factory || globalThis.indexedDB, userDbName(userId), version, USER_LADDER, onBlocked);
}

/** Deletes one user's database (only ever called when it holds nothing unsynced). */
export function deleteUserDb(factory, userId) {
  return req((factory || globalThis.indexedDB).deleteDatabase(userDbName(userId)));
}

/**
 * Runs `fn(stores)` in one transaction over `names`; resolves with fn's result once the transaction
 * has committed, rejects (with quota_exceeded when storage is full) if any part failed: all or nothing.
 */
export function run(db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    let tx;
    try {
      tx = db.transaction(names, mode);
    } catch (err) {
      reject(storageError(err));
      return;
    }
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    let failure = null;
    tx.oncomplete = () => (failure ? reject(failure) : resolve(result));
    tx.onerror = (e) => { failure = failure || storageError(tx.error || e.target.error); };
    tx.onabort = () => reject(failure || storageError(tx.error));
    Promise.resolve()
      .then(() => fn(stores))
      .then((value) => { result = value; })
      .catch((err) => {
        failure = err instanceof AppError ? err : storageError(err);
        try { tx.abort(); } catch { /* already finished */ }
      });
  });
}

/** Reads one record. */
export function get(db, store, key) {
  return run(db, [store], 'readonly', (s) => req(s[store].get(key)));
}

/** Reads every record of a store (optionally through an index and key). */
export function all(db, store, index = null, key = undefined) {
  return run(db, [store], 'readonly', (s) => {
    const source = index ? s[store].index(index) : s[store];
    return req(key === undefined ? source.getAll() : source.getAll(key));
  });
}

/** Writes one record. */
export function put(db, store, value) {
  return run(db, [store], 'readwrite', (s) => req(s[store].put(value)));
}

/** Deletes one record. */
export function del(db, store, key) {
  return run(db, [store], 'readwrite', (s) => req(s[store].delete(key)));
}

/** Counts the records of a store. */
export function count(db, store) {
  return run(db, [store], 'readonly', (s) => req(s[store].count()));
}

/** Reads a value of the meta store (undefined when unset). */
export async function getMeta(db, key) {
  const row = await get(db, S.META, key);
  return row ? row.value : undefined;
}

/** Writes a value of the meta store. */
export function setMeta(db, key, value) {
  return put(db, S.META, { key, value });
}
