"""Import a registry from an office sheet: validate every row first, then upsert all or nothing.

A file with any bad row imports nothing; the report names each bad row (as Excel numbers it), the
column and what is wrong. Rows that are not records (a 序号 numbered past the last row, the footer, notes)
are passed over and named in the report, as are the aliases read and the columns left out. A clean file creates and updates by key (USCC, 执法证号, 事项编号), so
importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import Conflict
from server.services.kernel import audit, workdays
from server.services.registry.cell_types import CellError
from server.services.registry.columns import Column, RegistrySpec, header_key, header_lookup, registry_spec
from server.services.registry.import_report import ImportReport, RowProblem
from server.services.registry.non_data import classify, is_seq_header, looks_like_data
from server.services.registry.records import MODELS, apply, bulk_create, check_row, describe, diff, eager_loads
from server.services.registry.search import department_lookup, require_editor
from server.services.registry.spreadsheets import FileProblem, Table, find_table

_LOAD_CHUNK = 2000


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


def _map_columns(spec: RegistrySpec, table: Table, report: ImportReport) -> dict[int, tuple[Column, str]]:
    lookup = header_lookup(spec)
    mapping: dict[int, tuple[Column, str]] = {}
    seen: dict[str, int] = {}
    for idx in sorted(table.headers):
        text = table.headers[idx]
        col = lookup(text)
        if col is None:
            if is_seq_header(header_key(text)):
                table.seq_columns.add(idx)
            else:
                report.ignored_columns.append(text)
            continue
        if col.export_only:
            continue
        if col.field in seen:
            first, second = get_column_letter(seen[col.field] + 1), get_column_letter(idx + 1)
            raise FileProblem(f"表头中“{col.header}”列出现了两次（{first} 列和 {second} 列），请删除多余的一列")
        if header_key(text) != header_key(col.header):
            report.header_aliases.append((text, col.header))
        seen[col.field] = idx
        mapping[idx] = (col, text)
    missing = [c.header for c in spec.importable if c.required and c.field not in seen]
    if missing:
        raise FileProblem(f"表头（第 {table.header_row} 行）缺少必填列：{'、'.join(missing)}（可下载导入模板对照）")
    return mapping


def _record_rows(spec: RegistrySpec, table: Table, mapping: dict[int, tuple[Column, str]],
                 report: ImportReport) -> list[tuple[int, list]]:
    """The rows that are records; the others (only a 序号, a footer or a note) go to report.skipped."""
    key_idx = next(i for i, (col, _t) in mapping.items() if col.is_key)
    out = []
    for number, cells in table.rows:
        if looks_like_data(cells[key_idx] if key_idx < len(cells) else None):
            out.append((number, cells))  # the quick way for nearly every row
            continue
        found = classify(cells, table.seq_columns)
        if found is None:
            out.append((number, cells))
        else:
            report.skipped.append((number, found))
    return out


def _parse_rows(spec: RegistrySpec, rows: list[tuple[int, list]], mapping: dict[int, tuple[Column, str]],
                ctx: dict, report: ImportReport) -> list[_Row]:
    parsed: list[_Row] = []
    first_seen: dict[Any, int] = {}
    header_of = {col.field: (text, idx) for idx, (col, text) in mapping.items()}
    for number, cells in rows:
        values: dict[str, Any] = {}
        bad_before = len(report.problems)
        ctx["row"] = number
        for idx, (col, text) in mapping.items():
            raw = cells[idx] if idx < len(cells) else None
            if col.required and col.type.is_blank(raw):
                report.problems.append(RowProblem(number, text, "必填，不能为空", idx))
                continue
            try:
                values[col.field] = col.type.parse(raw, ctx)
            except CellError as err:
                report.problems.append(RowProblem(number, text, err.message, idx))
        for fld, message in check_row(spec, values):
            text, idx = header_of[fld]
            report.problems.append(RowProblem(number, text, message, idx))
        key = values.get(spec.key_field)
        if key:
            if key in first_seen:
                text, idx = header_of[spec.key_field]
                report.problems.append(RowProblem(number, text, f"与第 {first_seen[key]} 行重复", idx))
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
    table = report.table = find_table(data, filename, header_lookup(spec), spec.key.header)
    report.sheet, report.header_row, report.file_kind = table.sheet, table.header_row, table.kind
    mapping = _map_columns(spec, table, report)
    records = _record_rows(spec, table, mapping, report)
    if not records:
        skipped = "（其余行只有序号或是表尾说明）" if report.skipped else ""
        raise FileProblem(f"表头（第 {table.header_row} 行）下面没有数据行{skipped}，请填写后再导入")
    report.rows = len(records)
    ctx = {"departments": department_lookup(session), "aliases": report.aliases}
    rows = _parse_rows(spec, records, mapping, ctx, report)
    if report.problems:
        return report
    created_keys = _upsert(session, actor, spec, rows, report, today)
    if not dry_run:
        session.flush()
        audit.record(session, actor, f"{spec.singular}.import", object_type=MODELS[spec.name].__tablename__,
                     detail={"file": report.filename, "sheet": report.sheet, "rows": report.rows,
                             "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
                             "skipped_rows": [n for n, _nd in report.skipped], "created_keys": created_keys})
    return report
