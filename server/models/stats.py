"""统计分析's rollup: each task's inspections added up by completion month, target category and 乡镇
(stats_task_cells), and its result categories and failed checkpoints and items by month and category
(stats_task_details), so that a province-scale year is read from tens of thousands of rows, not 200,000;
and the registry by category, risk level and 乡镇 (stats_registry).

Database triggers keep it honest: every write that can change a figure (an inspection's state, its
publication record, its failed checkpoints, its findings, violations, referrals and credit records, a
target's classification) appends the task (or REGISTRY) to stats_dirty, whatever code path or bulk
statement made it; services/stats/rollup.py recomputes the marked tasks before the figures are read.
Appending (no unique key, no update) means a write never waits on another write's mark.
"""
from __future__ import annotations

from sqlalchemy import DDL, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class StatsDirty(db.Model):
    """A task whose rollup rows may be out of date (one row per write; services/stats/rollup.py clears
    the rows it has recomputed)."""

    __tablename__ = "stats_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(Integer)


class StatsTaskCell(db.Model):
    """One task's inspections of one completion month (Beijing time; "" for those not done), target
    category and 乡镇 (the snapshot frozen at the draw)."""

    __tablename__ = "stats_task_cells"

    task_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    active: Mapped[int] = mapped_column(Integer)  # not withdrawn
    withdrawn: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)  # active and completed (first_completed_at)
    reviewed: Mapped[int] = mapped_column(Integer)  # active and approved at least once
    problems: Mapped[int] = mapped_column(Integer)  # done and its submitted version found a problem
    published: Mapped[int] = mapped_column(Integer)  # active and the bureau's record first published
    on_time: Mapped[int] = mapped_column(Integer)  # done and first published by its due day
    declined: Mapped[int] = mapped_column(Integer)  # done, not published, with a recorded reason


class StatsTaskDetail(db.Model):
    """One task's done inspections of one completion month and target category, by one key: "rc" a
    result-category list other than exactly [01] (the stored JSON), "cp" a failed checkpoint (with its
    item), "item" an item with a failed checkpoint (each inspection once); and their follow-up records:
    "rect" the current findings ordered to rectify ("ordered") and those whose violation is closed
    ("done"), "ref" referrals by "kind|state", "credit" credit records by severity."""

    __tablename__ = "stats_task_details"

    task_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    item_id: Mapped[int | None] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)


class StatsRegistry(db.Model):
    """The registry's targets by category, risk level and 乡镇 (the 3% share's denominator), recomputed
    when a target is added, removed or reclassified (marked as task REGISTRY in stats_dirty)."""

    __tablename__ = "stats_registry"

    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    risk_level: Mapped[str] = mapped_column(String(16), primary_key=True)
    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


REGISTRY = 0  # the stats_dirty mark of the registry (task ids start at 1)
# The writes that change a figure: each table, the columns the rollup reads, and how a row names its task.
_MARK_TASK = "INSERT INTO stats_dirty (task_id) VALUES ({row}.task_id);"
_MARK_VIA = "INSERT INTO stats_dirty (task_id) SELECT task_id FROM inspections WHERE id = {row}.inspection_id;"
_MARK_REGISTRY = f"INSERT INTO stats_dirty (task_id) VALUES ({REGISTRY});"
WATCHED = (
    ("inspections", ("task_id", "status", "first_completed_at", "approved_at", "problem_found", "target_category",
                     "target_region", "result_categories"), _MARK_TASK),
    ("publications", ("inspection_id", "department_id", "status", "first_published_at", "due_on"), _MARK_VIA),
    ("inspection_failures", (), _MARK_VIA),
    ("findings", ("inspection_id", "rectification", "supersedes_id"), _MARK_VIA),
    ("violations", ("inspection_id", "status", "finding_ref"), _MARK_VIA),
    ("referrals", ("inspection_id", "kind", "status"), _MARK_VIA),
    ("credit_records", ("inspection_id", "severity"), _MARK_VIA),
    ("targets", ("category", "risk_level", "region"), _MARK_REGISTRY),
)


def _sqlite_triggers() -> list[str]:
    out = []
    for table, columns, mark in WATCHED:
        out.append(f"CREATE TRIGGER IF NOT EXISTS stats_mark_{table}_insert AFTER INSERT ON {table} "
                   f"BEGIN {mark.format(row='NEW')} END")
        out.append(f"CREATE TRIGGER IF NOT EXISTS stats_mark_{table}_delete AFTER DELETE ON {table} "
                   f"BEGIN {mark.format(row='OLD')} END")
        if columns:
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
            out.append(f"CREATE TRIGGER IF NOT EXISTS stats_mark_{table}_update AFTER UPDATE OF {', '.join(columns)} "
                       f"ON {table} WHEN {changed} BEGIN {mark.format(row='OLD')} {mark.format(row='NEW')} END")
    return out


def _pg_triggers() -> list[str]:
    """One function per table; the update trigger's WHEN skips the function for the updates that leave
    every watched column as it was (most of a sync push's)."""
    out = []
    for table, columns, mark in WATCHED:
        out.append(f"""CREATE OR REPLACE FUNCTION stats_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {mark.format(row='NEW')}
  ELSIF TG_OP = 'DELETE' THEN {mark.format(row='OLD')}
  ELSE {mark.format(row='OLD')} {mark.format(row='NEW')}
  END IF;
  RETURN NULL;
END $$""")
        for name in ("stats_mark", "stats_mark_insert", "stats_mark_delete", "stats_mark_update"):
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for event in ("INSERT", "DELETE"):
            out.append(f"CREATE TRIGGER stats_mark_{event.lower()} AFTER {event} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION stats_mark_{table}()")
        if columns:
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
            out.append(f"CREATE TRIGGER stats_mark_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
                       f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION stats_mark_{table}()")
    return out


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create the marking triggers (the migration runs the same ones)."""
    return _pg_triggers() if dialect == "postgresql" else _sqlite_triggers()


def _create_triggers(target, connection, **kw) -> None:
    for statement in trigger_ddl(connection.dialect.name):
        connection.execute(DDL(statement.replace("%", "%%")))


event.listen(db.metadata, "after_create", _create_triggers)
