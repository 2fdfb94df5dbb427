// @ts-check
/**
 * The sync client (sync/PROTOCOL.md §7): upload files (PUT, naming their kind; skipped when the server is
 * known to hold them), push the outbox FIFO in batches, pull every page, fetch receipts. One flush at a
 * time; a transient failure (5xx, an HTML error page, a cut connection) schedules a retry with randomized
 * exponential back-off and keeps everything queued. Without a network it makes no request at all (no
 * failed request, no back-off) and flushes as soon as the network is back; while online it also pulls
 * every `poll_seconds` (reference data), so a return note or a new assignment reaches an open phone.
 */
import { S, req, run, all, get, getMeta, setMeta, put } from './db.js';
import * as outbox from './outbox.js';
import { isTokenError } from './api.js';
import { LOCKED } from './local-state.js';

/** Retry back-off (PROTOCOL §7): base 1 s, factor 2, cap 5 minutes, full jitter. */
export const BACKOFF = Object.freeze({ base: 1000, factor: 2, cap: 5 * 60 * 1000 });
const DEFAULT_BATCH = 500;
const MAX_ROUNDS = 200;
/** How often an open phone pulls while online, unless the server's reference data says otherwise. */
export const DEFAULT_POLL_SECONDS = 30;
const POLL_LOOK_SECONDS = 5;

/** The delay before retry number `attempt` (0-based): full jitter over base × factor^attempt, capped. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF.cap, BACKOFF.base * BACKOFF.factor ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * Whether a receipt proves the server holds everything this device sent for the inspection:
 * complete, and every record id and file hash from the journal listed (and held).
 */
export function receiptStatus(receipt, journal = [], queued = 0) {
  const ids = new Set((receipt.evidence || []).map((e) => String(e.id)));
  const held = new Set((receipt.evidence || []).filter((e) => e.sha256 && e.held).map((e) => e.sha256));
  const missing = [];
  for (const j of journal) {
    if (!outbox.RECORD_KINDS[j.name] || j.status === 'rejected' || j.inspection_id !== receipt.inspection_id) continue;
    if (j.status !== 'late' && !ids.has(j.args.id)) missing.push({ id: j.args.id, kind: outbox.RECORD_KINDS[j.name] });
    if (j.args.sha256 && !held.has(j.args.sha256)) missing.push({ sha256: j.args.sha256, kind: outbox.RECORD_KINDS[j.name] });
  }
  for (const m of receipt.missing || []) missing.push({ ...m, server: true });
  return { ok: Boolean(receipt.complete) && missing.length === 0 && queued === 0, missing, queued };
}

/** Creates the sync client of one user database. */
export function createSyncClient({
  db, api, now = () => new Date(), random = Math.random, onEvent = (_type, _detail) => {}, timers = globalThis,
  lockName = 'spotcheck-sync', isOnline = () => !(globalThis.navigator && globalThis.navigator.onLine === false),
  isVisible = () => !(globalThis.document && globalThis.document.visibilityState === 'hidden'),
}) {
  const state = {
    running: false, attempt: 0, retryAt: null, error: null, needsLogin: false, progress: null, lastSuccess: null, offline: false,
  };
  let inflight = null;
  let again = false;
  let timer = null;
  let poller = null;

  const emit = (type, detail = {}) => onEvent(type, { ...detail, state: { ...state } });
  const progress = (p) => { state.progress = p; emit('progress'); };

  async function noteClock(serverTime) {
    const server = Date.parse(serverTime);
    if (Number.isFinite(server)) await setMeta(db, 'clock', { offset_ms: Math.round(now().getTime() - server), measured_at: now().toISOString() });
  }

  /** The hashes the last pull says the server holds (a file another member took, or one sent before). */
  async function heldOnServer() {
    const held = new Set();
    for (const b of await all(db, S.INSPECTIONS)) {
      for (const r of [...((b.record || {}).photos || []), ...((b.record || {}).signatures || [])]) if (r.held) held.add(r.sha256);
    }
    return held;
  }

  async function uploadMedia(entries, everything = false) {
    const files = await outbox.mediaToUpload(db, entries, { all: everything });
    if (!files.length) return;
    const held = await heldOnServer();
    const label = files.some((f) => f.kind === 'signature') ? '照片与签名' : '照片';
    for (const [i, file] of files.entries()) {
      progress({ phase: 'media', done: i, total: files.length, text: `${label} ${i + 1}/${files.length}` });
      try {
        // PUT is idempotent: no HEAD first (a 404 for every new file is noise in the console and a round trip).
        if (!held.has(file.sha256)) await api.putMedia(file.sha256, file.blob, file.type, file.kind);
        await outbox.markMedia(db, file.sha256, { uploaded: true });
      } catch (err) {
        if (err.transient || isTokenError(err) || !err.status) throw err;
        await outbox.markMedia(db, file.sha256, { uploaded: false, error: { code: err.code, message: err.message } });
        await outbox.addAttention(db, { kind: 'media', inspection_id: file.inspection_id, code: err.code, message: err.message, sha256: file.sha256 });
        emit('changed');
      }
    }
  }

  async function recoverGap(err, firstId, clientId) {
    const expected = Number(err.errors && err.errors.expected_id);
    if (!Number.isInteger(expected) || expected < 1) throw err;
    if (expected > firstId) return outbox.acknowledgeBelow(db, clientId, expected);
    const back = await outbox.requeueFrom(db, clientId, expected);
    if (!back) await outbox.renumber(db, clientId, expected); // the journal lacks them too: continue at the server's id
    return null;
  }

  async function pushAll() {
    const reference = (await getMeta(db, 'reference')) || {};
    let batchSize = (reference.sync && reference.sync.max_batch) || DEFAULT_BATCH;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      const entries = await outbox.pending(db);
      if (!entries.length) return;
      const client = await outbox.clientState(db);
      const batch = entries.slice(0, batchSize);
      await uploadMedia(batch); // entries queued while an earlier round ran name files not uploaded yet
      progress({ phase: 'push', done: 0, total: entries.length, text: `提交记录 ${entries.length} 条` });
      let resp;
      try {
        resp = await api.push(client.client_id, batch.map(({ id, name, args, created_at }) => ({ id, name, args, created_at })));
      } catch (err) {
        if (err.code === 'mutation_gap') { await recoverGap(err, batch[0].id, client.client_id); continue; }
        if (err.code === 'client_mismatch') { await outbox.renumber(db); continue; }
        if (err.code === 'batch_too_large' && batchSize > 1) { batchSize = Math.max(1, Math.floor(batchSize / 2)); continue; }
        throw err;
      }
      await noteClock(resp.server_time);
      const { acknowledged, rejected, uncounted } = await outbox.acknowledge(db, client.client_id, resp.last_applied_id, resp.results);
      if (rejected.length) emit('rejected', { count: rejected.length });
      if (uncounted.length) emit('late', { count: uncounted.length });
      emit('changed');
      if (!acknowledged) return;
    }
  }

  async function applyPage(page) {
    await run(db, [S.INSPECTIONS, S.META, S.OUTBOX, S.ATTENTION], 'readwrite', async (s) => {
      for (const bundle of page.inspections || []) await req(s[S.INSPECTIONS].put(bundle));
      for (const t of page.tombstones || []) await tombstone(s, t.id, t.reason);
      await req(s[S.META].put({ key: 'reference', value: page.reference || {} }));
    });
    await noteClock(page.server_time);
  }

  async function tombstone(s, id, reason) {
    const existing = await req(s[S.INSPECTIONS].get(id));
    if (!existing) return;
    await req(s[S.INSPECTIONS].delete(id));
    const queued = (await req(s[S.OUTBOX].getAll())).filter((e) => e.inspection_id === id).length;
    const name = (existing.target && existing.target.name) || `检查 ${id}`;
    const what = reason === 'unassigned' ? '您已不在该检查的检查组' : '该检查已被撤回';
    await req(s[S.ATTENTION].add({
      kind: 'withdrawn', inspection_id: id, code: reason || 'withdrawn', handled: false, at: outbox.nowIso(now()),
      message: `${name}：${what}${queued ? `；本机未同步的 ${queued} 条记录仍会提交，服务器会保留给审核人员` : ''}`,
    }));
  }

  async function pullAll() {
    let cursor = await getMeta(db, 'cursor');
    let restarted = false;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      progress({ phase: 'pull', done: round, total: 0, text: '下载检查任务' });
      let page;
      try {
        page = await api.pull(cursor);
      } catch (err) {
        if (err.code === 'bad_cursor' && cursor) { cursor = null; continue; }
        throw err;
      }
      await applyPage(page);
      cursor = page.cursor;
      await setMeta(db, 'cursor', cursor);
      if (page.more) continue;
      if (!Array.isArray(page.assigned)) return;
      const assigned = new Set(page.assigned);
      const local = await all(db, S.INSPECTIONS);
      const gone = local.filter((b) => !assigned.has(b.id)).map((b) => b.id);
      if (gone.length) await run(db, [S.INSPECTIONS, S.OUTBOX, S.ATTENTION], 'readwrite', async (s) => {
        for (const id of gone) await tombstone(s, id, 'unassigned');
      });
      const held = new Set(local.map((b) => b.id));
      if (!restarted && [...assigned].some((id) => !held.has(id) && !(page.inspections || []).some((b) => b.id === id))) {
        restarted = true;
        cursor = null;
        continue;
      }
      return;
    }
  }

  async function refreshReceipts() {
    const queued = await outbox.pendingCounts(db);
    for (const bundle of await all(db, S.INSPECTIONS)) {
      if (!LOCKED.has(bundle.status) || queued.get(bundle.id)) continue;
      const stored = await get(db, S.RECEIPTS, bundle.id);
      if (stored && stored.status.ok && stored.receipt.inspection_version === bundle.version) continue;
      let receipt;
      try {
        receipt = await api.receipt(bundle.id);
      } catch (err) {
        if (err.transient || isTokenError(err)) throw err;
        continue;
      }
      const journal = await outbox.journalFor(db, bundle.id);
      await put(db, S.RECEIPTS, { inspection_id: bundle.id, receipt, fetched_at: now().toISOString(), status: receiptStatus(receipt, journal, 0) });
    }
  }

  async function once() {
    let pushError = null;
    try {
      await uploadMedia(await outbox.pending(db), true);
      await pushAll();
    } catch (err) {
      // Without a connection or a login nothing else can work; otherwise still pull (a withdrawn
      // inspection, a reviewer's note) and report the push failure afterwards.
      if (isTokenError(err) || err.code === 'network' || err.code === 'offline') throw err;
      pushError = err;
    }
    await pullAll();
    await refreshReceipts();
    if (pushError) throw pushError;
  }

  function schedule() {
    if (timer) timers.clearTimeout(timer);
    timer = null;
    if (!isOnline()) { state.retryAt = null; return; } // no network: the `online` event flushes, no back-off
    const delay = backoffDelay(state.attempt, random);
    state.attempt += 1;
    state.retryAt = new Date(now().getTime() + delay).toISOString();
    timer = timers.setTimeout(() => { timer = null; return flush('retry'); }, delay);
  }

  async function runFlush(reason) {
    if (!isOnline()) { // nothing to try without a network: no failed requests, no back-off
      state.offline = true;
      emit('changed');
      return;
    }
    state.offline = false;
    state.running = true;
    state.needsLogin = false;
    emit('start', { reason });
    try {
      await once();
      state.error = null;
      state.attempt = 0;
      state.retryAt = null;
      state.lastSuccess = now().toISOString();
      await setMeta(db, 'last_sync', state.lastSuccess);
    } catch (err) {
      state.error = { code: err.code || 'unknown', message: err.message, transient: Boolean(err.transient) };
      if (isTokenError(err)) state.needsLogin = true;
      else schedule();
    } finally {
      state.running = false;
      state.progress = null;
      emit('done');
      emit('changed');
    }
  }

  /**
   * Flushes the outbox and pulls; concurrent calls share one run (and trigger one more after it). The network
   * coming back (or the user's 同步) starts over: the back-off built up while offline is forgotten.
   */
  function flush(reason = 'manual') {
    if (reason === 'online' || reason === 'button') {
      state.attempt = 0;
      if (timer) { timers.clearTimeout(timer); timer = null; state.retryAt = null; }
    }
    if (inflight) { again = true; return inflight; }
    const locks = globalThis.navigator && globalThis.navigator.locks;
    const go = () => runFlush(reason);
    inflight = (locks ? locks.request(lockName, go) : go()).finally(() => {
      inflight = null;
      if (again) { again = false; flush('again'); }
    });
    return inflight;
  }

  async function pollSeconds() {
    const reference = (await getMeta(db, 'reference')) || {};
    const seconds = Number(reference.sync && reference.sync.poll_seconds);
    return seconds > 0 ? seconds : DEFAULT_POLL_SECONDS;
  }

  /**
   * Pulls every poll_seconds while online and visible, unless a flush or a retry is already on its way. It
   * looks every few seconds whether one is due, so a poll_seconds from the first pull applies at once.
   */
  function startPolling() {
    if (poller) timers.clearTimeout(poller);
    let lastRun = now().getTime();
    const tick = async () => {
      const seconds = await pollSeconds();
      poller = timers.setTimeout(tick, Math.min(seconds, POLL_LOOK_SECONDS) * 1000);
      if (state.running || inflight) lastRun = now().getTime();
      const due = now().getTime() - lastRun >= seconds * 1000;
      if (due && isOnline() && isVisible() && !timer && !state.needsLogin) {
        lastRun = now().getTime();
        flush('poll');
      }
    };
    poller = timers.setTimeout(tick, POLL_LOOK_SECONDS * 1000);
  }

  /** Stops the retry timer and the periodic pull (logout, a closed page). */
  function stop() {
    if (timer) timers.clearTimeout(timer);
    if (poller) timers.clearTimeout(poller);
    timer = null;
    poller = null;
  }

  return { flush, stop, startPolling, state };
}
