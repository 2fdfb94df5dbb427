// @ts-check
/**
 * Pure functions over inspection bundles (sync/PROTOCOL.md §2.1): what the phone shows is the server's
 * bundle with the device's unsynced mutations applied on top, by the same merge rules the server uses.
 */
import { MUTATIONS as M, LABELS } from './messages.js';
import { currentIds, signerKey, strip } from './signing.js';
import { CODES, problems } from './submit-rules.js';

/** Statuses in which the server treats new work as late evidence. */
export const LOCKED = new Set(['pending_evidence', 'submitted', 'approved']);
/** Mutations that are judgements: arriving after the submit, they are not counted (a conflict for the reviewer). */
export const JUDGEMENTS = new Set([M.CHECKPOINT_RECORD, M.FINDING_ADD, M.FINDING_AMEND, M.INSPECTION_SUBMIT]);

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
  [M.PHOTO_WITHDRAW]: (b, m) => {
    const photo = b.record.photos.find((p) => p.id === m.args.photo_id);
    if (photo) photo.withdrawn = true;
  },
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
  // Once submitted, a judgement or a withdrawal is not counted by the server: the phone does not pretend it is.
  const uncounted = b.locked && (JUDGEMENTS.has(entry.name) || entry.name === M.PHOTO_WITHDRAW);
  if (fn && !uncounted) {
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

/** 联合抽查: whether this phone's inspector records the item (谁检查、谁录入); items without a department: yes. */
export function ownsItem(view, item) {
  if (!item || !item.department) return true;
  const me = (view.members || []).find((m) => m.is_me);
  return !me || me.department === item.department.name;
}

/** The checkpoints this phone's inspector records (those of their own department's items). */
export function ownCheckpoints(view) {
  return checkpoints(view).filter((cp) => ownsItem(view, cp.item));
}

/** The register (current answer) of one checkpoint, or null. */
export function registerFor(view, checkpointId) {
  return view.record.registers.find((r) => r && r.checkpoint_id === checkpointId) || null;
}

/** “2. 车辆技术档案是否齐全” for a checkpoint id (never the bare id). */
export function checkpointLabel(view, checkpointId) {
  const cp = checkpoints(view).find((c) => c.id === checkpointId);
  return cp ? `${cp.seq}. ${cp.text}` : '未关联检查要点';
}

/** Photos that count (not withdrawn). */
export function currentPhotos(view) {
  return view.record.photos.filter((p) => !p.withdrawn);
}

/** The signatures that count: the latest of each signer (re-signing replaces; the old one stays on record). */
export function currentSignatures(view) {
  const ids = currentIds(view.record.signatures);
  return view.record.signatures.filter((s) => ids.has(String(s.id)));
}

/** The current signature of one signer ({role, inspectorId, name}), or null. */
export function signatureOf(view, { role, inspectorId = null, name = '' }) {
  const key = signerKey(role, inspectorId, name);
  return currentSignatures(view).find((s) => signerKey(s.signer_role, s.inspector_id, s.signer_name) === key) || null;
}

/** Whether the conclusion (result categories, methods, follow-ups) is chosen: signing comes after it. */
export function conclusionReady(draft = {}) {
  return ['result_categories', 'methods', 'follow_ups'].every((k) => (draft[k] || []).length > 0);
}

/** What a signature covers, for signing.js: the conclusion, each checkpoint's current answer, the current findings. */
export function signedContent(view, draft = {}) {
  return {
    inspection_id: view.id, result_categories: draft.result_categories || [], methods: draft.methods || [],
    follow_ups: draft.follow_ups || [], summary: strip(draft.summary),
    answers: view.record.registers.filter(Boolean).map((r) => ({ checkpoint_id: r.checkpoint_id, answer: r.answer, note: r.note })),
    findings: currentFindings(view),
  };
}

/**
 * A signer's state against the content's digest: 'missing', 'valid', or 'stale' (given before the content
 * changed, for another party on site, or by an older app that did not record what was signed).
 */
export function signatureState(view, signer, digest) {
  const sig = signatureOf(view, signer);
  if (!sig) return 'missing';
  if (signer.role === 'party' && sig.signer_name !== signer.name) return 'stale';
  return sig.digest && sig.digest === digest ? 'valid' : 'stale';
}

/** Who signs: each group member, then the party on site (unless they refused). */
export function signers(view) {
  const list = (view.members || []).map((m) => ({ key: `m${m.inspector_id}`, role: 'inspector', name: m.name, inspectorId: m.inspector_id, label: `检查人员 ${m.name}` }));
  const party = currentParty(view);
  if (party && !party.absent) list.push({ key: 'party', role: 'party', name: party.name, inspectorId: null, label: `当事人 ${party.name}`, refused: party.refused_to_sign });
  return list;
}

/** The inspection as a submit would find it, for the completeness rules (submit-rules.js, the server's twin). */
export function submitState(view, draft = {}) {
  return {
    inspection_id: view.id, mode: view.mode || 'on_site',
    conclusion: { result_categories: draft.result_categories || [], methods: draft.methods || [],
      follow_ups: draft.follow_ups || [], summary: strip(draft.summary) },
    answers: view.record.registers.filter(Boolean).map((r) => ({ checkpoint_id: r.checkpoint_id, answer: r.answer, note: r.note })),
    findings: currentFindings(view), signatures: view.record.signatures, checklist: view.checklist || [],
    members: (view.members || []).map((m) => ({ inspector_id: m.inspector_id, name: m.name })),
    party: currentParty(view), photos: currentPhotos(view),
  };
}

// Listed line by line below (each checkpoint, each signer), so not again as the rule's sentence.
const LISTED_APART = new Set([CODES.INCOMPLETE, CODES.SIGNATURES_MISSING, CODES.PARTY_MISSING]);

/** What is still missing before the inspection can be submitted: [{section, text}], empty when ready. */
export function missingForSubmit(view, draft = {}, digest = null) {
  const missing = [];
  const unanswered = checkpoints(view).filter((cp) => !registerFor(view, cp.id));
  for (const cp of unanswered) missing.push({ section: 'checklist', text: `检查要点未作判定：${cp.seq}. ${cp.text}` });
  for (const r of view.record.registers) {
    if (r && r.conflict) missing.push({ section: 'checklist', text: `检查要点“${checkpointLabel(view, r.checkpoint_id)}”：检查人员意见不一致，请核对后重新判定` });
  }
  if (!(draft.result_categories || []).length) missing.push({ section: 'result', text: '未选择检查结果' });
  if (!(draft.methods || []).length) missing.push({ section: 'result', text: '未选择检查方式' });
  if (!(draft.follow_ups || []).length) missing.push({ section: 'result', text: '未选择后续处置措施' });
  for (const p of problems(submitState(view, draft))) {
    if (LISTED_APART.has(p.code) || (p.code === CODES.RESULT_INCONSISTENT && !(draft.result_categories || []).length)) continue;
    missing.push({ section: p.section, text: p.message, code: p.code });
  }
  for (const signer of signers(view)) {
    if (signer.refused) continue;
    const state = signatureState(view, signer, digest);
    if (state === 'missing') {
      missing.push({ section: 'signatures', text: signer.role === 'party' ? `${signer.label} 未签名（拒绝签名的请在当事人处注明）` : `${signer.label} 未签名` });
    } else if (state === 'stale') {
      missing.push({ section: 'signatures', text: `${signer.label} 签名之后内容有改动，需重新签名` });
    }
  }
  if (!currentParty(view)) missing.push({ section: 'party', text: '未登记现场当事人' });
  return missing;
}

/** Advisory notes on the review screen that do not block submitting. */
export function warningsForSubmit(view) {
  const warnings = [];  // a 不符合 checkpoint without its finding or photo is no warning: the rules refuse it
  if (!currentPhotos(view).length) warnings.push('没有现场照片');
  return warnings;
}

/** A queued mutation in words, from the inspection it was for: “检查要点判定：第 2 项“车辆技术档案是否齐全” 不符合”. */
export function describeEntry(view, entry) {
  const a = entry.args || {};
  let detail = a.description || a.name || a.caption || a.signer_name || '';
  if (entry.name === M.CHECKPOINT_RECORD) {
    const cp = checkpoints(view || { checklist: [] }).find((c) => c.id === a.checkpoint_id);
    detail = `${cp ? `第 ${cp.seq} 项“${cp.text}”` : '检查要点'} ${LABELS.answers[a.answer] || ''}`.trim();
  }
  return `${LABELS.mutations[entry.name] || '记录'}${detail ? `：${detail}` : ''}`;
}

/** What the phone tells the inspector when the server kept one of her judgements as late (not counted). */
export function lateNote(bundle, entry) {
  const a = entry.args || {};
  const view = bundle || { checklist: [] };
  let what = LABELS.mutations[entry.name] || '记录';
  if (entry.name === M.CHECKPOINT_RECORD) what = `检查要点“${checkpointLabel(view, a.checkpoint_id)}”的判定“${LABELS.answers[a.answer] || a.answer}”`;
  else if (entry.name === M.FINDING_ADD || entry.name === M.FINDING_AMEND) what = `发现的问题“${a.description || ''}”`;
  else if (entry.name === M.INSPECTION_SUBMIT) what = '您的检查结论';
  return `${what}未计入检查结果：送达服务器时，同组人员已提交了本检查，检查已锁定。`
    + '您的记录已保存在服务器上，作为“提交后送达的判定”交审核人员处理。如需改正检查结果，请联系审核人员退回后重新判定。';
}

/** Whether the phone may change this inspection (returned inspections are open again). */
export function isEditable(view) {
  return !LOCKED.has(view.status) && view.status !== 'withdrawn';
}
