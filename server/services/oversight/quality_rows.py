"""The board's quality flags (走过场 / 纸上填报 signals, services/fieldwork/quality.py) no reviewer has
acknowledged yet: each one row, oldest first, grouped like every other section."""
from __future__ import annotations

from sqlalchemy import select

from server.models.inspections import Inspection
from server.models.planning import Task
from server.models.quality import QualityFlag
from server.models.registry import Target
from server.services.fieldwork import quality_flags
from server.services.kernel.workdays import local_text
from server.services.oversight.grouping import Context, Row, Section, fill, with_group
from sync.messages import STATUS_LABELS


def section(ctx: Context) -> Section:
    out = Section("quality_flags", "未确认的质量提示",
                  "提交时自动识别的走过场、纸上填报迹象（用时过短、照片无定位或不在现场、时间不符、答案雷同、时间重叠等），"
                  "审核人员确认前不能审核通过。",
                  ["检查对象", "统一社会信用代码", "任务", "提示", "原因", "提示时间", "状态"])
    base = (select(QualityFlag.id, QualityFlag.created_at, QualityFlag.inspection_id)
            .join(Inspection, quality_flags.current_version(Inspection.id, Inspection.version))
            .where(QualityFlag.acknowledged_at.is_(None), Inspection.status.in_(quality_flags.OPEN_STATUSES)))
    keys = lambda group: with_group(base, "inspection_id", group)  # noqa: E731

    def details(page):
        return (select(page, QualityFlag.kind, QualityFlag.reason, Inspection.status, Task.code, Target.name,
                       Target.uscc)
                .join(QualityFlag, QualityFlag.id == page.c.id)
                .join(Inspection, Inspection.id == page.c.inspection_id)
                .join(Task, Task.id == Inspection.task_id).join(Target, Target.id == Inspection.target_id))

    return fill(ctx, out, keys, ["created_at", "id"], details, lambda r: Row(
        [r.name, r.uscc, r.code, quality_flags.label(r.kind), r.reason, local_text(r.created_at, "%Y-%m-%d %H:%M"),
         STATUS_LABELS.get(r.status, r.status)], ("office.review_detail", {"inspection_id": r.inspection_id})))
