"""Import a registry from an office sheet: validate every row first, then upsert all or nothing.

A file with any bad row imports nothing; the report names each bad row (as Excel numbers it), the
column and what is wrong. A clean file creates and updates by key (USCC, 执法证号, 事项编号), so
importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import Conflict
from server.services.kernel import audit, workdays
from server.services.registry.cell_types import CellError
from server.services.registry.columns import Column, RegistrySpec, header_key, header_table, registry_spec
from server.services.registry.records import MODELS, apply, bulk_create, check_row, describe, diff, eager_loads
from server.services.registry.search import department_lookup, require_editor
from server.services.registry.spreadsheets import FileProblem, Table, find_table

_LOAD_CHUNK = 2000


@dataclass
class RowProblem:
    row: int  # the row number Excel shows
    column: str  # the column's header as written in the file
    message: str


@dataclass
class ImportReport:
    registry: str
    label: str
    filename: str
    sheet: str | None = None
    header_row: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One sentence in Chinese for the page and the command line."""
        if self.problems:
            rows = len({p.row for p in self.problems})
            return f"文件中有错误，未导入任何数据：{rows} 行共 {len(self.problems)} 处问题"
        counts = f"新增 {self.created} 条，更新 {self.updated} 条，未变 {self.unchanged} 条"
        return f"校验通过（试导入，未写入）：将{counts}" if self.dry_run else f"导入完成：{counts}"


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


def _map_columns(spec: RegistrySpec, table: Table, report: ImportReport) -> dict[int, tuple[Column, str]]:
    known = header_table(spec)
    mapping: dict[int, tuple[Column, str]] = {}
    seen: dict[str, int] = {}
    for idx in sorted(table.headers):
        text = table.headers[idx]
        col = known.get(header_key(text))
        if col is None:
            report.ignored_columns.append(text)
            continue
        if col.export_only:
            continue
        if col.field in seen:
            first, second = get_column_letter(seen[col.field] + 1), get_column_letter(idx + 1)
            raise FileProblem(f"表头中“{col.header}”列出现了两次（{first} 列和 {second} 列），请删除多余的一列")
        seen[col.field] = idx
        mapping[idx] = (col, text)
    missing = [c.header for c in spec.importable if c.required and c.field not in seen]
    if missing:
        raise FileProblem(f"表头（第 {table.header_row} 行）缺少必填列：{'、'.join(missing)}（可下载导入模板对照）")
    return mapping


def _parse_rows(spec: RegistrySpec, table: Table, mapping: dict[int, tuple[Column, str]], ctx: dict,
                report: ImportReport) -> list[_Row]:
    parsed: list[_Row] = []
    first_seen: dict[Any, int] = {}
    header_of = {col.field: text for col, text in mapping.values()}
    for number, cells in table.rows:
        values: dict[str, Any] = {}
        bad_before = len(report.problems)
        for idx, (col, text) in mapping.items():
            raw = cells[idx] if idx < len(cells) else None
            if col.required and col.type.is_blank(raw):
                report.problems.append(RowProblem(number, text, "必填，不能为空"))
                continue
            try:
                values[col.field] = col.type.parse(raw, ctx)
            except CellError as err:
                report.problems.append(RowProblem(number, text, err.message))
        for fld, message in check_row(spec, values):
            report.problems.append(RowProblem(number, header_of[fld], message))
        key = values.get(spec.key_field)
        if key:
            if key in first_seen:
                report.problems.append(RowProblem(number, header_of[spec.key_field], f"与第 {first_seen[key]} 行重复"))
            else:
                first_seen[key] = number
        if len(report.problems) == bad_before:
            parsed.append(_Row(number, values))
    return parsed


def _load_existing(session: Session, spec: RegistrySpec, keys: list[str]) -> dict[str, Any]:
    model = MODELS[spec.name]
    key_col = getattr(model, spec.key_field)
    found = {}
    for i in range(0, len(keys), _LOAD_CHUNK):
        stmt = select(model).where(key_col.in_(keys[i:i + _LOAD_CHUNK])).options(*eager_loads(spec))
        found.update((getattr(obj, spec.key_field), obj) for obj in session.scalars(stmt))
    return found


def _upsert(session: Session, actor, spec: RegistrySpec, rows: list[_Row], report: ImportReport,
            today: dt.date) -> list[str]:
    existing = _load_existing(session, spec, [r.values[spec.key_field] for r in rows])
    new_rows: list[dict[str, Any]] = []
    for row in rows:
        key = row.values[spec.key_field]
        obj = existing.get(key)
        if obj is None:
            report.created += 1
            new_rows.append(row.values)
            continue
        changes = diff(obj, row.values, today)
        if not changes:
            report.unchanged += 1
            continue
        report.updated += 1
        if not report.dry_run:
            apply(session, spec, obj, changes, today, actor=actor, cause=f"导入 {report.filename} 第 {row.number} 行")
            audit.record(session, actor, f"{spec.singular}.update", obj, detail={
                "key": key, "source": "import", "file": report.filename, "row": row.number,
                "changes": {f: [describe(o), describe(n)] for f, (o, n) in changes.items()}})
    if not report.dry_run:
        try:  # the caller rolls the whole import back on this error
            bulk_create(session, spec, new_rows, today)
        except IntegrityError:
            raise Conflict(f"导入期间{spec.label}名录被其他人修改（有相同的{spec.key.header}），未导入任何数据，请重新导入") \
                from None
    return [r[spec.key_field] for r in new_rows]


def import_file(session: Session, actor, registry: str, data: bytes, filename: str, *, dry_run: bool = False,
                today: dt.date | None = None) -> ImportReport:
    """Validate the whole file, then (unless it has a bad row, or dry_run) upsert it; flushes, never commits."""
    require_editor(actor)
    spec = registry_spec(registry)
    today = today or workdays.today()
    report = ImportReport(spec.name, spec.label, filename or "", dry_run=dry_run)
    known = header_table(spec)
    key_headers = {k for k, c in known.items() if c.is_key}
    table = find_table(data, filename, known, key_headers, header_key, spec.key.header)
    report.sheet, report.header_row = table.sheet, table.header_row
    mapping = _map_columns(spec, table, report)
    if not table.rows:
        raise FileProblem(f"表头（第 {table.header_row} 行）下面没有数据行，请填写后再导入")
    report.rows = len(table.rows)
    ctx = {"departments": department_lookup(session)}
    rows = _parse_rows(spec, table, mapping, ctx, report)
    if report.problems:
        return report
    created_keys = _upsert(session, actor, spec, rows, report, today)
    if not dry_run:
        session.flush()
        audit.record(session, actor, f"{spec.singular}.import", object_type=MODELS[spec.name].__tablename__,
                     detail={"file": report.filename, "sheet": report.sheet, "rows": report.rows,
                             "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                             "created_keys": created_keys})
    return report
