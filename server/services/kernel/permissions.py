"""Role and object-level permission checks, called from services.

Staff (admin, office, leader) see the work of every department. A department's staff account
(dept_staff, e.g. someone at 县市场监督管理局) sees only the tasks its department takes part in, the
inspections and results of those tasks, and its own department's inspectors; `department_scope` says which
of the two an actor is, and the helpers below apply it to a task, an inspection or a query.
"""
from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from server.errors import PermissionDenied, Unauthorized
from server.models.planning import Task

STAFF = ("admin", "office", "leader")
DEPT_STAFF = "dept_staff"
READERS = STAFF + (DEPT_STAFF,)  # who may read office pages that are scoped to a department
OUT_OF_SCOPE = "该抽查任务没有您所在的部门参与，您无权查看"


def require_role(actor, *roles: str) -> None:
    """Raise unless `actor` is an active user holding one of `roles`."""
    if actor is None:
        raise Unauthorized("请先登录")
    if not actor.is_active or actor.role not in roles:
        raise PermissionDenied("您没有执行此操作的权限")


def require_staff(actor) -> None:
    require_role(actor, *STAFF)


def department_scope(actor) -> int | None:
    """None for staff, who see every department's work; the department id a dept_staff account is confined to.

    Anyone else (an inspector, a disabled account) is refused."""
    require_role(actor, *READERS)
    if actor.role != DEPT_STAFF:
        return None
    if not actor.department_id:
        raise PermissionDenied("您的账号没有所属部门，请联系系统管理员设置")
    return actor.department_id


def in_scope(actor, department_ids) -> bool:
    """Whether a task with these participating departments is visible to `actor` (a reader)."""
    scope = department_scope(actor)
    return scope is None or scope in (department_ids or ())


def require_task_in_scope(actor, task) -> None:
    """Refuse a task the actor's department does not take part in."""
    if not in_scope(actor, task.department_ids):
        raise PermissionDenied(OUT_OF_SCOPE)


def scoped_task_ids(session: Session, actor) -> set[int] | None:
    """The ids of the tasks `actor` may see, or None for all of them.

    The participating departments are a JSON list on the task; a county has hundreds of tasks a year, so
    reading (id, departments) and filtering here is cheap and the same on SQLite and PostgreSQL."""
    scope = department_scope(actor)
    if scope is None:
        return None
    return {tid for tid, depts in session.execute(select(Task.id, Task.department_ids)) if scope in (depts or ())}


def task_condition(session: Session, actor, task_id_column):
    """A WHERE clause that keeps rows of the tasks `actor` may see (true for staff)."""
    ids = scoped_task_ids(session, actor)
    return true() if ids is None else task_id_column.in_(sorted(ids))
