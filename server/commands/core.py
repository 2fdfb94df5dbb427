"""`spotcheck create-user`, `audit-verify`, `audit-publish-head` and `init-db`: accounts, the audit chain
and its published heads, and a bare schema."""
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


@click.command("audit-verify", help="校验操作日志：密钥哈希链、密钥本身和已发布的链头，指出第一处不符的日志或链头")
@click.option("--heads", "heads_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="此前从公开门户保存的链头文件（/public/audit-heads.json），逐号核对")
@with_appcontext
def audit_verify_command(heads_file):
    """Check the keyed chain under the configured key, every published head (and a saved copy of the
    heads, if given); name the first entry or head that disagrees."""
    import json

    from flask import current_app

    from server.services.kernel import audit_heads

    copies = None
    if heads_file:
        try:
            with open(heads_file, encoding="utf-8") as fh:
                data = json.load(fh)
            copies = data["heads"] if isinstance(data, dict) else data
            if not isinstance(copies, list):
                raise ValueError
        except (OSError, ValueError, KeyError):
            fail(f"无法读取链头文件 {heads_file}：应为从 /public/audit-heads.json 下载的 JSON")
    cfg = current_app.config
    check = audit_heads.verify_all(db.session, cfg["AUDIT_CHAIN_KEY"], cfg["AUDIT_HEAD_KEY"].public_key(), copies)
    if check.ok:
        saved = f"，核对了保存的 {len(copies)} 个链头" if copies else ""
        click.echo(f"操作日志完整：共 {check.entries} 条，哈希链校验通过（密钥标识 {cfg['AUDIT_CHAIN_KEY'].key_id}）；"
                   f"已发布的 {check.heads} 个链头签名有效、与日志一致{saved}")
        return
    first = check.problems[0]
    where = f"第 {first.head} 号链头" if first.head else f"第 {first.seq} 条日志"
    for p in check.problems:
        click.echo(p.message if p.head else f"第 {p.seq} 条：{p.message}", err=True)
    fail(f"操作日志校验失败：发现 {len(check.problems)} 处问题，最早不符的是{where}")


@click.command("audit-publish-head", help="签名并发布操作日志的链头（每天至少运行一次，如 cron）")
@with_appcontext
def audit_publish_head_command():
    """Sign the chain's tip as the next numbered head and publish it on the portal (run daily)."""
    from flask import current_app

    from server.services.kernel import audit_heads

    head = audit_heads.publish_head(db.session, current_app.config["AUDIT_HEAD_KEY"], by="audit-publish-head")
    db.session.commit()
    click.echo(f"已发布第 {head.number} 号链头：前 {head.seq} 条日志，哈希 {head.hash}")


@click.command("init-db", help="不经迁移直接建表（仅用于测试和临时数据库）")
@with_appcontext
def init_db_command():
    """Create the schema without migrations (tests and throwaway databases only)."""
    import server.models  # noqa: F401

    db.create_all()
    click.echo("数据库表已创建")
