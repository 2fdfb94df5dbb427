// @ts-check
/**
 * What the screens use: the signed-in user, inspections as the phone shows them, recording actions
 * (each one an outbox mutation), sync, storage. Screens never touch IndexedDB; this module does it
 * through db.js and outbox.js.
 */
import * as db from './db.js';
import * as outbox from './outbox.js';
import * as ls from './local-state.js';
import { createApi } from './api.js';
import { createSyncClient } from './sync-client.js';
import { AppError } from './messages.js';
import { photoCaption } from './format.js';
import { SESSION_KEY } from './boot.js';

/**
 * The blobs-store key of a thumbnail downloaded from the server: never a bare hash, so it is never taken
 * for one of this phone's own files waiting to be uploaded (and it is stored as already held by the server).
 */
export const THUMB_KEY = (sha256) => `thumb:${sha256}`;

/** Creates the store; call init() before anything else. */
export function createStore({ factory = globalThis.indexedDB, fetchFn = undefined, onBlocked = undefined, early = null } = {}) {
  let device = null;
  let userDb = null;
  let auth = null;
  let sync = null;
  const listeners = new Set();
  const emit = (type, detail = {}) => listeners.forEach((fn) => fn(type, detail));
  const api = createApi({ fetchFn, getToken: () => (auth ? auth.token : null) });
  let debounce = null;
  const thumbFetches = new Map(); // sha256 → the one download in flight
  const deviceDb = async () => (device = device || await db.openDeviceDb(factory, onBlocked));

  async function openUser(userId, opened = null) {
    if (userDb) { userDb.close(); userDb = null; }
    if (sync) sync.stop();
    userDb = (opened && await opened) || await db.openUserDb(factory, userId, { onBlocked });
    auth = await db.getMeta(userDb, 'auth');
    sync = createSyncClient({ db: userDb, api, lockName: `spotcheck-sync-${userId}`, onEvent: (t, d) => emit(`sync:${t}`, d) });
  }

  function me() {
    return auth && auth.user ? (auth.user.inspector ? auth.user.inspector.name : auth.user.display_name) : '';
  }

  async function record(inspectionId, name, args, opts = {}) {
    const entry = await outbox.enqueue(userDb, name, { inspection_id: inspectionId, ...args }, { by: me(), ...opts });
    emit('changed', { inspectionId });
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => { debounce = null; if (navigator.onLine !== false) store.sync('record'); }, 1500);
    if (navigator.onLine === false && globalThis.navigator.serviceWorker) { // a bonus where Background Sync exists
      navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('spotcheck-outbox')).catch(() => {});
    }
    return entry;
  }

  async function view(id) {
    const bundle = await db.get(userDb, db.S.INSPECTIONS, id);
    if (!bundle) return null;
    return ls.inspectionView(bundle, await outbox.pendingFor(userDb, id));
  }

  const store = {
    /** Restores the session from this phone (works offline); returns the user or null. */
    async init() {
      const userId = globalThis.localStorage ? localStorage.getItem(SESSION_KEY) : null;
      if (!userId) return null;
      await openUser(Number(userId), early && early.userId === Number(userId) ? early.db : null);
      return auth ? auth.user : null;
    },
    /** The signed-in user (or null). */
    user: () => (auth ? auth.user : null),
    /** The signed-in inspector's name. */
    me,
    /** Listens to store events ('changed', 'sync:*'); returns an unsubscribe function. */
    on(fn) { listeners.add(fn); return () => listeners.delete(fn); },

    /** Logs in online (POST /auth/token) and makes this user's database current. */
    async login(username, password, deviceName) {
      if (globalThis.navigator && navigator.onLine === false) throw new AppError('login_needs_network');
      let resp;
      try {
        resp = await api.login(username.trim(), password, deviceName.trim());
      } catch (err) {
        if (err.code === 'network' || err.code === 'offline') throw new AppError('login_needs_network');
        throw err;
      }
      await openUser(resp.user.id);
      auth = { token: resp.token, expires_at: resp.expires_at, user: resp.user };
      await db.setMeta(userDb, 'auth', auth);
      await db.setMeta(userDb, 'clock', { offset_ms: Date.now() - Date.parse(resp.server_time), measured_at: new Date().toISOString() });
      await db.put(await deviceDb(), db.S.ACCOUNTS, { user_id: resp.user.id, username: resp.user.username, display_name: resp.user.display_name });
      localStorage.setItem(SESSION_KEY, String(resp.user.id));
      emit('login');
      return resp.user;
    },

    /**
     * Logs out. With queued work it returns {needsConfirm: n} unless `keep` is set; then the data stays on
     * the phone (only this user can see it, after logging in again) and the token is not revoked.
     */
    async logout({ keep = false } = {}) {
      const queued = await store.queued();
      if (queued && !keep) return { needsConfirm: queued };
      const userId = auth && auth.user ? auth.user.id : null;
      if (sync) sync.stop();
      if (!queued) {
        try { await api.logout(); } catch { /* offline or already revoked: the token is dropped here anyway */ }
      }
      await db.setMeta(userDb, 'auth', null);
      userDb.close();
      userDb = null;
      if (!queued && userId !== null) {
        await db.deleteUserDb(factory, userId);
        await db.del(await deviceDb(), db.S.ACCOUNTS, userId);
      }
      localStorage.removeItem(SESSION_KEY);
      auth = null;
      emit('logout');
      return { loggedOut: true, kept: queued };
    },

    /** Other accounts on this phone with unsynced work: [{display_name, queued}]. */
    async otherAccounts() {
      const out = [];
      for (const acc of await db.all(await deviceDb(), db.S.ACCOUNTS)) {
        if (auth && auth.user && acc.user_id === auth.user.id) continue;
        const handle = await db.openUserDb(factory, acc.user_id);
        const queued = await db.count(handle, db.S.OUTBOX);
        handle.close();
        if (queued) out.push({ display_name: acc.display_name, queued });
      }
      return out;
    },

    /** The inspection list as the phone shows it, returned ones first (one read transaction). */
    async inspections() {
      const [bundles, queue, receipts] = await db.run(userDb, [db.S.INSPECTIONS, db.S.OUTBOX, db.S.RECEIPTS], 'readonly',
        (s) => Promise.all([db.req(s[db.S.INSPECTIONS].getAll()), db.req(s[db.S.OUTBOX].getAll()), db.req(s[db.S.RECEIPTS].getAll())]));
      const byInspection = new Map();
      for (const e of queue) byInspection.set(e.inspection_id, [...(byInspection.get(e.inspection_id) || []), e]);
      const receiptOf = new Map(receipts.map((r) => [r.inspection_id, r]));
      const rows = bundles.map((b) => ({ ...ls.inspectionView(b, byInspection.get(b.id) || []), receipt: receiptOf.get(b.id) || null }));
      const rank = (v) => ({ returned: 0, in_progress: 1, assigned: 2, pending_evidence: 3, submitted: 4, approved: 5 }[v.status] ?? 6);
      return rows.sort((a, b) => rank(a) - rank(b) || String(a.due_date).localeCompare(String(b.due_date)) || a.id - b.id);
    },

    /** One inspection as the phone shows it (null if it is not on the phone). */
    inspection: view,
    /** Reference data from the last pull. */
    reference: async () => (await db.getMeta(userDb, 'reference')) || {},
    /** The phone's clock offset from the server {offset_ms, measured_at}, if measured. */
    clock: () => db.getMeta(userDb, 'clock'),
    /** The time of the last successful sync. */
    lastSync: () => db.getMeta(userDb, 'last_sync'),
    /** Number of queued mutations. */
    queued: () => db.count(userDb, db.S.OUTBOX),
    /** The local result draft of an inspection (initially what the server holds, e.g. after a return). */
    async draft(id) {
      const stored = await db.get(userDb, db.S.DRAFTS, id);
      if (stored) return stored;
      const v = await view(id);
      const r = (v && v.record.result) || {};
      return { inspection_id: id, result_categories: r.result_categories || [], methods: r.methods || [],
        follow_ups: r.follow_ups || [], summary: r.summary || '' };
    },
    /** Saves the local result draft (not sent until submit). */
    saveDraft: (id, data) => db.put(userDb, db.S.DRAFTS, { ...data, inspection_id: id }),
    /** The stored receipt of an inspection. */
    receipt: (id) => db.get(userDb, db.S.RECEIPTS, id),
    /** The “需要处理” list. */
    attention: () => outbox.attentionList(userDb),
    /** Marks a “需要处理” entry as read (it stays on the phone). */
    markHandled: async (key) => { await outbox.markHandled(userDb, key); emit('changed'); },
    /** A stored photo or signature file. */
    blob: async (sha256) => { const row = await db.get(userDb, db.S.BLOBS, sha256); return row ? row.blob : null; },
    /** What to show for a photo or signature: this phone's own file, else a thumbnail kept from the server, else null. */
    async image(sha256) {
      const own = await store.blob(sha256);
      if (own) return own;
      const kept = await db.get(userDb, db.S.BLOBS, THUMB_KEY(sha256));
      return kept ? kept.blob : null;
    },
    /**
     * Downloads the thumbnail of a file another group member took and keeps it on the phone (never queued,
     * never uploaded); null when offline, not signed in or the server refuses (the screen keeps its placeholder).
     */
    fetchThumb(sha256) {
      if (!auth || !userDb || (globalThis.navigator && navigator.onLine === false)) return Promise.resolve(null);
      if (!thumbFetches.has(sha256)) {
        const handle = userDb;
        thumbFetches.set(sha256, api.mediaThumb(sha256).then(async (blob) => {
          const row = { sha256: THUMB_KEY(sha256), of: sha256, kind: 'thumb', blob, type: blob.type, bytes: blob.size,
            uploaded: true, error: null, fetched_at: new Date().toISOString() };
          await db.put(handle, db.S.BLOBS, row).catch(() => {}); // storage full or closed: show it this once anyway
          return blob;
        }, () => null).finally(() => thumbFetches.delete(sha256)));
      }
      return thumbFetches.get(sha256);
    },

    /** Starts the inspection (after showing the notice). */
    start: (id) => record(id, 'inspection.start', { started_at: outbox.nowIso() }),
    /** Records a checkpoint answer over the heads the phone has seen. */
    async answer(v, checkpointId, answer, note = '') {
      const reg = ls.registerFor(v, checkpointId);
      return record(v.id, 'checkpoint.record', { id: outbox.newId(), checkpoint_id: checkpointId, answer, note, base: reg ? reg.heads : [] });
    },
    /** Adds a finding. */
    addFinding: (id, f) => record(id, 'finding.add', { id: outbox.newId(), ...f }),
    /** Amends a finding (a new version; the old one is kept). */
    amendFinding: (id, findingId, f) => record(id, 'finding.amend', { id: outbox.newId(), finding_id: findingId, ...f }),
    /** Records the party on site. */
    recordParty: (id, p) => record(id, 'party.record', { id: outbox.newId(), ...p }),
    /** Stores a signature (PNG) and queues signature.add. */
    addSignature: (id, sig, { role, name, inspectorId = null }) => record(id, 'signature.add', {
      id: outbox.newId(), sha256: sig.sha256, signer_role: role, signer_name: name, inspector_id: inspectorId, signed_at: outbox.nowIso(),
    }, { blob: { ...sig, kind: 'signature' } }),

    /** Processes a camera file into evidence, stores it and queues photo.attach; returns the record. */
    async addPhoto(v, file, { caption = '', checkpointId = null, findingId = null } = {}) {
      const takenAt = new Date();
      const clock = await db.getMeta(userDb, 'clock');
      const reference = await store.reference();
      const { processPhoto, currentPosition } = await import('./photos.js'); // not needed for a cold start
      const pos = await currentPosition({ timeout: 6000 });
      const lines = photoCaption({ takenAt, pos, view: v, clockOffsetMs: clock ? clock.offset_ms : null });
      const photo = await processPhoto(file, reference.photo, lines);
      return record(v.id, 'photo.attach', {
        id: outbox.newId(), sha256: photo.sha256, finding_id: findingId, checkpoint_id: checkpointId, caption: caption.slice(0, 500),
        taken_at: outbox.nowIso(takenAt), latitude: pos ? pos.latitude : null, longitude: pos ? pos.longitude : null,
        accuracy_m: pos ? Math.round(pos.accuracy_m * 10) / 10 : null, width: photo.width, height: photo.height, bytes: photo.bytes,
        clock_offset_ms: clock ? Math.round(clock.offset_ms) : null,
      }, { blob: { sha256: photo.sha256, blob: photo.blob, type: photo.type, bytes: photo.bytes, kind: 'photo' } });
    },

    /** Submits: throws when something is missing; otherwise queues inspection.submit with the draft. */
    async submit(id) {
      const v = await view(id);
      const draft = await store.draft(id);
      const missing = ls.missingForSubmit(v, draft);
      if (missing.length) throw new AppError('incomplete', `还有 ${missing.length} 项未完成：${missing[0].text}`);
      return record(id, 'inspection.submit', {
        result_categories: draft.result_categories, methods: draft.methods, follow_ups: draft.follow_ups, summary: (draft.summary || '').trim(),
      });
    },

    /** Flushes the outbox and pulls now. */
    sync: (reason = 'manual') => (sync ? sync.flush(reason) : Promise.resolve()),
    /** The sync client's state (running, progress, error, needsLogin). */
    syncState: () => (sync ? sync.state : null),

    /** Storage: whether it is persistent, and usage/quota in bytes. */
    async storage() {
      const s = globalThis.navigator && navigator.storage;
      if (!s) return { supported: false };
      const [persisted, estimate] = await Promise.all([s.persisted ? s.persisted() : false, s.estimate ? s.estimate() : {}]);
      return { supported: true, persisted, usage: estimate.usage || 0, quota: estimate.quota || 0 };
    },
    /** Asks the browser to keep this app's storage (navigator.storage.persist()). */
    async persist() {
      const s = globalThis.navigator && navigator.storage;
      return s && s.persist ? s.persist() : false;
    },
  };
  return store;
}
