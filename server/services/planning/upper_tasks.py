"""上级任务 whose targets are a list the level above sent: importing its sheet, matching it to the registry by
统一社会信用代码, and adding the targets the registry lacks from the sheet's own rows.

The sheet is read by the registry's reader (registry.spreadsheets.find_table: merged title rows, several
sheets, CSV in GBK), its header matched with the target registry's column names and aliases. A sheet with
any bad or repeated code, or an import without the document number, is refused whole: nothing changes.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict, NotFound, ValidationError
from server.models.planning import Task
from server.models.registry import Target
from server.models.types import utcnow
from server.services.kernel import audit
from server.services.kernel.permissions import require_role
from server.services.planning import tasks, upper_rules
from server.services.registry import edit, uscc as uscc_rules
from server.services.registry.cell_types import cell_text
from server.services.registry.columns import TARGETS, header_lookup
from server.services.registry.spreadsheets import FileProblem, find_table

EDITORS = tasks.EDITORS
MAX_LIST_ROWS = 20_000
SHOWN_PROBLEMS = 20


@dataclass
class ListRow:
    """One row of the list from above, with the registry's target when it has one."""

    row: int
    uscc: str
    name: str
    values: dict
    target: Target | None

    @property
    def prefill(self) -> dict:
        """The target form's fields, as the sheet gave them (for 填写完整信息)."""
        return {k: v for k, v in {**self.values, "uscc": self.uscc}.items() if v}


def _columns(table) -> dict[int, str]:
    """Sheet column index → target field, for the headers the registry knows (first one of each wins)."""
    lookup = header_lookup(TARGETS)
    out, taken = {}, set()
    for index, text in table.headers.items():
        col = lookup(text)
        if col is not None and not col.export_only and col.field not in taken:
            out[index] = col.field
            taken.add(col.field)
    return out


def read_list(data: bytes, filename: str) -> tuple[dict, list[dict]]:
    """The sheet's rows as {row, uscc, name, values}; FileProblem or ValidationError naming every bad row."""
    table = find_table(data, filename, header_lookup(TARGETS), TARGETS.key.header)
    if not table.rows:
        raise FileProblem(f"表头（第 {table.header_row} 行）下面没有数据行，请确认上级下发的名单已填写")
    if len(table.rows) > MAX_LIST_ROWS:
        raise FileProblem(f"名单超过 {MAX_LIST_ROWS} 行，请核对是否为上级下发的检查对象名单")
    fields = _columns(table)
    rows, problems, seen = [], [], {}
    for n, cells in table.rows:
        values = {f: cell_text(cells[i]) if i < len(cells) else "" for i, f in fields.items()}
        code = uscc_rules.normalize(values.pop("uscc", ""))
        if not code:
            problems.append(f"第 {n} 行缺少统一社会信用代码")
            continue
        if (why := uscc_rules.problem(code)) is not None:
            problems.append(f"第 {n} 行：{why}（{code}）")
            continue
        if code in seen:
            problems.append(f"第 {n} 行的统一社会信用代码 {code} 与第 {seen[code]} 行重复")
            continue
        seen[code] = n
        rows.append({"row": n, "uscc": code, "name": values.get("name", ""), "values": values})
    if problems:
        more = f"……共 {len(problems)} 处" if len(problems) > SHOWN_PROBLEMS else ""
        raise ValidationError("上级下发名单有误，未导入任何内容，请核对后重新导入：" + "；".join(problems[:SHOWN_PROBLEMS])
                              + more, errors={"rows": problems})
    meta = {"sheet": table.sheet or "", "header_row": table.header_row}
    return meta, rows


def _editable_list_task(session: Session, task_id: int) -> Task:
    task = tasks.get_task(session, task_id)
    if task.task_type != upper_rules.UPPER or task.upper_source != "list":
        raise Conflict("只有检查对象来源为“上级下发对象名单”的上级任务可以导入名单")
    if task.status != "draft":
        raise Conflict("任务已发布，上级下发的名单已随任务锁定，不能再导入或修改")
    return task


def import_list(session: Session, actor, task_id: int, data: bytes, filename: str, fields: dict) -> list[ListRow]:
    """Replace the task's list with the sheet's, together with the authority, document number and task code
    typed beside it; every check passes first, or nothing changes."""
    require_role(actor, *EDITORS)
    task = _editable_list_task(session, task_id)
    errors: dict[str, str] = {}
    given = {k: fields.get(k, getattr(task, k)) for k in ("upper_authority", "upper_doc_no", "upper_task_code")}
    upper = upper_rules.clean({**given, "upper_source": "list", "upper_columns": task.upper_columns}, errors)
    if errors:
        raise ValidationError("未导入：" + "；".join(errors.values()), errors=errors)
    meta, rows = read_list(data, filename)
    task.upper_authority, task.upper_doc_no, task.upper_task_code = (
        upper["upper_authority"], upper["upper_doc_no"], upper["upper_task_code"])
    task.target_usccs = [r["uscc"] for r in rows]
    task.upper_list = {**meta, "filename": filename or "", "imported_at": utcnow().isoformat(timespec="seconds"),
                       "rows": rows}
    session.flush()
    status = list_status(session, task)
    audit.record(session, actor, "task.upper_import", task, detail={
        "file": filename, "rows": len(rows), "unknown": sum(r.target is None for r in status),
        "doc_no": task.upper_doc_no})
    return status


def list_status(session: Session, task: Task) -> list[ListRow]:
    """The imported list in sheet order, each row with the registry's target or None (not in the registry)."""
    rows = (task.upper_list or {}).get("rows", [])
    found = {t.uscc: t for t in session.scalars(select(Target).where(Target.uscc.in_([r["uscc"] for r in rows])))}
    return [ListRow(r["row"], r["uscc"], r.get("name", ""), r.get("values", {}), found.get(r["uscc"])) for r in rows]


def add_target(session: Session, actor, task_id: int, uscc: str, category: str = "") -> Target:
    """Add a listed target the registry lacks, from its row in the sheet (the office picks the 行业类别 when the
    sheet has none); the registry's own checks apply, and their messages say what to complete."""
    require_role(actor, *EDITORS)
    task = _editable_list_task(session, task_id)
    code = uscc_rules.normalize(uscc)
    row = next((r for r in list_status(session, task) if r.uscc == code), None)
    if row is None:
        raise NotFound(f"上级下发名单中没有统一社会信用代码为 {code} 的对象")
    if row.target is not None:
        raise Conflict(f"“{row.target.name}”（{code}）已在检查对象名录库中")
    form = {**row.values, "uscc": code, "category": category or row.values.get("category", "")}
    try:
        target, _ = edit.save_record(session, actor, "targets", None, form)
    except ValidationError as err:
        problems = err.errors.values() if isinstance(err.errors, dict) else []
        raise ValidationError(f"名单第 {row.row} 行（{row.name or code}）未能添加到名录库：" + "；".join(problems)
                              + "。请选择行业类别，或点“填写完整信息”补全后保存", errors=err.errors) from None
    audit.record(session, actor, "task.upper_add_target", task, detail={"uscc": code, "row": row.row})
    return target
