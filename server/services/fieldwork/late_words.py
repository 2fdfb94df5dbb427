"""Late evidence in words: what a mutation that arrived after the submit said (检查要点、判定、依据 …), and
whether it is a judgement that differs from what was counted — a conflict the reviewer must handle."""
from __future__ import annotations

from server.vocab import CheckpointAnswer, FollowUp, Method, ResultCategory
from sync.messages import (ADD_FINDING, ADD_SIGNATURE, AMEND_FINDING, ATTACH_PHOTO, MUTATION_LABELS, RECORD_ANSWER,
                           RECORD_PARTY, SUBMIT, WITHDRAW_PHOTO)

JUDGEMENTS = (RECORD_ANSWER, ADD_FINDING, AMEND_FINDING, SUBMIT)
ROLES = {"inspector": "检查人员", "party": "当事人", "witness": "见证人"}


def checkpoints_of(checklist: list) -> dict:
    """checkpoint id → {seq, text, legal_basis, item} from a checklist snapshot."""
    return {cp["id"]: {"seq": cp.get("seq"), "text": cp.get("text", ""), "item": item.get("name", ""),
                       "legal_basis": cp.get("legal_basis") or item.get("legal_basis") or ""}
            for item in checklist or [] for cp in item.get("checkpoints", [])}


def _labels(enum, codes) -> str:
    return "、".join((enum.by_label(c).label if enum.by_label(c) else str(c)) for c in codes or []) or "（未选择）"


def _checkpoint(cps: dict, checkpoint_id) -> str:
    cp = cps.get(checkpoint_id)
    if checkpoint_id is None:
        return "（未关联检查要点）"
    return f"{cp['seq']}. {cp['text']}" if cp else f"（清单中没有的检查要点 {checkpoint_id}）"


def describe(name: str, args: dict, checklist: list) -> list[tuple[str, str]]:
    """The late mutation's content as (label, text) lines a reviewer reads."""
    args = args or {}
    cps = checkpoints_of(checklist)
    if name == RECORD_ANSWER:
        answer = CheckpointAnswer.by_label(args.get("answer", ""))
        cp = cps.get(args.get("checkpoint_id")) or {}
        return [("检查要点", _checkpoint(cps, args.get("checkpoint_id"))),
                ("判定", answer.label if answer else str(args.get("answer", ""))),
                ("依据", args.get("note") or "（未填写说明）")] + (
            [("法律依据", cp["legal_basis"])] if cp.get("legal_basis") else [])
    if name in (ADD_FINDING, AMEND_FINDING):
        lines = [("检查要点", _checkpoint(cps, args.get("checkpoint_id"))), ("问题", args.get("description", "")),
                 ("依据", args.get("legal_basis") or "（未填写）"), ("责令改正", args.get("rectification") or "（无）")]
        if args.get("rectify_by"):
            lines.append(("整改期限", str(args["rectify_by"])))
        if name == AMEND_FINDING:
            lines.append(("修改原因", args.get("reason", "")))
        return lines
    if name == SUBMIT:
        return [("检查结果", _labels(ResultCategory, args.get("result_categories"))),
                ("检查方式", _labels(Method, args.get("methods"))),
                ("后续处置", _labels(FollowUp, args.get("follow_ups"))), ("综述", args.get("summary") or "（无）")]
    if name == ATTACH_PHOTO:
        return [("照片说明", args.get("caption") or "（无说明）"), ("检查要点", _checkpoint(cps, args.get("checkpoint_id")))]
    if name == ADD_SIGNATURE:
        return [("签名人", f"{ROLES.get(args.get('signer_role'), '')} {args.get('signer_name', '')}".strip())]
    if name == RECORD_PARTY:
        return [("当事人", " ".join(x for x in (args.get("name", ""), args.get("position", "")) if x))]
    if name == WITHDRAW_PHOTO:
        return [("撤回原因", args.get("reason") or "（未填写）")]
    return [("内容", MUTATION_LABELS.get(name, name))]


def counted_answer(record: dict, checkpoint_id) -> str | None:
    """The answer the submitted record counts for a checkpoint (None when unanswered)."""
    for r in record.get("registers", []):
        if r.get("checkpoint_id") == checkpoint_id:
            return r.get("answer")
    return None


def differs(name: str, args: dict, inspection, record: dict) -> bool:
    """Whether a late judgement says something the submitted record does not (a conflict to resolve)."""
    args = args or {}
    if name == RECORD_ANSWER:
        return counted_answer(record, args.get("checkpoint_id")) != args.get("answer")
    if name in (ADD_FINDING, AMEND_FINDING):
        return True
    if name == SUBMIT:
        mine = [sorted(args.get(k) or []) for k in ("result_categories", "methods", "follow_ups")]
        theirs = [sorted(getattr(inspection, k) or []) for k in ("result_categories", "methods", "follow_ups")]
        return mine != theirs
    return False
