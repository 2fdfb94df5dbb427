// @ts-check
/**
 * The store's recording actions: each one queues an outbox mutation (with its file, for photos and
 * signatures), tells the screens that the inspection changed, and syncs shortly after.
 */
import * as db from './db.js';
import { enqueue, newId, nowIso } from './outbox.js';
import * as ls from './local-state.js';
import { AppError, MUTATIONS as M } from './messages.js';
import { photoCaption } from './format.js';
import { me, flush } from './store-session.js';
import { inspectionView, reference, draft, contentDigest } from './store-inspections.js';
import { strip } from './signing.js';

const SYNC_AFTER_MS = 1500; // a burst of answers goes out in one push

/** Processes a camera file into evidence: the photo.attach arguments and the file to store with them. */
async function photoEvidence(s, v, file, { caption = '', checkpointId = null, findingId = null }) {
  const takenAt = new Date();
  const clock = await db.getMeta(s.userDb, 'clock');
  const ref = await reference(s);
  const { processPhoto, currentPosition } = await import('./photos.js'); // not needed for a cold start
  const pos = await currentPosition({ timeout: 6000 });
  const lines = photoCaption({ takenAt, pos, view: v, clockOffsetMs: clock ? clock.offset_ms : null });
  const photo = await processPhoto(file, ref.photo, lines);
  const args = {
    id: newId(), sha256: photo.sha256, finding_id: findingId, checkpoint_id: checkpointId, caption: caption.slice(0, 500),
    taken_at: nowIso(takenAt), latitude: pos ? pos.latitude : null, longitude: pos ? pos.longitude : null,
    accuracy_m: pos ? Math.round(pos.accuracy_m * 10) / 10 : null, width: photo.width, height: photo.height, bytes: photo.bytes,
    clock_offset_ms: clock ? Math.round(clock.offset_ms) : null,
  };
  return { args, blob: { sha256: photo.sha256, blob: photo.blob, type: photo.type, bytes: photo.bytes, kind: 'photo' } };
}

/** A finding's fields as the server will store them (text stripped as its wire schema strips it). */
function findingFields(f) {
  return { ...f, description: strip(f.description), legal_basis: strip(f.legal_basis), rectification: strip(f.rectification),
    ...(f.reason !== undefined ? { reason: strip(f.reason) } : {}) };
}

/** The inspection.submit arguments from the draft; throws when something is still missing. */
async function submitArgs(s, id) {
  const v = await inspectionView(s, id);
  const d = await draft(s, id);
  const missing = ls.missingForSubmit(v, d, await contentDigest(s, v));
  if (missing.length) throw new AppError('incomplete', `还有 ${missing.length} 项未完成：${missing[0].text}`);
  return { result_categories: d.result_categories, methods: d.methods, follow_ups: d.follow_ups, summary: strip(d.summary) };
}

/** The recording part of the store: one action per mutation the inspector makes. */
export function recordingPart(s) {
  let debounce = null;
  async function record(inspectionId, name, args, opts = {}) {
    const entry = await enqueue(s.userDb, name, { inspection_id: inspectionId, ...args }, { by: me(s), ...opts });
    s.emit('changed', { inspectionId });
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => { debounce = null; if (navigator.onLine !== false) flush(s, 'record'); }, SYNC_AFTER_MS);
    if (navigator.onLine === false && globalThis.navigator.serviceWorker) { // a bonus where Background Sync exists
      navigator.serviceWorker.ready.then((reg) => reg.sync && reg.sync.register('spotcheck-outbox')).catch(() => {});
    }
    return entry;
  }
  return {
    /** Starts the inspection (after showing the notice). */
    start: (id) => record(id, M.INSPECTION_START, { started_at: nowIso() }),
    /** Records a checkpoint answer over the heads the phone has seen. */
    async answer(v, checkpointId, answer, note = '') {
      const reg = ls.registerFor(v, checkpointId);
      return record(v.id, M.CHECKPOINT_RECORD, { id: newId(), checkpoint_id: checkpointId, answer, note: strip(note), base: reg ? reg.heads : [] });
    },
    /** Adds a finding. */
    addFinding: (id, f) => record(id, M.FINDING_ADD, { id: newId(), ...findingFields(f) }),
    /** Amends a finding (a new version; the old one is kept). */
    amendFinding: (id, findingId, f) => record(id, M.FINDING_AMEND, { id: newId(), finding_id: findingId, ...findingFields(f) }),
    /** Records the party on site. */
    recordParty: (id, p) => record(id, M.PARTY_RECORD, { id: newId(), ...p }),
    /**
     * Stores a signature (PNG) and queues signature.add over the content as it stands (its digest); a later
     * signature of the same person replaces this one. Refused before the conclusion is chosen.
     */
    async addSignature(id, sig, { role, name, inspectorId = null }) {
      const v = await inspectionView(s, id);
      if (!ls.conclusionReady(await draft(s, id))) throw new AppError('signature_needs_conclusion');
      return record(id, M.SIGNATURE_ADD, {
        id: newId(), sha256: sig.sha256, signer_role: role, signer_name: name, inspector_id: inspectorId, signed_at: nowIso(),
        digest: await contentDigest(s, v),
      }, { blob: { ...sig, kind: 'signature' } });
    },
    /** Withdraws a photo taken by mistake (before submitting): it stays on record, shown as withdrawn. */
    withdrawPhoto: (id, photoId, reason = '') => record(id, M.PHOTO_WITHDRAW, { id: newId(), photo_id: photoId, reason: strip(reason).slice(0, 500) }),
    /** Processes a camera file into evidence, stores it and queues photo.attach; returns the record. */
    async addPhoto(v, file, opts = {}) {
      const { args, blob } = await photoEvidence(s, v, file, opts);
      return record(v.id, M.PHOTO_ATTACH, args, { blob });
    },
    /** Submits: throws when something is missing; otherwise queues inspection.submit with the draft. */
    submit: async (id) => record(id, M.INSPECTION_SUBMIT, await submitArgs(s, id)),
  };
}
