"""What the 工作台 shows: counts of the registries and each area's queues (areas add panels here)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models.registry import InspectionItem, Inspector, Target
from server.services.kernel import workdays
from server.services.kernel.permissions import DEPT_STAFF


def panels(session: Session, actor) -> list[dict]:
    """Panels for the 工作台, each {title, rows:[(label, value, url_endpoint or None)]}."""
    if actor is not None and actor.role == DEPT_STAFF:  # a department's staff: their department's work only
        from server.services.followup import panels as followup_panels
        from server.services.planning import tasks as planning
        return [planning.department_panel(session, actor), followup_panels.department_panel(session, actor)]
    today = workdays.today()  # 北京时间, whatever the server's clock zone
    soon = today + dt.timedelta(days=60)
    registry = {
        "title": "一单两库",
        "rows": [
            ("抽查事项", session.scalar(select(func.count(InspectionItem.id))), "office.items"),
            ("检查对象", session.scalar(select(func.count(Target.id))), "office.targets"),
            ("执法检查人员", session.scalar(select(func.count(Inspector.id))), "office.inspectors"),
            ("执法证 60 天内到期", session.scalar(select(func.count(Inspector.id)).where(
                Inspector.cert_expires_on >= today, Inspector.cert_expires_on <= soon)), "office.inspectors"),
            ("执法证已过期", session.scalar(select(func.count(Inspector.id)).where(
                Inspector.cert_expires_on < today)), "office.inspectors"),
        ],
    }
    from server.services.followup import panels as followup_panels  # the follow-up area's panels
    from server.services.planning import tasks as planning  # the draw area's panel
    from server.services.documents import render  # the documents area's panel
    from server.services.fieldwork import records  # the sync area's panel
    return ([registry, planning.dashboard_panel(session)] + followup_panels.panels(session, actor)
            + [render.dashboard_panel(session, actor)]
            + [records.dashboard_panel(session)])
