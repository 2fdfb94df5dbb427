"""Helpers shared by the registry import tests: run an import as of a fixed day, and read its report."""
import datetime as dt

from sqlalchemy import func, select

from server.models.audit import AuditEntry
from server.services.registry import imports

DAY = dt.date(2024, 6, 1)


def run(session, registry, data, filename="名录.xlsx", actor=None, **kw):
    return imports.import_file(session, actor, registry, data, filename, today=kw.pop("today", DAY), **kw)


def problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def audit_actions(session):
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def bad_check_digit(code):
    wrong = next(c for c in "0123456789" if c != code[17])
    return code[:17] + wrong
