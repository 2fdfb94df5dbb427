// @ts-check
/**
 * The durable FIFO outbox of sync mutations (sync/PROTOCOL.md §3). It knows nothing about screens.
 * Every write is one IndexedDB transaction: a photo's file and its photo.attach are stored together or
 * not at all, and an acknowledged entry leaves the outbox in the same transaction that folds it into the
 * inspection and writes it to the journal (or, if rejected, to the “需要处理” list).
 */
import { S, req, run, all, get } from './db.js';
import { applyMutation, lateNote, describeEntry, JUDGEMENTS } from './local-state.js';
import { MUTATIONS as M } from './messages.js';

/** Mutations whose `args.id` names a record the receipt must list. */
export const RECORD_KINDS = {
  [M.CHECKPOINT_RECORD]: 'answer', [M.FINDING_ADD]: 'finding', [M.FINDING_AMEND]: 'finding', [M.PHOTO_ATTACH]: 'photo',
  [M.SIGNATURE_ADD]: 'signature', [M.PARTY_RECORD]: 'party', [M.PHOTO_WITHDRAW]: 'withdrawal',
};

const pad = (n, w = 2) => String(Math.abs(Math.trunc(n))).padStart(w, '0');

/** An ISO 8601 time with the device's own offset (e.g. 2024-05-06T09:01:00.000+08:00). */
export function nowIso(d = new Date()) {
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:`
    + `${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

/** A new random UUID (record ids and the client id). */
export function newId() {
  return globalThis.crypto.randomUUID();
}

async function readClient(stores) {
  const row = await req(stores[S.META].get('client'));
  return row ? row.value : { client_id: newId(), next_id: 1 };
}

/** This install's sync identity for the user: {client_id, next_id}. */
export async function clientState(db) {
  return run(db, [S.META], 'readwrite', async (s) => {
    const client = await readClient(s);
    await req(s[S.META].put({ key: 'client', value: client }));
    return client;
  });
}

/**
 * Appends a mutation (with the file it names, if any) to the outbox in one transaction and returns the
 * entry; rejects with quota_exceeded, leaving nothing half-stored, when the phone's storage is full.
 */
export function enqueue(db, name, args, { by = '', blob = null, now = new Date() } = {}) {
  return run(db, [S.META, S.OUTBOX, S.BLOBS], 'readwrite', async (s) => {
    const client = await readClient(s);
    const entry = {
      id: client.next_id, name, args, created_at: nowIso(now), inspection_id: args.inspection_id, by,
      media: blob ? blob.sha256 : null,
    };
    if (blob) await req(s[S.BLOBS].put({ uploaded: false, error: null, ...blob, inspection_id: args.inspection_id }));
    await req(s[S.OUTBOX].add(entry));
    await req(s[S.META].put({ key: 'client', value: { ...client, next_id: client.next_id + 1 } }));
    return entry;
  });
}

/** Every queued entry, oldest first. */
export function pending(db) {
  return all(db, S.OUTBOX);
}

/** The queued entries of one inspection, oldest first. */
export async function pendingFor(db, inspectionId) {
  const rows = await all(db, S.OUTBOX, 'inspection_id', inspectionId);
  return rows.sort((a, b) => a.id - b.id);
}

/** Queued entries per inspection id. */
export async function pendingCounts(db) {
  const counts = new Map();
  for (const e of await pending(db)) counts.set(e.inspection_id, (counts.get(e.inspection_id) || 0) + 1);
  return counts;
}

const RECORD_LISTS = { answer: 'answers', finding: 'findings', photo: 'photos', signature: 'signatures', party: 'party' };

/** Whether the bundle already shows the record an entry carries (a replay the server answered `duplicate`). */
function holdsRecord(bundle, entry) {
  const list = RECORD_KINDS[entry.name] && bundle.record && bundle.record[RECORD_LISTS[RECORD_KINDS[entry.name]]];
  return Array.isArray(list) && list.some((r) => r.id === entry.args.id);
}

function attentionRow(entry, result, when, bundle) {
  return {
    kind: 'rejected', inspection_id: entry.inspection_id, mutation: entry, code: result.code || 'rejected', what: describeEntry(bundle, entry),
    target: bundle && bundle.target ? bundle.target.name : '', message: result.message || '', errors: result.errors || {}, at: when, handled: false,
  };
}

function lateRow(entry, bundle, when) {
  const message = entry.name === M.PHOTO_WITHDRAW
    ? '删除照片未生效：送达服务器时检查已提交，照片仍作为证据保留。如需删除，请联系审核人员退回后再删除。'
    : lateNote(bundle, entry);
  return { kind: 'late', inspection_id: entry.inspection_id, mutation: entry, code: 'late', what: describeEntry(bundle, entry),
    target: bundle && bundle.target ? bundle.target.name : '', message, errors: {}, at: when, handled: false };
}

/**
 * Applies a push answer: entries with id ≤ lastAppliedId leave the outbox; applied, late and duplicate
 * ones are folded into their inspection and journaled, rejected ones (and a reused id) go to “需要处理”,
 * and so does a judgement the server kept as late (not counted: the inspection was already submitted).
 */
export function acknowledge(db, clientId, lastAppliedId, results, when = nowIso()) {
  const byId = new Map((results || []).map((r) => [r.id, r]));
  return run(db, [S.OUTBOX, S.INSPECTIONS, S.ATTENTION, S.JOURNAL], 'readwrite', async (s) => {
    const entries = (await req(s[S.OUTBOX].getAll())).filter((e) => e.id <= lastAppliedId);
    const rejected = [];
    const uncounted = [];
    for (const e of entries) {
      const r = byId.get(e.id) || { id: e.id, status: 'applied' }; // applied before; its answer was lost
      // a malformed entry may carry no inspection id (IndexedDB refuses an undefined key)
      const bundle = e.inspection_id == null ? undefined : await req(s[S.INSPECTIONS].get(e.inspection_id));
      if (r.status === 'rejected' || (r.status === 'duplicate' && r.code === 'mutation_id_reused')) {
        await req(s[S.ATTENTION].add(attentionRow(e, r, when, bundle)));
        rejected.push(e);
      } else {
        if (r.status === 'late' && (JUDGEMENTS.has(e.name) || e.name === M.PHOTO_WITHDRAW)) {
          await req(s[S.ATTENTION].add(lateRow(e, bundle, when)));
          uncounted.push(e);
        } else if (bundle && !holdsRecord(bundle, e)) await req(s[S.INSPECTIONS].put(applyMutation(bundle, e)));
      }
      await req(s[S.JOURNAL].put({ ...e, client_id: clientId, status: r.status, code: r.code || null, acked_at: when }));
      await req(s[S.OUTBOX].delete(e.id));
    }
    return { acknowledged: entries.length, rejected, uncounted };
  });
}

/** After a lost acknowledgement (expected_id ahead of the queue): entries below expectedId count as applied. */
export function acknowledgeBelow(db, clientId, expectedId, when = nowIso()) {
  return acknowledge(db, clientId, expectedId - 1, [], when);
}

/** After the server lost data (expected_id behind the queue): journaled entries from expectedId go back in. */
export function requeueFrom(db, clientId, expectedId) {
  return run(db, [S.OUTBOX, S.JOURNAL], 'readwrite', async (s) => {
    const journal = (await req(s[S.JOURNAL].getAll())).filter((j) => j.client_id === clientId && j.id >= expectedId);
    for (const j of journal) {
      const { client_id: _c, status: _s, code: _k, acked_at: _a, ...entry } = j;
      await req(s[S.OUTBOX].put(entry));
    }
    return journal.length;
  });
}

/** Renumbers the queue from `startAt`, under a new client id when the old one belongs to another user. */
export function renumber(db, clientId = newId(), startAt = 1) {
  return run(db, [S.META, S.OUTBOX], 'readwrite', async (s) => {
    const entries = await req(s[S.OUTBOX].getAll());
    await req(s[S.OUTBOX].clear());
    for (const [i, e] of entries.entries()) await req(s[S.OUTBOX].add({ ...e, id: startAt + i }));
    await req(s[S.META].put({ key: 'client', value: { client_id: clientId, next_id: startAt + entries.length } }));
    return clientId;
  });
}

/**
 * The files the server may not hold yet: those the given entries name, in queue order, then (with
 * `all`) any other stored file not yet uploaded, so a file is never left behind on the phone.
 */
export async function mediaToUpload(db, entries, { all: everything = false } = {}) {
  const seen = new Set();
  const files = [];
  for (const e of entries) {
    if (!e.media || seen.has(e.media)) continue;
    seen.add(e.media);
    const blob = await get(db, S.BLOBS, e.media);
    if (blob && !blob.uploaded && !blob.error) files.push(blob);
  }
  if (everything) {
    for (const blob of await all(db, S.BLOBS)) {
      if (!seen.has(blob.sha256) && !blob.uploaded && !blob.error) files.push(blob);
    }
  }
  return files;
}

/** Marks a stored file as held by the server (or as refused, with the server's reason). */
export function markMedia(db, sha256, { uploaded = true, error = null } = {}) {
  return run(db, [S.BLOBS], 'readwrite', async (s) => {
    const row = await req(s[S.BLOBS].get(sha256));
    if (row) await req(s[S.BLOBS].put({ ...row, uploaded, error }));
  });
}

/** Adds a “需要处理” entry that is not a rejected mutation (a refused file, a withdrawn inspection). */
export function addAttention(db, row) {
  return run(db, [S.ATTENTION], 'readwrite', (s) => req(s[S.ATTENTION].add({ handled: false, at: nowIso(), ...row })));
}

/** The “需要处理” list, newest first. */
export async function attentionList(db) {
  return (await all(db, S.ATTENTION)).reverse();
}

/** Marks a “需要处理” entry as read; it stays on the phone. */
export function markHandled(db, key) {
  return run(db, [S.ATTENTION], 'readwrite', async (s) => {
    const row = await req(s[S.ATTENTION].get(key));
    if (row) await req(s[S.ATTENTION].put({ ...row, handled: true }));
  });
}

/** The journaled (acknowledged) entries of one inspection. */
export function journalFor(db, inspectionId) {
  return all(db, S.JOURNAL, 'inspection_id', inspectionId);
}
