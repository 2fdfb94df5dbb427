// @ts-check
/**
 * The twin of sync/submit_rules.py (PROTOCOL.md §3.4): the completeness rules an inspection.submit must pass.
 * The phone runs them before it lets the inspector submit; the server runs the same rules again, so any other
 * client is held to them too. The vectors in sync/examples/submit_rules/ are replayed by both test suites.
 *
 * A state is {inspection_id, mode, conclusion, answers, findings, signatures, checklist, members, party, photos}
 * in the shapes of the Python SubmitState. Each problem is {code, message, section} (section: where the phone
 * sends the inspector to fix it).
 */
import { currentIds, signerKey } from './signing.js';

export const CODES = Object.freeze({
  INCOMPLETE: 'incomplete_submission', RESULT_INCONSISTENT: 'result_inconsistent',
  ITEM_RESULT_INCONSISTENT: 'item_result_inconsistent', PHOTO_MISSING: 'noncompliant_photo_missing',
  PARTY_MISSING: 'party_missing', ABSENCE_UNPROVEN: 'absence_unproven', SIGNATURES_MISSING: 'signatures_missing',
});
const NO_PROBLEM = '01';
const PROBLEM_FOUND = new Set(['02', '03']);
const NEGATIVE = new Set(['02', '03', '05', '06', '07', '08', '14']);
const ON_SITE = 'on_site';

const checkpointsOf = (s) => (s.checklist || []).flatMap((item) => item.checkpoints || []);
const label = (cp) => (cp.seq != null ? `第 ${cp.seq} 项“${cp.text || ''}”` : `检查要点 ${cp.id}`);
const answersOf = (s) => new Map((s.answers || []).map((a) => [a.checkpoint_id, a.answer]));
const byId = (s) => new Map(checkpointsOf(s).map((cp) => [cp.id, cp]));
const named = (s, ids) => { const m = byId(s); return ids.map((id) => label(m.get(id) || { id })).join('、'); };
const onSite = (s) => (s.mode || ON_SITE) === ON_SITE;

function everyCheckpointAnswered(s) {
  const answered = answersOf(s);
  const missing = checkpointsOf(s).filter((cp) => !answered.has(cp.id));
  if (!missing.length) return null;
  const names = missing.slice(0, 5).map(label).join('、') + (missing.length > 5 ? '等' : '');
  return { code: CODES.INCOMPLETE, section: 'checklist',
    message: `还有 ${missing.length} 个检查要点未作答（${names}），不能提交；请在“逐项检查”中逐项判定后再提交` };
}

function overallResultConsistent(s) {
  const chosen = new Set((s.conclusion || {}).result_categories || []);
  const noncompliant = [...answersOf(s)].filter(([, a]) => a === 'noncompliant').map(([cp]) => cp);
  const findings = s.findings || [];
  if (noncompliant.length || findings.length) {
    const why = (noncompliant.length ? `${noncompliant.length} 个检查要点判定为不符合` : '')
      + (noncompliant.length && findings.length ? '，' : '') + (findings.length ? `记录了 ${findings.length} 个发现的问题` : '');
    if (chosen.has(NO_PROBLEM)) {
      return { code: CODES.RESULT_INCONSISTENT, section: 'result',
        message: `检查结果选了“未发现问题”，但${why}：请在“检查结论”中改选“发现问题已责令改正”或“发现问题待后续处理”等结果，或核对检查要点的判定` };
    }
    if (![...chosen].some((c) => NEGATIVE.has(c))) {
      return { code: CODES.RESULT_INCONSISTENT, section: 'result',
        message: `${why}，但检查结果没有选发现问题的结果：请在“检查结论”中选择“发现问题已责令改正”或“发现问题待后续处理”等结果` };
    }
    return null;
  }
  if ([...chosen].some((c) => PROBLEM_FOUND.has(c))) {
    return { code: CODES.RESULT_INCONSISTENT, section: 'result',
      message: '检查结果选了“发现问题”，但没有判定为不符合的检查要点，也没有记录发现的问题：请把有问题的检查要点判定为不符合并记录问题，或把检查结果改为“未发现问题”' };
  }
  return null;
}

function itemResultsConsistent(s) {
  const answers = answersOf(s);
  const withFinding = new Set((s.findings || []).map((f) => f.checkpoint_id).filter((cp) => cp != null));
  const onFine = [...withFinding].filter((cp) => answers.has(cp) && answers.get(cp) !== 'noncompliant').sort((a, b) => a - b);
  const bare = [...answers].filter(([cp, a]) => a === 'noncompliant' && !withFinding.has(cp)).map(([cp]) => cp).sort((a, b) => a - b);
  if (!onFine.length && !bare.length) return null;
  const parts = [];
  if (onFine.length) parts.push(`${named(s, onFine)} 记录了发现的问题，却判定为符合或不涉及：请改判为不符合，或修改问题所关联的检查要点`);
  if (bare.length) parts.push(`${named(s, bare)} 判定为不符合，但没有记录发现的问题：请在“发现的问题”中写明问题、依据和整改要求`);
  return { code: CODES.ITEM_RESULT_INCONSISTENT, section: 'findings', message: `检查事项的结果与检查要点不一致：${parts.join('；')}` };
}

function photoPerNoncompliant(s) {
  if (!onSite(s)) return null;
  const findingCp = new Map((s.findings || []).map((f) => [String(f.id), f.checkpoint_id]));
  const covered = new Set();
  for (const p of s.photos || []) {
    covered.add(p.checkpoint_id);
    if (p.finding_id) covered.add(findingCp.get(String(p.finding_id)));
  }
  const bare = [...answersOf(s)].filter(([cp, a]) => a === 'noncompliant' && !covered.has(cp)).map(([cp]) => cp).sort((a, b) => a - b);
  if (!bare.length) return null;
  return { code: CODES.PHOTO_MISSING, section: 'photos',
    message: `${named(s, bare)} 判定为不符合，但没有现场照片：请在“现场照片”中拍摄问题照片，并关联到该检查要点（或其发现的问题）后再提交` };
}

function absence(party) {
  if (!party) return null;
  if (party.absent) return '无人在场';
  return party.refused_to_sign ? '拒绝签字' : null;
}

function partyRecorded(s) {
  if (!onSite(s) || s.party) return null;
  return { code: CODES.PARTY_MISSING, section: 'party',
    message: '未登记现场当事人：请在“现场当事人”中登记在场的当事人（姓名、职务、电话）；现场无人的，请勾选“无人在场”并注明情况' };
}

function absenceProven(s) {
  const reason = onSite(s) ? absence(s.party) : null;
  if (!reason) return null;
  const current = currentIds(s.signatures || []);
  const witness = (s.signatures || []).some((g) => current.has(String(g.id)) && g.signer_role === 'witness');
  if (witness || (s.photos || []).length) return null;
  return { code: CODES.ABSENCE_UNPROVEN, section: 'photos',
    message: `当事人${reason}，但没有见证人签名，也没有现场照片证明：请由见证人签名，或拍摄现场照片（如经营场所、张贴的告知书）后再提交` };
}

function signaturesComplete(s) {
  if (!onSite(s)) return null;
  const current = currentIds(s.signatures || []);
  const signed = new Set((s.signatures || []).filter((g) => current.has(String(g.id)))
    .map((g) => signerKey(g.signer_role, g.inspector_id, g.signer_name)));
  const missing = (s.members || []).filter((m) => !signed.has(signerKey('inspector', m.inspector_id, '')))
    .map((m) => `检查人员 ${m.name || m.inspector_id}`);
  if (s.party && !absence(s.party) && !signed.has('party')) missing.push(`当事人 ${s.party.name || ''}`.trim());
  if (!missing.length) return null;
  return { code: CODES.SIGNATURES_MISSING, section: 'signatures',
    message: `${missing.join('、')} 尚未签名：请在“签名”中由上述人员签名后再提交（当事人拒绝签字的，请在“现场当事人”中勾选并注明）` };
}

/** The rules in the server's order (the signature digest rule, signatures_stale, is checked apart: signing.js). */
export const RULES = [everyCheckpointAnswered, overallResultConsistent, itemResultsConsistent, photoPerNoncompliant,
  partyRecorded, absenceProven, signaturesComplete];

/** Every problem of a state, in rule order (empty when it may be submitted). */
export function problems(state) {
  return RULES.map((rule) => rule(state)).filter(Boolean);
}
