"""Reading the audit log (admin and leader): filtered pages, newest first, the full check of the keyed
chain and its published heads, and publishing a head on demand."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.audit import AuditEntry
from server.services.kernel.paging import PER_PAGE, Page, paginate
from server.services.kernel import audit, audit_heads
from server.services.kernel.permissions import require_role

READERS = ("admin", "leader")

OBJECT_LABELS = {
    "users": "用户", "targets": "检查对象", "inspectors": "执法检查人员", "inspection_items": "抽查事项",
    "departments": "部门", "credit_ratings": "信用等级", "recusals": "回避声明", "plans": "抽查计划",
    "tasks": "抽查任务", "draws": "抽取", "inspections": "检查", "approvals": "审批", "referrals": "移送",
    "credit_records": "信用记录", "publications": "公示", "api_tokens": "设备令牌", "imports": "导入", "demo": "演示数据",
    "login": "登录", "login_throttles": "登录限制", "session": "会话", "audit": "操作日志",
    "audit_published_heads": "日志链头",
}
VERB_LABELS = {
    "create": "新建", "update": "修改", "delete": "删除", "deactivate": "停用", "activate": "启用",
    "set_password": "重置密码", "locked": "登录锁定", "import": "导入", "export": "导出", "publish": "发布",
    "approve": "批准", "reject": "驳回", "return": "退回", "submit": "提交", "draw": "抽取", "load": "加载",
    "revoke": "吊销", "withdraw": "撤回", "correct": "更正", "repair": "信用修复", "request": "申请", "decide": "审批",
    "failure": "失败", "throttle": "限流", "clear": "清除限制", "logout": "退出登录", "end": "结束会话",
    "rekey": "启用密钥链", "publish_head": "发布链头",
}


# Detail keys that the foundation and several areas write in English.
DETAIL_LABELS = {"username": "用户名", "role": "角色", "revoked_tokens": "吊销的设备令牌", "minutes": "锁定分钟数",
                 "name": "名称", "code": "编号", "status": "状态", "reason": "原因", "count": "数量",
                 "door": "登录入口", "address": "来源地址", "failures": "失败次数", "scope": "限制范围",
                 "until": "限制至", "sessions": "结束的会话", "number": "链头编号", "seq": "日志条数"}


def action_label(action: str) -> str:
    """A 中文 reading of an action code such as `user.create` → 用户·新建 (the code itself when unknown)."""
    noun, _, verb = (action or "").partition(".")
    noun_label = OBJECT_LABELS.get(noun) or OBJECT_LABELS.get(noun + "s")
    verb_label = VERB_LABELS.get(verb)
    return f"{noun_label}·{verb_label}" if noun_label and verb_label else action


def detail_text(detail) -> str:
    """The entry's detail as one readable line (key：value；…)."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return json.dumps(detail, ensure_ascii=False)
    parts = [f"{DETAIL_LABELS.get(k, k)}：{v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
             for k, v in detail.items()]
    return "；".join(parts)


def list_entries(session: Session, actor, *, action: str = "", actor_name: str = "", object_type: str = "",
                 object_id: str = "", seq: int | None = None, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Entries newest first, filtered by action (a code or its prefix), actor, object and sequence number."""
    require_role(actor, *READERS)
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc())
    action = (action or "").strip()
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if (actor_name or "").strip():
        stmt = stmt.where(func.lower(AuditEntry.actor_name) == actor_name.strip().lower())
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if (object_id or "").strip():
        stmt = stmt.where(AuditEntry.object_id == object_id.strip())
    if seq is not None:
        stmt = stmt.where(AuditEntry.seq == seq)
    return paginate(session, stmt, page, per_page)


def filter_choices(session: Session, actor) -> dict:
    """The actions and object types present in the log, for the filter menus."""
    require_role(actor, *READERS)
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    types = session.scalars(select(AuditEntry.object_type).distinct().where(AuditEntry.object_type != "")
                            .order_by(AuditEntry.object_type)).all()
    return {"actions": [(a, action_label(a)) for a in actions],
            "object_types": [(t, OBJECT_LABELS.get(t, t)) for t in types]}


def check_chain(session: Session, actor, key: audit.ChainKey, public_key, copies: list[dict] | None = None
                ) -> audit_heads.Check:
    """The full check (services.kernel.audit_heads.verify_all): the chain under the key, and every
    published head; names each edited, deleted or rewritten entry and each head that disagrees."""
    require_role(actor, *READERS)
    return audit_heads.verify_all(session, key, public_key, copies)


def publish_head(session: Session, actor, signing_key):
    """Publish a signed head of the chain now (admin or leader), besides the daily command."""
    require_role(actor, *READERS)
    return audit_heads.publish_head(session, signing_key, actor, by=actor.username)
