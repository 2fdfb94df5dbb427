"""departments as records (kind, short name, contact), 上级任务 fields on tasks, plan rows tied to the registries

Plan rows used to be free text. Each existing row gets a key (the same row keeps its key through a plan's
versions, matched by name), its items and departments are matched to the registries by code, name or short
name, its type by label, and its 抽查时间段 by the usual ways of writing it ("2024-04-01 至 2024-06-30",
"4—10月", "11月至次年1月"). Text that matches nothing stays on the row under `unmatched`, shown on every
page, so nothing is lost.

Revision ID: 81c1f9124a58
Revises: bd645d6d6559
Create Date: 2026-12-03 09:08:28.786586

"""
import calendar
import datetime as dt
import json
import re
import unicodedata

from alembic import op
import sqlalchemy as sa

import server.models.types
from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '81c1f9124a58'
down_revision = 'bd645d6d6559'
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')
PLAN_VERSIONS = sa.table("plan_versions", sa.column("id", sa.Integer), sa.column("content", JSON_TYPE))
TYPE_LABELS = {"不定向": "undirected", "定向": "directed", "靶向": "targeted", "上级任务": "upper",
               "undirected": "undirected", "directed": "directed", "targeted": "targeted", "upper": "upper"}
_SPLIT = re.compile(r"[、,，;；/\n]+")
_ROLE = re.compile(r"[（(](牵头|发起|主办|配合|协办)[）)]")
_DATES = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})\s*(?:至|到|~|～|—|-)\s*(\d{4}-\d{1,2}-\d{1,2})")
_MONTHS = re.compile(r"(\d{1,2})\s*月?\s*(?:至|到|~|～|—|–|-)+\s*(次年)?\s*(\d{1,2})\s*月")


def _key(text):
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").lower()


def _match(text, table):
    """(ids in order, the parts that matched nothing) for text naming several records."""
    ids, missed = [], []
    for part in _SPLIT.split(text or ""):
        part = part.strip()
        if not part:
            continue
        found = table.get(_key(_ROLE.sub("", part)))
        if found is None:
            missed.append(part)
        elif found not in ids:
            ids.append(found)
    return ids, missed


def _lead_first(text, ids, table):
    """The department marked 牵头/发起 first, when the text marks one."""
    for part in _SPLIT.split(text or ""):
        if re.search(r"[（(](牵头|发起|主办)[）)]", part):
            lead = table.get(_key(_ROLE.sub("", part)))
            if lead in ids:
                return [lead] + [i for i in ids if i != lead]
    return ids


def _period(text, year):
    text = unicodedata.normalize("NFKC", text or "").strip()
    m = _DATES.search(text)
    try:
        if m:
            return dt.date.fromisoformat(_iso(m.group(1))), dt.date.fromisoformat(_iso(m.group(2)))
        m = _MONTHS.fullmatch(text) if year else None
        if m:
            start_month, end_month = int(m.group(1)), int(m.group(3))
            end_year = year + 1 if m.group(2) or end_month < start_month else year
            end = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
            return dt.date(year, start_month, 1), end
    except ValueError:
        return None
    return None


def _iso(text):
    y, mth, d = text.split("-")
    return f"{int(y):04d}-{int(mth):02d}-{int(d):02d}"


def convert_row(entry, items, depts, year):
    """One free-text row in the new shape; what matches nothing is kept under `unmatched`."""
    if "item_ids" in entry:  # already converted
        return dict(entry)
    row = {k: str(entry.get(k) or "").strip() for k in ("name", "scope", "ratio", "note")}
    unmatched = {}
    type_text = str(entry.get("task_type") or "").strip()
    row["task_type"] = TYPE_LABELS.get(type_text, "")
    if type_text and not row["task_type"]:
        unmatched["task_type"] = type_text
    items_text = str(entry.get("items") or "")
    row["item_ids"], missed = _match(items_text, items)
    if missed:
        unmatched["items"] = "、".join(missed)
    dept_text = str(entry.get("departments") or "")
    ids, missed = _match(dept_text, depts)
    row["department_ids"] = _lead_first(dept_text, ids, depts)
    if missed:
        unmatched["departments"] = dept_text.strip()
    period_text = str(entry.get("period") or "").strip()
    period = _period(period_text, year)
    row["period_start"], row["period_end"] = (period[0].isoformat(), period[1].isoformat()) if period else ("", "")
    if period_text and not period:
        unmatched["period"] = period_text
    if unmatched:
        row["unmatched"] = unmatched
    return row


def _lookups(conn):
    items, depts = {}, {}
    for i, code, name in conn.execute(sa.text("SELECT id, code, name FROM inspection_items")):
        items.setdefault(_key(code), i)
        items.setdefault(_key(name), i)
        items.setdefault(_key(f"{code} {name}"), i)
    for i, code, name in conn.execute(sa.text("SELECT id, code, name FROM departments")):
        depts.setdefault(_key(code), i)
        depts.setdefault(_key(name), i)
    return items, depts


def _load(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def migrate_plan_rows(conn):
    items, depts = _lookups(conn)
    plans = conn.execute(sa.text("SELECT id, year FROM plans")).all()
    for plan_id, year in plans:
        keys, next_n = {}, 1
        versions = conn.execute(sa.text("SELECT id, content FROM plan_versions WHERE plan_id = :p ORDER BY version"),
                                {"p": plan_id}).all()
        for version_id, raw in versions:
            content = _load(raw)
            rows, seen = [], set()
            for entry in content.get("entries", []):
                row = convert_row(entry, items, depts, year)
                key = row.get("key") or keys.get(row.get("name"))
                if not key or key in seen:
                    key, next_n = f"R{next_n}", next_n + 1
                keys.setdefault(row.get("name"), key)
                seen.add(key)
                rows.append({"key": key, **{k: v for k, v in row.items() if k != "key"}})
            content["entries"] = rows
            conn.execute(PLAN_VERSIONS.update().where(PLAN_VERSIONS.c.id == version_id).values(content=content))


def _names(conn, table):
    return {i: (f"{c} {n}" if table == "inspection_items" else n)
            for i, c, n in conn.execute(sa.text(f"SELECT id, code, name FROM {table}"))}


def restore_text_rows(conn):
    """Rows back in the free-text shape the previous code reads (registry names as text)."""
    items, depts = _names(conn, "inspection_items"), _names(conn, "departments")
    labels = {v: k for k, v in TYPE_LABELS.items() if not k.isascii()}
    for version_id, raw in conn.execute(sa.text("SELECT id, content FROM plan_versions")).all():
        content = _load(raw)
        rows = []
        for row in content.get("entries", []):
            old = row.get("unmatched") or {}
            ids = row.get("department_ids") or []
            dept_text = "、".join(depts.get(d, "") + ("（牵头）" if n == 0 and len(ids) > 1 else "")
                                  for n, d in enumerate(ids))
            period = f"{row['period_start']} 至 {row['period_end']}" if row.get("period_start") else ""
            rows.append({k: row.get(k, "") for k in ("name", "scope", "ratio", "note")} | {
                "task_type": labels.get(row.get("task_type"), "") or old.get("task_type", ""),
                "items": "、".join(p for p in ["、".join(items.get(i, "") for i in row.get("item_ids") or []),
                                               old.get("items", "")] if p),
                "departments": dept_text or old.get("departments", ""), "period": period or old.get("period", "")})
        content["entries"] = rows
        conn.execute(PLAN_VERSIONS.update().where(PLAN_VERSIONS.c.id == version_id).values(content=content))


def upgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_name', sa.String(length=50), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='internal'))
        batch_op.add_column(sa.Column('contact_name', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('updated_at', server.models.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE departments SET updated_at = created_at")
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=server.models.types.UTCDateTime(timezone=True),
                              nullable=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_row', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('upper_authority', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('upper_doc_no', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('upper_task_code', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('upper_source', sa.String(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('upper_list', JSON_TYPE, nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('upper_columns', JSON_TYPE, nullable=False, server_default='[]'))

    migrate_plan_rows(op.get_bind())

def downgrade():
    restore_text_rows(op.get_bind())
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('upper_columns')
        batch_op.drop_column('upper_list')
        batch_op.drop_column('upper_source')
        batch_op.drop_column('upper_task_code')
        batch_op.drop_column('upper_doc_no')
        batch_op.drop_column('upper_authority')
        batch_op.drop_column('plan_row')

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
        batch_op.drop_column('kind')
        batch_op.drop_column('short_name')

