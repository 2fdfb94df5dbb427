"""`spotcheck create-user`, `audit-verify` and `init-db`: accounts, the audit chain and a bare schema."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from server.commands.output import fail
from server.errors import AppError
from server.extensions import db


@click.command("create-user", help="创建用户（执法检查人员账号按执法证号关联名录库）")
@click.option("--username", required=True, help="登录名")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="至少 8 位")
@click.option("--role", required=True, type=click.Choice(["admin", "office", "leader", "inspector"]))
@click.option("--name", "display_name", default="", help="显示姓名")
@click.option("--cert-no", default=None, help="inspector 角色：关联的执法证号")
@with_appcontext
def create_user_command(username, password, role, display_name, cert_no):
    """Create a user (an inspector's user is linked by 执法证号)."""
    from sqlalchemy import select

    from server.models.registry import Inspector
    from server.services.accounts import credentials

    inspector_id = None
    if cert_no:
        inspector_id = db.session.scalar(select(Inspector.id).where(Inspector.cert_no == cert_no.strip()))
        if inspector_id is None:
            fail(f"找不到执法证号为 {cert_no} 的执法检查人员，请先导入执法检查人员名录库")
    try:
        user = credentials.create_user(db.session, None, username=username, password=password, role=role,
                                    display_name=display_name, inspector_id=inspector_id)
    except AppError as err:
        db.session.rollback()
        fail(err.message)
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{role}）")


@click.command("audit-verify", help="校验操作日志的哈希链，指出被改动或删除的条目")
@with_appcontext
def audit_verify_command():
    """Check the audit log's hash chain; name each edited or deleted entry."""
    from sqlalchemy import func, select

    from server.models.audit import AuditEntry
    from server.services.kernel import audit

    problems = audit.verify(db.session)
    total = db.session.scalar(select(func.count(AuditEntry.id)))
    if not problems:
        click.echo(f"操作日志完整：共 {total} 条，哈希链校验通过")
        return
    for p in problems:
        click.echo(f"第 {p.seq} 条：{p.message}", err=True)
    fail(f"操作日志校验失败：发现 {len(problems)} 处问题")


@click.command("init-db", help="不经迁移直接建表（仅用于测试和临时数据库）")
@with_appcontext
def init_db_command():
    """Create the schema without migrations (tests and throwaway databases only)."""
    import server.models  # noqa: F401

    db.create_all()
    click.echo("数据库表已创建")
