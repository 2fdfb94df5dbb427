"""Plain-dict contexts for the documents after the field: referral letters and the result list (公示).

Same rules as contexts.py: JSON-serializable data only, so that the dict is both the
template's input and the content hash of the cache.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.approvals import Approval
from server.models.followup import Publication
from server.models.inspections import Inspection
from server.models.planning import Task
from server.services.documents.formatting import doc_number, iso, local_day, target_part, task_part
from server.services.followup.referrals_criminal import MATERIALS, team_members

CRIMINAL_MATERIALS = [label for _, label in MATERIALS]  # the names transfer() records as "名称：说明"
DRAFT_STATUSES = {"administrative": {"draft"}, "notify": {"draft"}, "criminal": {"draft", "reported"}}
DRAFT_LABELS = {"criminal": "文书状态：待负责人审批，批准前不得移送", "administrative": "文书状态：草稿（尚未发送）",
                "notify": "文书状态：草稿（尚未发送）"}
TITLES = {"administrative": "案件移送函", "notify": "案件线索抄告函", "criminal": "涉嫌犯罪案件移送书"}


def referral_context(session: Session, referral, bureau: str) -> dict:
    """案件移送函 / 抄告函 / 涉嫌犯罪案件移送书 of one referral, with the inspection it came from."""
    inspection: Inspection = referral.inspection
    draft = referral.status in DRAFT_STATUSES.get(referral.kind, set())
    team = team_members(session, referral)
    approval = session.get(Approval, referral.approval_id) if referral.approval_id else None
    approved = approval is not None and approval.status == "approved"
    return {
        "bureau": bureau,
        "doc": {"kind": "criminal_referral" if referral.kind == "criminal" else "referral",
                "title": TITLES.get(referral.kind, "案件移送函"), "number": referral.doc_no,
                "status_label": DRAFT_LABELS.get(referral.kind, "") if draft else "",
                "draft": draft, "draft_label": "待审批" if referral.kind == "criminal" else "草稿"},
        "referral": {
            "kind": referral.kind, "party": referral.party, "cause": referral.cause, "reason": referral.reason,
            "legal_basis": referral.legal_basis, "materials": [str(m) for m in referral.materials or []],
            "receiving_dept": referral.receiving_dept, "referral_date": iso(referral.referral_date),
            "feedback_due": iso(referral.feedback_due), "report": referral.report or "",
            "contact": referral.created_by.display_name if referral.created_by else "",
        },
        "target": target_part(inspection),
        "inspection": {"task_code": inspection.task.code, "task_name": inspection.task.name,
                       "record_number": doc_number(session, inspection),
                       "inspected_on": local_day(inspection.started_at or inspection.submitted_at)},
        "team": [{"name": i.name, "cert_no": i.cert_no} for i in team],
        "approval": {"by": approval.decided_by.display_name if approval.decided_by else "",
                     "at": iso(approval.decided_at)} if approved else None,
        "criminal_materials": _criminal_rows(referral.materials or []),
    }


def _criminal_rows(materials: list) -> list[dict]:
    """The five materials of 第六条, each with what was recorded for it at transfer ("名称：说明")."""
    given = {}
    for m in map(str, materials):
        name, sep, detail = m.partition("：")
        if sep:
            given[name] = detail
    return [{"name": name, "detail": given.get(name, "")} for name in CRIMINAL_MATERIALS]


def publications_context(session: Session, task: Task, bureau: str) -> dict:
    """抽查结果公示表 of a task: every published record, in the gsxt 双随机抽查结果信息 structure."""
    pubs = session.scalars(select(Publication).join(Inspection, Inspection.id == Publication.inspection_id)
                           .where(Inspection.task_id == task.id, Publication.status == "published")
                           .order_by(Publication.target_uscc)).all()
    rows = []
    for n, pub in enumerate(pubs, start=1):
        c = pub.content or {}
        rows.append({"no": n, "target_name": c.get("target_name") or pub.target_name,
                     "target_uscc": c.get("target_uscc") or pub.target_uscc,
                     "item_results": [{"seqno": i.get("seqno"), "item_name": i.get("item_name", ""),
                                "result": i.get("result", "")} for i in c.get("items") or []],
                     "completed_on": c.get("completed_on") or iso(pub.completed_on),
                     "published_on": local_day(pub.published_at),
                     "revision": pub.revision})
    plan = task.plan
    first = (pubs[0].content or {}) if pubs else {}
    return {
        "bureau": bureau,
        "doc": {"kind": "publications", "title": "“双随机、一公开”抽查结果公示表", "number": task.code,
                "status_label": "", "draft": False, "draft_label": ""},
        "task": task_part(task),
        "plan": {"code": plan.code if plan else "", "name": plan.name if plan else ""},
        "authority": first.get("authority") or bureau,
        "rows": rows,
    }
