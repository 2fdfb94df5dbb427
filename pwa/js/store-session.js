// @ts-check
/**
 * The store's session: who is signed in on this phone, their database and token, login and logout, and the
 * sync client that runs for them. The other store parts read the shared state kept here; only this module
 * replaces its user database, token and sync client.
 */
import * as db from './db.js';
import { createApi } from './api.js';
import { createSyncClient } from './sync-client.js';
import { AppError } from './messages.js';
import { SESSION_KEY } from './boot.js';

/**
 * @typedef {object} Session  the state the store's parts share
 * @property {IDBFactory} factory
 * @property {(() => void) | undefined} onBlocked
 * @property {{userId: number, db: Promise<IDBDatabase|null>} | null} early  the database boot.js started opening
 * @property {(type: string, detail?: object) => void} emit  tells the store's listeners
 * @property {any} api  the server's API with this session's token
 * @property {any} userDb  the signed-in user's database (null when nobody is signed in)
 * @property {any} auth  {token, expires_at, user} or null
 * @property {any} sync  the signed-in user's sync client, or null
 * @property {any} device  the device database (the accounts on this phone), opened when first needed
 */

/** A session with nobody signed in yet. */
export function newSession({ factory, fetchFn, onBlocked, early, emit }) {
  /** @type {Session} */
  const s = { factory, onBlocked, early, emit, api: null, userDb: null, auth: null, sync: null, device: null };
  s.api = createApi({ fetchFn, getToken: () => (s.auth ? s.auth.token : null) });
  return s;
}

const deviceDb = async (s) => (s.device = s.device || await db.openDeviceDb(s.factory, s.onBlocked));

async function openUser(s, userId, opened = null) {
  if (s.userDb) { s.userDb.close(); s.userDb = null; }
  if (s.sync) s.sync.stop();
  s.userDb = (opened && await opened) || await db.openUserDb(s.factory, userId, { onBlocked: s.onBlocked });
  s.auth = await db.getMeta(s.userDb, 'auth');
  s.sync = createSyncClient({ db: s.userDb, api: s.api, lockName: `spotcheck-sync-${userId}`, onEvent: (t, d) => s.emit(`sync:${t}`, d) });
}

/** The signed-in inspector's name ('' when nobody is signed in). */
export function me(s) {
  return s.auth && s.auth.user ? (s.auth.user.inspector ? s.auth.user.inspector.name : s.auth.user.display_name) : '';
}

/** Flushes the outbox and pulls now (nothing when nobody is signed in). */
export function flush(s, reason) {
  return s.sync ? s.sync.flush(reason) : Promise.resolve();
}

async function init(s) {
  const userId = globalThis.localStorage ? localStorage.getItem(SESSION_KEY) : null;
  if (!userId) return null;
  await openUser(s, Number(userId), s.early && s.early.userId === Number(userId) ? s.early.db : null);
  return s.auth ? s.auth.user : null;
}

async function login(s, username, password, deviceName) {
  if (globalThis.navigator && navigator.onLine === false) throw new AppError('login_needs_network');
  let resp;
  try {
    resp = await s.api.login(username.trim(), password, deviceName.trim());
  } catch (err) {
    if (err.code === 'network' || err.code === 'offline') throw new AppError('login_needs_network');
    throw err;
  }
  await openUser(s, resp.user.id);
  s.auth = { token: resp.token, expires_at: resp.expires_at, user: resp.user };
  await db.setMeta(s.userDb, 'auth', s.auth);
  await db.setMeta(s.userDb, 'clock', { offset_ms: Date.now() - Date.parse(resp.server_time), measured_at: new Date().toISOString() });
  await db.put(await deviceDb(s), db.S.ACCOUNTS, { user_id: resp.user.id, username: resp.user.username, display_name: resp.user.display_name });
  localStorage.setItem(SESSION_KEY, String(resp.user.id));
  s.emit('login');
  return resp.user;
}

async function logout(s, { keep = false } = {}) {
  const queued = await db.count(s.userDb, db.S.OUTBOX);
  if (queued && !keep) return { needsConfirm: queued };
  const userId = s.auth && s.auth.user ? s.auth.user.id : null;
  if (s.sync) s.sync.stop();
  if (!queued) {
    try { await s.api.logout(); } catch { /* offline or already revoked: the token is dropped here anyway */ }
  }
  await db.setMeta(s.userDb, 'auth', null);
  s.userDb.close();
  s.userDb = null;
  if (!queued && userId !== null) {
    await db.deleteUserDb(s.factory, userId);
    await db.del(await deviceDb(s), db.S.ACCOUNTS, userId);
  }
  localStorage.removeItem(SESSION_KEY);
  s.auth = null;
  s.emit('logout');
  return { loggedOut: true, kept: queued };
}

async function otherAccounts(s) {
  const out = [];
  for (const acc of await db.all(await deviceDb(s), db.S.ACCOUNTS)) {
    if (s.auth && s.auth.user && acc.user_id === s.auth.user.id) continue;
    const handle = await db.openUserDb(s.factory, acc.user_id);
    const queued = await db.count(handle, db.S.OUTBOX);
    handle.close();
    if (queued) out.push({ display_name: acc.display_name, queued });
  }
  return out;
}

/** The session's part of the store: the user, login and logout, other accounts, sync. */
export function sessionPart(s) {
  return {
    /** Restores the session from this phone (works offline); returns the user or null. */
    init: () => init(s),
    /** The signed-in user (or null). */
    user: () => (s.auth ? s.auth.user : null),
    /** The signed-in inspector's name. */
    me: () => me(s),
    /** Logs in online (POST /auth/token) and makes this user's database current. */
    login: (username, password, deviceName) => login(s, username, password, deviceName),
    /**
     * Logs out. With queued work it returns {needsConfirm: n} unless `keep` is set; then the data stays on
     * the phone (only this user can see it, after logging in again) and the token is not revoked.
     */
    logout: (opts = {}) => logout(s, opts),
    /** Other accounts on this phone with unsynced work: [{display_name, queued}]. */
    otherAccounts: () => otherAccounts(s),
    /** Flushes the outbox and pulls now. */
    sync: (reason = 'manual') => flush(s, reason),
    /** The sync client's state (running, progress, error, needsLogin). */
    syncState: () => (s.sync ? s.sync.state : null),
    /** Pulls by itself every poll_seconds while online (a return note or a new assignment arrives unasked). */
    startPolling: () => (s.sync ? s.sync.startPolling() : undefined),
  };
}
