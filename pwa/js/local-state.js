// @ts-check
/**
 * Pure functions over inspection bundles (sync/PROTOCOL.md §2.1): what the phone shows is the server's
 * bundle with the device's unsynced mutations applied on top, by the same merge rules the server uses.
 */
import { MUTATIONS as M, LABELS } from './messages.js';

/** Statuses in which the server treats new work as late evidence. */
export const LOCKED = new Set(['pending_evidence', 'submitted', 'approved']);

function copy(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function order(a) {
  return [Date.parse(a.created_at) || 0, a.id];
}

function later(a, b) {
  const [ta, ia] = order(a);
  const [tb, ib] = order(b);
  return ta !== tb ? ta > tb : ia > ib;
}

/** The register of one checkpoint's answers: current answer, undominated heads, conflict (PROTOCOL §4.2). */
export function resolveRegister(answers) {
  if (!answers.length) return null;
  const dominated = new Set(answers.flatMap((a) => a.base || []));
  let heads = answers.filter((a) => !dominated.has(a.id));
  if (!heads.length) heads = answers.slice();
  heads.sort((a, b) => (later(a, b) ? 1 : -1));
  const winner = heads[heads.length - 1];
  return {
    checkpoint_id: winner.checkpoint_id, answer: winner.answer, note: winner.note, winner: winner.id,
    heads: heads.map((a) => a.id), conflict: new Set(heads.map((a) => a.answer)).size > 1,
  };
}

function recomputeRegisters(record) {
  const byCheckpoint = new Map();
  for (const a of record.answers) {
    if (!byCheckpoint.has(a.checkpoint_id)) byCheckpoint.set(a.checkpoint_id, []);
    byCheckpoint.get(a.checkpoint_id).push(a);
  }
  record.registers = [...byCheckpoint.values()].map(resolveRegister);
}

function ensureStarted(b, at) {
  if (b.status === 'assigned' || b.status === 'returned') {
    if (b.status === 'assigned') { b.status = 'in_progress'; b.status_label = LABELS.statuses.in_progress; }
  }
  if (!b.record.started_at) b.record.started_at = at;
}

const APPLY = {
  [M.INSPECTION_START]: (b, m) => ensureStarted(b, m.args.started_at),
  [M.CHECKPOINT_RECORD]: (b, m, extra) => {
    const { id, checkpoint_id, answer, note, base } = m.args;
    b.record.answers.push({ id, checkpoint_id, answer, note, base, by: m.by || '', created_at: m.created_at, ...extra });
    recomputeRegisters(b.record);
  },
  [M.FINDING_ADD]: (b, m, extra) => {
    b.record.findings.push({ ...m.args, supersedes: null, superseded_by: [], reason: '', by: m.by || '',
      created_at: m.created_at, ...extra });
  },
  [M.FINDING_AMEND]: (b, m, extra) => {
    const { finding_id: old, ...rest } = m.args;
    b.record.findings.push({ ...rest, supersedes: old, superseded_by: [], by: m.by || '', created_at: m.created_at, ...extra });
    const prior = b.record.findings.find((f) => f.id === old);
    if (prior) prior.superseded_by = [...(prior.superseded_by || []), m.args.id];
  },
  [M.PHOTO_ATTACH]: (b, m, extra) => {
    b.record.photos.push({ ...m.args, held: false, by: m.by || '', late: Boolean(b.locked), ...extra });
  },
  [M.SIGNATURE_ADD]: (b, m, extra) => b.record.signatures.push({ ...m.args, held: false, ...extra }),
  [M.PARTY_RECORD]: (b, m, extra) => b.record.party.push({ ...m.args, created_at: m.created_at, ...extra }),
  [M.INSPECTION_SUBMIT]: (b, m) => {
    const { result_categories, methods, follow_ups, summary } = m.args;
    b.record.result = { result_categories, methods, follow_ups, summary, submitted_at: m.created_at };
    b.status = 'submitted';
    b.status_label = LABELS.statuses.submitted;
    b.locked = true;
    b.local_submitted = true;
    b.reviewer_note_seen = b.reviewer_note || '';
  },
};

function emptyRecord() {
  return {
    started_at: null, answers: [], registers: [], findings: [], photos: [], signatures: [], party: [],
    result: { result_categories: [], methods: [], follow_ups: [], summary: '', submitted_at: null }, late_evidence: 0,
  };
}

/** Applies one outbox entry ({id, name, args, created_at, by}) to a bundle; returns a new bundle. */
export function applyMutation(bundle, entry, extra = {}) {
  const b = copy(bundle);
  b.record = { ...emptyRecord(), ...(b.record || {}) };
  const fn = APPLY[entry.name];
  if (fn) {
    if (entry.name !== M.INSPECTION_START && entry.name !== M.INSPECTION_SUBMIT && !b.locked) ensureStarted(b, entry.created_at);
    fn(b, entry, extra);
  }
  return b;
}

/** The bundle as the phone shows it: the server's state plus the unsynced entries, marked `pending`. */
export function inspectionView(bundle, entries = []) {
  let view = copy(bundle);
  view.record = { ...emptyRecord(), ...(view.record || {}) };
  for (const e of entries) view = applyMutation(view, e, { pending: true });
  view.pending = entries.length;
  return view;
}

/** Findings that are current (not superseded by an amendment). */
export function currentFindings(view) {
  return view.record.findings.filter((f) => !(f.superseded_by || []).length);
}

/** The current party on site (the last record), or null. */
export function currentParty(view) {
  const list = view.record.party;
  return list.length ? list[list.length - 1] : null;
}

/** Every checkpoint of the checklist, flattened with its item. */
export function checkpoints(view) {
  return (view.checklist || []).flatMap((item) => item.checkpoints.map((cp) => ({ ...cp, item })));
}

/** The register (current answer) of one checkpoint, or null. */
export function registerFor(view, checkpointId) {
  return view.record.registers.find((r) => r && r.checkpoint_id === checkpointId) || null;
}

/** Whether a signature is present for a group member (inspector) or the party. */
export function hasSignature(view, role, inspectorId = null) {
  return view.record.signatures.some((s) => s.signer_role === role && (role !== 'inspector' || s.inspector_id === inspectorId));
}

/** What is still missing before the inspection can be submitted: [{section, text}], empty when ready. */
export function missingForSubmit(view, draft = {}) {
  const missing = [];
  const unanswered = checkpoints(view).filter((cp) => !registerFor(view, cp.id));
  for (const cp of unanswered) missing.push({ section: 'checklist', text: `检查要点未作判定：${cp.seq}. ${cp.text}` });
  for (const r of view.record.registers) {
    if (r && r.conflict) missing.push({ section: 'checklist', text: `检查要点 ${r.checkpoint_id} 有检查人员意见不一致：请核对后重新判定` });
  }
  if (!(draft.result_categories || []).length) missing.push({ section: 'result', text: '未选择检查结果' });
  if (!(draft.methods || []).length) missing.push({ section: 'result', text: '未选择检查方式' });
  if (!(draft.follow_ups || []).length) missing.push({ section: 'result', text: '未选择后续处置措施' });
  for (const m of view.members || []) {
    if (!hasSignature(view, 'inspector', m.inspector_id)) missing.push({ section: 'signatures', text: `检查人员 ${m.name} 未签名` });
  }
  const party = currentParty(view);
  const nobodyThere = (draft.result_categories || []).some((c) => ['05', '09', '10', '11', '12', '13'].includes(c));
  if (!party && !nobodyThere) missing.push({ section: 'party', text: '未登记现场当事人' });
  if (party && !party.refused_to_sign && !hasSignature(view, 'party')) {
    missing.push({ section: 'signatures', text: `当事人 ${party.name} 未签名（拒绝签名的请在当事人处注明）` });
  }
  return missing;
}

/** Advisory notes on the review screen that do not block submitting. */
export function warningsForSubmit(view) {
  const warnings = [];
  const findings = currentFindings(view);
  for (const r of view.record.registers) {
    if (r && r.answer === 'noncompliant' && !findings.some((f) => f.checkpoint_id === r.checkpoint_id)) {
      warnings.push(`检查要点 ${r.checkpoint_id} 判定为不符合，但没有记录发现的问题`);
    }
  }
  if (!view.record.photos.length) warnings.push('没有现场照片');
  return warnings;
}

/** Whether the phone may change this inspection (returned inspections are open again). */
export function isEditable(view) {
  return !LOCKED.has(view.status) && view.status !== 'withdrawn';
}
