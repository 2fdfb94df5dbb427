// @ts-check
/**
 * The store's inspections as the phone shows them: the server's bundles with this phone's unsynced work
 * applied on top (local-state.js), the result drafts, receipts, reference data and the “需要处理” list.
 */
import * as db from './db.js';
import * as outbox from './outbox.js';
import * as ls from './local-state.js';
import { content, digest } from './signing.js';

const RANK = { returned: 0, in_progress: 1, assigned: 2, pending_evidence: 3, submitted: 4, approved: 5 };

/** One inspection as the phone shows it (null if it is not on the phone). */
export async function inspectionView(s, id) {
  const bundle = await db.get(s.userDb, db.S.INSPECTIONS, id);
  if (!bundle) return null;
  return ls.inspectionView(bundle, await outbox.pendingFor(s.userDb, id));
}

/** The digest of what a signature given now covers: the inspection as shown, with its result draft. */
export async function contentDigest(s, v) {
  return digest(content(ls.signedContent(v, await draft(s, v.id))));
}

async function inspectionList(s) {
  const [bundles, queue, receipts] = await db.run(s.userDb, [db.S.INSPECTIONS, db.S.OUTBOX, db.S.RECEIPTS], 'readonly',
    (t) => Promise.all([db.req(t[db.S.INSPECTIONS].getAll()), db.req(t[db.S.OUTBOX].getAll()), db.req(t[db.S.RECEIPTS].getAll())]));
  const byInspection = new Map();
  for (const e of queue) byInspection.set(e.inspection_id, [...(byInspection.get(e.inspection_id) || []), e]);
  const receiptOf = new Map(receipts.map((r) => [r.inspection_id, r]));
  const rows = bundles.map((b) => ({ ...ls.inspectionView(b, byInspection.get(b.id) || []), receipt: receiptOf.get(b.id) || null }));
  const rank = (v) => RANK[v.status] ?? 6;
  return rows.sort((a, b) => rank(a) - rank(b) || String(a.due_date).localeCompare(String(b.due_date)) || a.id - b.id);
}

/** Reference data from the last pull ({} before the first). */
export async function reference(s) {
  return (await db.getMeta(s.userDb, 'reference')) || {};
}

/** The local result draft of an inspection (initially what the server holds, e.g. after a return). */
export async function draft(s, id) {
  const stored = await db.get(s.userDb, db.S.DRAFTS, id);
  if (stored) return stored;
  const v = await inspectionView(s, id);
  const r = (v && v.record.result) || {};
  return { inspection_id: id, result_categories: r.result_categories || [], methods: r.methods || [],
    follow_ups: r.follow_ups || [], summary: r.summary || '' };
}

/** The inspections' part of the store: lists, one inspection, drafts, receipts, what needs attention. */
export function inspectionsPart(s) {
  return {
    /** The inspection list as the phone shows it, returned ones first (one read transaction). */
    inspections: () => inspectionList(s),
    /** One inspection as the phone shows it (null if it is not on the phone). */
    inspection: (id) => inspectionView(s, id),
    /** Reference data from the last pull. */
    reference: () => reference(s),
    /** The phone's clock offset from the server {offset_ms, measured_at}, if measured. */
    clock: () => db.getMeta(s.userDb, 'clock'),
    /** The time of the last successful sync. */
    lastSync: () => db.getMeta(s.userDb, 'last_sync'),
    /** Number of queued mutations. */
    queued: () => db.count(s.userDb, db.S.OUTBOX),
    /** The local result draft of an inspection (initially what the server holds, e.g. after a return). */
    draft: (id) => draft(s, id),
    /** Saves the local result draft (not sent until submit). */
    saveDraft: (id, data) => db.put(s.userDb, db.S.DRAFTS, { ...data, inspection_id: id }),
    /** The digest of what a signature given now covers (PROTOCOL §3.3). */
    contentDigest: (v) => contentDigest(s, v),
    /** What was being typed in a form ({values} by field), kept as it was typed; undefined when nothing. */
    typed: async (key) => { const row = await db.get(s.userDb, db.S.TYPING, key); return row ? row.values : undefined; },
    /** Keeps what is being typed in a form (a reload or a killed app loses nothing). */
    keepTyped: (inspectionId, key, values) => db.put(s.userDb, db.S.TYPING, { key, inspection_id: inspectionId, values, at: new Date().toISOString() }),
    /** Forgets what was typed once it is saved as a record. */
    dropTyped: (key) => db.del(s.userDb, db.S.TYPING, key),
    /** The stored receipt of an inspection. */
    receipt: (id) => db.get(s.userDb, db.S.RECEIPTS, id),
    /** The “需要处理” list. */
    attention: () => outbox.attentionList(s.userDb),
    /** How many things need the inspector: unread “需要处理” entries and returned inspections. */
    attentionCount: async () => {
      const unread = (await outbox.attentionList(s.userDb)).filter((a) => !a.handled).length;
      const returned = (await db.all(s.userDb, db.S.INSPECTIONS)).filter((b) => b.status === 'returned').length;
      return unread + returned;
    },
    /** Marks a “需要处理” entry as read (it stays on the phone). */
    markHandled: async (key) => { await outbox.markHandled(s.userDb, key); s.emit('changed'); },
  };
}
