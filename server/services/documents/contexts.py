"""Plain-dict contexts for the printed documents, built from the models.

Each builder returns JSON-serializable data only (strings, numbers, lists, dicts; dates as ISO
strings), so that the same dict feeds the template and the content hash of the cache. Images are
referred to by SHA-256 only; where their bytes live is resolved when rendering.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import vocab
from server.models.inspections import Inspection
from server.models.planning import Plan, Task
from server.models.registry import Department, InspectionItem
from server.services.documents import fieldwork_context, joint_notice
from server.services.fieldwork import desk_checks
from server.services.documents.formatting import TASK_TYPE_LABELS, doc_number, iso, labels, target_part, task_part
from server.services.kernel.workdays import local_date

PLAN_STATUS_LABELS = {"draft": "草稿", "approved": "已批准", "published": "已公布", "adjusting": "调整中",
                      "superseded": "已被新版本替代"}

# What a target is asked to have ready (domain-rules §2.4 "需要准备的资料"), by target category;
# a task may override the list with scope["materials"].
COMMON_MATERIALS = ["营业执照（副本）及法定代表人（负责人）身份证明", "安全生产管理制度及相关台账"]
MATERIALS_BY_CATEGORY = {
    "freight": ["道路运输经营许可证", "营运车辆道路运输证、车辆技术档案及二级维护记录",
                "驾驶员从业资格证及聘用、培训记录", "动态监控记录及违章处理台账"],
    "passenger": ["道路运输经营许可证及客运班线经营许可文件", "客车道路运输证、车辆技术档案",
                  "驾驶员从业资格证、安全教育培训记录", "客运合同（包车）及动态监控记录"],
    "bus": ["城市公共汽车客运线路运营权文件", "车辆技术档案及维护记录", "驾驶员培训及安全考核记录"],
    "taxi": ["出租汽车经营许可证及车辆营运证", "驾驶员从业资格证及服务质量考核记录", "车辆技术档案"],
    "driving_school": ["驾驶员培训备案材料", "教练员名册及资格证明", "教练车辆技术档案", "计时培训系统记录"],
    "repair": ["机动车维修经营备案材料", "维修技术人员名册及资格证明", "维修档案及竣工出厂合格证存根",
               "配件采购台账"],
    "station": ["客运站经营许可（备案）材料", "安全检查（“三不进站、六不出站”）记录", "实名制售票记录",
                "应急预案及演练记录"],
}
BASIS_ALWAYS = ["《优化营商环境条例》第五十四条", "《国务院办公厅关于推广随机抽查规范事中事后监管的通知》（国办发〔2015〕58号）"]


def options() -> dict:
    """Every choice a form prints as a check box (so the hash changes if a label does)."""
    return {"results": vocab.ResultCategory.choices(), "methods": vocab.Method.choices(),
            "follow_ups": vocab.FollowUp.choices()}


def inspectors_part(session: Session, inspection: Inspection) -> list[dict]:
    """The active members of the group with their 执法证号 and department."""
    out = []
    for m in inspection.active_members:
        dept = m.inspector.department if m.inspector.department_id == m.department_id \
            else session.get(Department, m.department_id)
        out.append({"inspector_id": m.inspector_id, "name": m.inspector.name, "cert_no": m.inspector.cert_no,
                    "department": dept.name if dept else "", "phone": m.inspector.phone or ""})
    return out


def items_part(session: Session, inspection: Inspection) -> list[dict]:
    """The checklist the inspection was given (snapshot), with each item's kind and methods from the list."""
    snapshot = inspection.checklist_snapshot or []
    ids = [s.get("item_id") for s in snapshot if s.get("item_id")]
    known = {i.id: i for i in session.scalars(select(InspectionItem).where(InspectionItem.id.in_(ids)))} if ids else {}
    items = []
    for no, snap in enumerate(snapshot, start=1):
        live = known.get(snap.get("item_id"))
        items.append({
            "no": no, "item_id": snap.get("item_id"), "code": snap.get("code", ""), "name": snap.get("name", ""),
            "legal_basis": snap.get("legal_basis", "") or (live.legal_basis if live else ""),
            "kind_label": labels(vocab.ItemKind, [live.kind])[0] if live else "",
            "method_labels": labels(vocab.Method, snap.get("methods") or (live.methods if live else [])),
            "checkpoints": [{"id": cp.get("id"), "seq": cp.get("seq", i), "text": cp.get("text", ""),
                             "answer": "", "note": ""}
                            for i, cp in enumerate(snap.get("checkpoints") or [], start=1)],
            "result_labels": [],
            "department": (snap.get("department") or {}).get("name", ""),  # 联合抽查: who checks it
        })
    return items


def record_status(inspection: Inspection) -> tuple[str, bool, str]:
    """(status line, draft?, watermark) of a 笔录 in the inspection's current state."""
    status = inspection.status
    if status == "approved":
        when = f"，{local_date(inspection.approved_at).isoformat()}" if inspection.approved_at else ""
        return f"文书状态：已审核{when}", False, ""
    if status == "submitted":
        return "文书状态：已提交，待审核", True, "待审核"
    if status == "assigned":
        return "文书状态：检查尚未开始（空白笔录，可打印后手工填写）", False, ""
    return "文书状态：检查进行中（草稿）", True, "草稿"


def record_context(session: Session, inspection: Inspection, bureau: str) -> dict:
    """The 现场检查笔录 of one inspection: header, group, checklist, findings, conclusion, evidence."""
    status_label, draft, watermark = record_status(inspection)
    context = {
        "bureau": bureau,
        "doc": {"kind": "record", "title": DESK_TITLES.get(inspection.mode, "现场检查笔录"),
                "number": doc_number(session, inspection), "status_label": status_label, "draft": draft,
                "draft_label": watermark, "desk": inspection.mode if inspection.mode in DESK_TITLES else ""},
        "task": task_part(inspection.task),
        "target": target_part(inspection),
        "time": {"start": iso(inspection.started_at), "end": iso(inspection.submitted_at)},
        "place": DESK_PLACES.get(inspection.mode) or (inspection.target_snapshot or {}).get("address")
        or inspection.target.address or "",
        "inspectors": inspectors_part(session, inspection),
        "party": None,
        "answer_options": vocab.CheckpointAnswer.choices(),
        "items": items_part(session, inspection),
        "findings": [],
        "options": options(),
        "conclusion": {"results": list(inspection.result_categories or []), "methods": list(inspection.methods or []),
                       "follow_ups": list(inspection.follow_ups or []), "summary": inspection.summary or ""},
        "signatures": [],
        "photos": [],
        "receipt": None,
        "late_evidence": 0,
    }
    fieldwork_context.fill_record(session, inspection, context)
    return context


def materials_for(task: Task, category: str) -> list[str]:
    """The materials a target prepares: the task's own list, else the category's usual list."""
    custom = (task.scope or {}).get("materials")
    if custom:
        return [str(m) for m in custom]
    return MATERIALS_BY_CATEGORY.get(category, []) + COMMON_MATERIALS


DESK_TITLES = {"document": "书面检查记录", "online": "网络监测记录"}
DESK_PLACES = {"document": "书面检查（审查检查对象报送的材料，不到现场）", "online": "网络监测（不到现场）"}
def notice_context(session: Session, inspection: Inspection, bureau: str) -> dict:
    """The 随机抽查告知书 sent to one target before its inspection."""
    task = inspection.task
    items = items_part(session, inspection)
    bases = list(BASIS_ALWAYS)
    for item in items:
        if item["legal_basis"] and item["legal_basis"] not in bases:
            bases.append(item["legal_basis"])
    methods = []
    for item in items:
        methods += [m for m in item["method_labels"] if m not in methods]
    inspectors = inspectors_part(session, inspection)
    lead = session.get(Department, task.lead_department_id) if task.lead_department_id else None
    contact = next((m for m in inspectors if m["phone"]), inspectors[0] if inspectors else None)
    issued = inspection.draw.drawn_at if inspection.draw else inspection.created_at
    return {
        "bureau": bureau,
        "doc": {"kind": "notice", "title": "随机抽查告知书", "number": doc_number(session, inspection),
                "status_label": "", "draft": False, "draft_label": ""},
        "task": task_part(task),
        "target": target_part(inspection),
        "legal_bases": bases,
        "items": items,
        "methods": methods or labels(vocab.Method, [inspection.mode]),
        "materials": joint_notice.materials(items, materials_for(task, (inspection.target_snapshot or {}).get(
            "category") or inspection.target.category)),
        "joint_departments": joint_notice.departments(items),
        "inspectors": [{k: m[k] for k in ("name", "cert_no", "department")} for m in inspectors],
        "department": lead.name if lead else "",
        "contact": {"name": contact["name"], "phone": contact["phone"]} if contact else None,
        "issued_on": iso(issued_on := (local_date(issued) if isinstance(issued, dt.datetime) else issued)),
        "mode": inspection.mode, "mode_label": labels(vocab.InspectionMode, [inspection.mode])[0],
        "submit_by": iso(desk_checks.submit_by_date(task, issued_on)) if inspection.mode == "document" and issued_on else None,
    }


def plan_context(session: Session, plan: Plan, bureau: str, version: int | None = None) -> dict:
    """The annual plan as filed with the level above (备案): its tasks and every kept version."""
    chosen = next((v for v in plan.versions if v.version == (version or plan.current_version)), None)
    lead = session.get(Department, plan.department_id) if plan.department_id else None
    tasks = []
    for no, task in enumerate(plan.tasks, start=1):
        items = [session.get(InspectionItem, i) for i in task.item_ids or []]
        depts = [session.get(Department, d) for d in task.department_ids or []]
        scope = task.scope or {}
        tasks.append({
            "no": no, "code": task.code, "name": task.name,
            "type_label": TASK_TYPE_LABELS.get(task.task_type, task.task_type),
            "item_names": [f"{i.name}（{labels(vocab.ItemKind, [i.kind])[0]}）" for i in items if i],
            "categories": labels(vocab.TargetCategory, scope.get("categories")),
            "regions": [str(r) for r in scope.get("regions") or []],
            "ratios": [{"level": labels(vocab.RiskLevel, [k])[0], "percent": _percent(v)}
                       for k, v in sorted((task.ratios or {}).items(), key=lambda kv: _risk_rank(kv[0]))],
            "period_start": iso(task.period_start), "period_end": iso(task.period_end),
            "departments": [d.name for d in depts if d], "group_size": task.group_size,
            "targeted_reason": task.targeted_reason or "",
        })
    versions = [{"version": v.version, "status_label": PLAN_STATUS_LABELS.get(v.status, v.status),
                 "reason": v.reason or "", "approved_at": iso(v.approved_at), "published_at": iso(v.published_at)}
                for v in plan.versions]
    return {
        "bureau": bureau,
        "doc": {"kind": "plan", "title": f"{plan.year}年度“双随机、一公开”抽查工作计划",
                "number": f"{plan.code}（第 {chosen.version if chosen else plan.current_version} 版）",
                "status_label": f"计划状态：{PLAN_STATUS_LABELS.get(plan.status, plan.status)}",
                "draft": plan.status in ("draft", "adjusting"), "draft_label": "草稿"},
        "plan": {"code": plan.code, "year": plan.year, "name": plan.name, "department": lead.name if lead else bureau,
                 "version": chosen.version if chosen else plan.current_version,
                 "description": str((chosen.content or {}).get("description", "")) if chosen else ""},
        "tasks": tasks,
        "versions": versions,
    }


def _risk_rank(code: str) -> int:
    member = vocab.RiskLevel.by_label(code)
    return member.rank if member else 99


def _percent(ratio) -> str:
    """'0.05' → '5%'; exact decimals, no float noise."""
    try:
        value = Decimal(str(ratio)) * 100
    except InvalidOperation:
        return str(ratio)
    return f"{value.normalize():f}%"
