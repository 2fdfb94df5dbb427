"""一单两库 for the office: who may see and change it, search with filters and paging, the records."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, selectinload

from server.errors import PermissionDenied
from server.models.registry import Department, InspectionItem, Inspector, Recusal, Target
from server.services.kernel import permissions, workdays
from server.services.kernel.paging import Page, get_or_raise, page_of, paginate
from server.services.registry import uscc as uscc_rules
from server.services.registry.cell_types import nfkc

VIEW_ROLES = ("admin", "office", "leader", "inspector", permissions.DEPT_STAFF)
EDIT_ROLES = ("admin", "office")
EXPORT_ROLES = permissions.STAFF
EXPIRY_WARNING_DAYS = 60
_USCC_PREFIX = re.compile(r"[0-9A-HJ-NPQRTUWXY]{6,18}")


def require_viewer(actor) -> None:
    """Any active user may read the registries; `None` is the system itself (the CLI)."""
    if actor is not None:
        permissions.require_role(actor, *VIEW_ROLES)


def require_editor(actor) -> None:
    """Only admin and office staff change the registries (leaders and inspectors read them)."""
    if actor is None:
        return
    permissions.require_role(actor, *VIEW_ROLES)
    if actor.role not in EDIT_ROLES:
        raise PermissionDenied("只有系统管理员和科室工作人员可以修改或导入名录库")


def require_exporter(actor) -> None:
    """Bulk exports (with phone numbers) are for staff, not for inspectors' accounts."""
    if actor is None:
        return
    permissions.require_role(actor, *VIEW_ROLES)
    if actor.role == permissions.DEPT_STAFF:
        raise PermissionDenied("部门工作人员账号不能导出名录库")
    if actor.role not in EXPORT_ROLES:
        raise PermissionDenied("执法检查人员账号不能导出名录库")


def can_edit(actor) -> bool:
    return actor is not None and actor.is_active and actor.role in EDIT_ROLES


def _paginate(session: Session, model, conds: list, order: list, page: Any, per_page: int, options=()) -> Page:
    total = session.scalar(select(func.count()).select_from(model).where(*conds)) or 0
    return paginate(session, select(model).where(*conds).order_by(*order).options(*options), page, per_page,
                    total=total)


def _uscc_prefix(prefix: str):
    """USCCs starting with `prefix` as an index range (LIKE 'p%' cannot use the index on either database).

    The upper bound steps the last character to its successor in 0-9A-Z, so it stays alphanumeric and
    sorts the same under the C collation and the usual linguistic ones."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    head = prefix
    while head and head[-1] == "Z":
        head = head[:-1]
    if not head:
        return Target.uscc >= prefix
    upper = head[:-1] + alphabet[alphabet.index(head[-1]) + 1]
    return (Target.uscc >= prefix) & (Target.uscc < upper)


def text_contains(column, q: str):
    """Case-insensitive substring match; plain LIKE when the text has no letters with case (Chinese),
    which both databases run much faster than ILIKE / lower() LIKE."""
    if q.lower() == q.upper():
        return column.contains(q, autoescape=True)
    return column.icontains(q, autoescape=True)


def target_conditions(q: str = "", category: str = "", status: str = "", risk_level: str = "",
                      region: str = "") -> list:
    """The WHERE clauses of the target list: a USCC (prefix) or a name fragment, and the filters."""
    conds = []
    q = (q or "").strip()
    if q:
        code = uscc_rules.normalize(q)
        if _USCC_PREFIX.fullmatch(code) and sum(c.isdigit() for c in code) >= 4:
            conds.append(Target.uscc == code if len(code) == 18 else _uscc_prefix(code))
        else:
            conds.append(text_contains(Target.name, q))
    for column, value in ((Target.category, category), (Target.status, status),
                          (Target.risk_level, risk_level), (Target.region, region)):
        if value:
            conds.append(column == value)
    return conds


def search_targets(session: Session, actor, *, q: str = "", category: str = "", status: str = "",
                   risk_level: str = "", region: str = "", page: Any = 1, per_page: int = 50) -> Page:
    """One page of the target registry for a search and filters, ordered by name."""
    require_viewer(actor)
    conds = target_conditions(q, category, status, risk_level, region)
    return _paginate(session, Target, conds, [Target.name, Target.id], page, per_page)


# A "loose index scan": one index probe per distinct 乡镇 instead of reading all 100,000 rows.
_REGIONS = text("""
WITH RECURSIVE r(region) AS (
  SELECT min(region) FROM targets
  UNION ALL
  SELECT (SELECT min(t.region) FROM targets t WHERE t.region > r.region) FROM r WHERE r.region IS NOT NULL
)
SELECT region FROM r WHERE region IS NOT NULL AND region <> ''""")


def target_regions(session: Session) -> list[str]:
    """The 乡镇 that occur in the registry, for the region filter."""
    return list(session.scalars(_REGIONS))


def get_target(session: Session, actor, target_id: int) -> Target:
    require_viewer(actor)
    return get_or_raise(session, Target, target_id, f"找不到编号为 {target_id} 的检查对象，可能已被删除",
                        options=[selectinload(Target.ratings)])


def target_recusals(session: Session, target: Target) -> list[Recusal]:
    """Declared conflicts of inspectors with this target."""
    stmt = (select(Recusal).where(Recusal.target_uscc == target.uscc)
            .options(selectinload(Recusal.inspector)).order_by(Recusal.declared_at))
    return list(session.scalars(stmt))


def cert_state(inspector: Inspector, today: dt.date | None = None) -> tuple[str, str]:
    """(code, 中文) of the 执法证's validity today: expired, expiring (within 60 days), not_yet or valid."""
    today = today or workdays.today()
    if inspector.cert_expires_on < today:
        return "expired", f"已过期（{inspector.cert_expires_on.isoformat()} 到期）"
    if inspector.cert_issued_on > today:
        return "not_yet", f"尚未生效（{inspector.cert_issued_on.isoformat()} 起）"
    days = (inspector.cert_expires_on - today).days
    if days <= EXPIRY_WARNING_DAYS:
        return "expiring", f"{days} 天后到期（{inspector.cert_expires_on.isoformat()}）"
    return "valid", f"有效（至 {inspector.cert_expires_on.isoformat()}）"


def search_inspectors(session: Session, actor, *, q: str = "", department_id: Any = "", status: str = "",
                      cert: str = "", page: Any = 1, per_page: int = 50, today: dt.date | None = None) -> Page:
    """One page of the inspector registry; `cert` is expired, expiring (≤ 60 days) or valid."""
    require_viewer(actor)
    today = today or workdays.today()
    soon = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    conds = []
    if actor is not None and actor.role == permissions.DEPT_STAFF:  # a department's staff: its own people only
        department_id = permissions.department_scope(actor)
    q = (q or "").strip()
    if q:
        conds.append(or_(text_contains(Inspector.name, q),
                         text_contains(Inspector.cert_no, nfkc(q).replace(" ", "").upper())))
    if str(department_id or "").isdigit():
        conds.append(Inspector.department_id == int(department_id))
    if status:
        conds.append(Inspector.status == status)
    if cert == "expired":
        conds.append(Inspector.cert_expires_on < today)
    elif cert == "expiring":
        conds.append(Inspector.cert_expires_on.between(today, soon))
    elif cert == "valid":
        conds.append(Inspector.cert_expires_on > soon)
    return _paginate(session, Inspector, conds, [Inspector.name, Inspector.id], page, per_page,
                     options=[selectinload(Inspector.department)])


def get_inspector(session: Session, actor, inspector_id: int) -> Inspector:
    require_viewer(actor)
    inspector = get_or_raise(session, Inspector, inspector_id, f"找不到编号为 {inspector_id} 的执法检查人员，可能已被删除")
    if actor is not None and actor.role == permissions.DEPT_STAFF \
            and inspector.department_id != permissions.department_scope(actor):
        raise PermissionDenied("该执法检查人员不属于您所在的部门，您无权查看")
    return inspector


def recusal_targets(session: Session, inspector: Inspector) -> dict[str, Target]:
    """The registry's targets named in the inspector's recusals, by USCC."""
    codes = [r.target_uscc for r in inspector.recusals]
    if not codes:
        return {}
    return {t.uscc: t for t in session.scalars(select(Target).where(Target.uscc.in_(codes)))}


def search_items(session: Session, actor, *, q: str = "", kind: str = "", status: str = "", category: str = "",
                 page: Any = 1, per_page: int = 50) -> Page:
    """One page of the item list (a list of tens of items: the category filter runs in Python)."""
    require_viewer(actor)
    conds = []
    q = (q or "").strip()
    if q:
        conds.append(or_(text_contains(InspectionItem.name, q),
                         text_contains(InspectionItem.code, nfkc(q).replace(" ", "").upper())))
    if kind:
        conds.append(InspectionItem.kind == kind)
    if status:
        conds.append(InspectionItem.status == status)
    stmt = select(InspectionItem).where(*conds).order_by(InspectionItem.code).options(
        selectinload(InspectionItem.checkpoints))
    items = [i for i in session.scalars(stmt) if not category or category in (i.target_categories or [])]
    return page_of(items, page, per_page)


def get_item(session: Session, actor, item_id: int) -> InspectionItem:
    require_viewer(actor)
    return get_or_raise(session, InspectionItem, item_id, f"找不到编号为 {item_id} 的抽查事项，可能已被删除")


def published_items(session: Session) -> list[InspectionItem]:
    """The published inspection items (the public 抽查事项清单, what a task may cover), by code."""
    return list(session.scalars(select(InspectionItem).where(InspectionItem.status == "published")
                                .options(selectinload(InspectionItem.checkpoints)).order_by(InspectionItem.code)))


def departments(session: Session, active_only: bool = False) -> list[Department]:
    stmt = select(Department).order_by(Department.name)
    if active_only:
        stmt = stmt.where(Department.is_active.is_(True))
    return list(session.scalars(stmt))


def department_lookup(session: Session) -> dict[str, Department]:
    """Departments by name and by code, normalised the way sheet cells are."""
    table = {}
    for d in departments(session):
        table[nfkc(d.code).replace(" ", "")] = d
        table[nfkc(d.name).replace(" ", "")] = d
    return table
