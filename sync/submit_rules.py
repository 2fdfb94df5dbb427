"""The rules an `inspection.submit` must pass before it locks the inspection (PROTOCOL.md §3.3, §3.4).

Pure: the SQL store and the memory store describe the inspection as the server holds it (plus the
submit's own conclusion) in a SubmitState, and every rule in RULES looks at it and returns a Problem or
None. The first problem is the submit's per-mutation rejection (its data is kept for the reviewer like
every rejection); `errors.also` lists the others, so the inspector can fix everything in one go.
The PWA has a twin (pwa/js/submit-rules.js); the vectors in sync/examples/submit_rules/ are replayed by
both test suites.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sync import signing

ROLE_LABELS = {"inspector": "检查人员", "party": "当事人", "witness": "见证人"}

# Protocol codes, one per rule (PROTOCOL.md §3.2).
INCOMPLETE = "incomplete_submission"
RESULT_INCONSISTENT = "result_inconsistent"
ITEM_RESULT_INCONSISTENT = "item_result_inconsistent"
PHOTO_MISSING = "noncompliant_photo_missing"
PARTY_MISSING = "party_missing"
ABSENCE_UNPROVEN = "absence_unproven"
SIGNATURES_MISSING = "signatures_missing"
SIGNATURES_STALE = "signatures_stale"

# Result category codes (server/vocab.py ResultCategory); sync/ does not import the server.
NO_PROBLEM = "01"
PROBLEM_FOUND = frozenset({"02", "03"})  # 发现问题已责令改正 / 发现问题待后续处理
NEGATIVE = frozenset({"02", "03", "05", "06", "07", "08", "14"})  # vocab.NEGATIVE_RESULTS
NONCOMPLIANT = "noncompliant"
ON_SITE = "on_site"


@dataclass(frozen=True)
class SubmitState:
    """An inspection at the moment of its submit, in plain values."""

    inspection_id: int
    conclusion: dict  # the submit's result_categories, methods, follow_ups, summary
    answers: tuple = ()  # the current answer per checkpoint: {checkpoint_id, answer, note}
    findings: tuple = ()  # the current (not superseded) findings, as signing.content() takes them
    signatures: tuple = ()  # every signature: {id, signer_role, inspector_id, signer_name, signed_at, digest}
    checklist: tuple = ()  # the items: {name, checkpoints: ({id, seq, text}, …)}
    members: tuple = ()  # the active group: {inspector_id, name}
    party: dict | None = None  # the current (last received) party record: {name, refused_to_sign, absent, note}
    photos: tuple = ()  # the photos that count (not withdrawn): {id, checkpoint_id, finding_id}
    mode: str = "on_site"  # on_site; a desk check (document / online) has no party, signatures or site photos

    def content_digest(self) -> str:
        """The digest of what the signatures must cover (sync/signing.py)."""
        return signing.digest(signing.content(inspection_id=self.inspection_id, answers=self.answers,
                                              findings=self.findings, **self.conclusion))


@dataclass(frozen=True)
class Problem:
    """Why a submit is refused: a protocol code, a Chinese message saying what to do, and details."""

    code: str
    message: str
    errors: dict = field(default_factory=dict)


def _who(sig: dict) -> str:
    return f"{ROLE_LABELS.get(sig['signer_role'], sig['signer_role'])} {sig.get('signer_name') or ''}".strip()


def _checkpoints(state: SubmitState) -> list[dict]:
    return [cp for item in state.checklist for cp in item.get("checkpoints", ())]


def _label(cp: dict) -> str:
    return f"第 {cp.get('seq')} 项“{cp.get('text', '')}”" if cp.get("seq") is not None else f"检查要点 {cp['id']}"


def _answers(state: SubmitState) -> dict:
    return {a["checkpoint_id"]: a["answer"] for a in state.answers}


def every_checkpoint_answered(state: SubmitState) -> Problem | None:
    """Every checkpoint of the checklist has a current answer (符合, 不符合 or 不涉及)."""
    answered = _answers(state)
    missing = [cp for cp in _checkpoints(state) if cp["id"] not in answered]
    if not missing:
        return None
    names = "、".join(_label(cp) for cp in missing[:5]) + ("等" if len(missing) > 5 else "")
    return Problem(INCOMPLETE, f"还有 {len(missing)} 个检查要点未作答（{names}），不能提交；"
                               "请在“逐项检查”中逐项判定后再提交", {"checkpoints": [cp["id"] for cp in missing]})


def _problem_found(state: SubmitState) -> tuple[list[int], list]:
    noncompliant = [cp for cp, a in _answers(state).items() if a == NONCOMPLIANT]
    return noncompliant, list(state.findings)


def overall_result_consistent(state: SubmitState) -> Problem | None:
    """The overall result agrees with the answers and findings: a 不符合 checkpoint or a finding needs a
    negative result and excludes 未发现问题; without either, 发现问题… is not a result."""
    chosen = set(state.conclusion.get("result_categories") or ())
    noncompliant, findings = _problem_found(state)
    if noncompliant or findings:
        why = (f"{len(noncompliant)} 个检查要点判定为不符合" if noncompliant else "") + \
              ("，" if noncompliant and findings else "") + (f"记录了 {len(findings)} 个发现的问题" if findings else "")
        if NO_PROBLEM in chosen:
            return Problem(RESULT_INCONSISTENT, f"检查结果选了“未发现问题”，但{why}：请在“检查结论”中改选"
                                                "“发现问题已责令改正”或“发现问题待后续处理”等结果，或核对检查要点的判定",
                           {"result_categories": sorted(chosen), "noncompliant": noncompliant})
        if not chosen & NEGATIVE:
            return Problem(RESULT_INCONSISTENT, f"{why}，但检查结果没有选发现问题的结果：请在“检查结论”中选择"
                                                "“发现问题已责令改正”或“发现问题待后续处理”等结果",
                           {"result_categories": sorted(chosen), "noncompliant": noncompliant})
        return None
    if chosen & PROBLEM_FOUND:
        return Problem(RESULT_INCONSISTENT, "检查结果选了“发现问题”，但没有判定为不符合的检查要点，也没有记录发现的问题："
                                            "请把有问题的检查要点判定为不符合并记录问题，或把检查结果改为“未发现问题”",
                       {"result_categories": sorted(chosen)})
    return None


def item_results_consistent(state: SubmitState) -> Problem | None:
    """Each item's result follows from its checkpoints: a finding on a checkpoint sits on one judged 不符合, and
    a 不符合 checkpoint has a finding saying what is wrong."""
    answers = _answers(state)
    by_id = {cp["id"]: cp for cp in _checkpoints(state)}
    with_finding = {f.get("checkpoint_id") for f in state.findings if f.get("checkpoint_id") is not None}
    on_fine = sorted(cp for cp in with_finding if cp in answers and answers[cp] != NONCOMPLIANT)
    bare = sorted(cp for cp, a in answers.items() if a == NONCOMPLIANT and cp not in with_finding)
    if not on_fine and not bare:
        return None
    parts = []
    if on_fine:
        parts.append("、".join(_label(by_id.get(cp, {"id": cp})) for cp in on_fine) +
                     " 记录了发现的问题，却判定为符合或不涉及：请改判为不符合，或修改问题所关联的检查要点")
    if bare:
        parts.append("、".join(_label(by_id.get(cp, {"id": cp})) for cp in bare) +
                     " 判定为不符合，但没有记录发现的问题：请在“发现的问题”中写明问题、依据和整改要求")
    return Problem(ITEM_RESULT_INCONSISTENT, "检查事项的结果与检查要点不一致：" + "；".join(parts),
                   {"finding_on_compliant": on_fine, "noncompliant_without_finding": bare})


def photo_per_noncompliant(state: SubmitState) -> Problem | None:
    """At least one photo (not withdrawn) per 不符合 checkpoint: linked to it, or to one of its findings."""
    if state.mode != ON_SITE:
        return None
    finding_cp = {str(f["id"]): f.get("checkpoint_id") for f in state.findings}
    covered = {p.get("checkpoint_id") for p in state.photos} | {
        finding_cp.get(str(p.get("finding_id"))) for p in state.photos if p.get("finding_id")}
    by_id = {cp["id"]: cp for cp in _checkpoints(state)}
    bare = sorted(cp for cp, a in _answers(state).items() if a == NONCOMPLIANT and cp not in covered)
    if not bare:
        return None
    names = "、".join(_label(by_id.get(cp, {"id": cp})) for cp in bare)
    return Problem(PHOTO_MISSING, f"{names} 判定为不符合，但没有现场照片：请在“现场照片”中拍摄问题照片，"
                                  "并关联到该检查要点（或其发现的问题）后再提交", {"checkpoints": bare})


def _absence(party: dict | None) -> str | None:
    if party is None:
        return None
    if party.get("absent"):
        return "无人在场"
    return "拒绝签字" if party.get("refused_to_sign") else None


def party_recorded(state: SubmitState) -> Problem | None:
    """The party on site is recorded, or the record says nobody was there (无人在场)."""
    if state.mode != ON_SITE:
        return None
    if state.party is not None:
        return None
    return Problem(PARTY_MISSING, "未登记现场当事人：请在“现场当事人”中登记在场的当事人（姓名、职务、电话）；"
                                  "现场无人的，请勾选“无人在场”并注明情况")


def absence_proven(state: SubmitState) -> Problem | None:
    """A party who refused to sign, or nobody on site, is attested by a witness's signature or a photo."""
    if state.mode != ON_SITE:
        return None
    reason = _absence(state.party)
    if reason is None:
        return None
    current = signing.current_ids(state.signatures)
    witness = any(s["id"] in current and s["signer_role"] == "witness" for s in state.signatures)
    if witness or state.photos:
        return None
    return Problem(ABSENCE_UNPROVEN, f"当事人{reason}，但没有见证人签名，也没有现场照片证明：请由见证人签名，"
                                     "或拍摄现场照片（如经营场所、张贴的告知书）后再提交", {"reason": reason})


def signatures_complete(state: SubmitState) -> Problem | None:
    """Both (every) inspectors of the group and the party sign; the party need not when it refused or was absent."""
    if state.mode != ON_SITE:
        return None
    current = signing.current_ids(state.signatures)
    signed = {signing.signer_key(s["signer_role"], s.get("inspector_id"), s.get("signer_name", ""))
              for s in state.signatures if s["id"] in current}
    missing = [f"检查人员 {m.get('name') or m['inspector_id']}" for m in state.members
               if ("inspector", m["inspector_id"]) not in signed]
    if state.party is not None and _absence(state.party) is None and ("party",) not in signed:
        missing.append(f"当事人 {state.party.get('name') or ''}".strip())
    if not missing:
        return None
    return Problem(SIGNATURES_MISSING, f"{'、'.join(missing)} 尚未签名：请在“签名”中由上述人员签名后再提交"
                                       "（当事人拒绝签字的，请在“现场当事人”中勾选并注明）", {"signers": missing})


def signatures_cover_content(state: SubmitState) -> Problem | None:
    """Every current signature that names a digest must name this content's: a signature given before the
    conclusion, an answer or a finding changed no longer covers what is submitted. (A signature without a
    digest, from a client that predates it, binds nothing and is shown to the reviewer as such.)"""
    current = signing.current_ids(state.signatures)
    expected = state.content_digest()
    stale = [s for s in state.signatures if s["id"] in current and s.get("digest") and s["digest"] != expected]
    if not stale:
        return None
    names = "、".join(_who(s) for s in stale)
    return Problem(SIGNATURES_STALE,
                   f"签名之后检查内容有改动（检查结论、检查要点判定或发现的问题），{names} 的签名已不对应现在的内容，"
                   "检查结果未提交：请同步后核对内容，请上述人员重新签名，再提交",
                   {"digest": expected, "signatures": [s["id"] for s in stale],
                    "signers": [_who(s) for s in stale]})


COMPLETENESS: tuple[Callable[[SubmitState], Problem | None], ...] = (
    every_checkpoint_answered, overall_result_consistent, item_results_consistent, photo_per_noncompliant,
    party_recorded, absence_proven, signatures_complete)
RULES: tuple[Callable[[SubmitState], Problem | None], ...] = COMPLETENESS + (signatures_cover_content,)
CODES = (INCOMPLETE, RESULT_INCONSISTENT, ITEM_RESULT_INCONSISTENT, PHOTO_MISSING, PARTY_MISSING, ABSENCE_UNPROVEN,
         SIGNATURES_MISSING, SIGNATURES_STALE)


def problems(state: SubmitState, rules=RULES) -> list[Problem]:
    """Every rule's problem, in rule order (empty when the submit may go ahead)."""
    return [p for p in (rule(state) for rule in rules) if p is not None]


def rejection(state: SubmitState, rules=RULES) -> Problem | None:
    """The submit's rejection: the first problem, with the others under `errors.also` ({code, message})."""
    found = problems(state, rules)
    if not found:
        return None
    first = found[0]
    if len(found) == 1:
        return first
    return Problem(first.code, first.message,
                   {**first.errors, "also": [{"code": p.code, "message": p.message} for p in found[1:]]})
