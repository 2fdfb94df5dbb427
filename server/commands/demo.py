"""`spotcheck load-demo` and `spotcheck demo-logins`: the demo data set and how to log in to it."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from server import demo, demo_fieldwork
from server.commands.output import fail
from server.errors import AppError
from server.extensions import db
from server.models.accounts import User
from server.services.accounts.passwords import check_password
from server.vocab import Role


@click.command("load-demo", help="载入阳城县演示数据（事项、约 300 个检查对象、约 25 名执法人员、各角色账号、计划与抽取）")
@click.option("--if-empty", is_flag=True, help="数据库中已有检查对象时什么也不做（make run 每次都调用）")
@with_appcontext
def load_demo_command(if_empty: bool):
    """Load the 阳城县 demo data (items, ~300 targets, ~25 inspectors, a user per role)."""
    if current_app.config.get("ENV_NAME") == "production":
        fail("生产环境不能加载演示数据：演示账号的密码是公开的")
    if if_empty and demo.has_targets(db.session):
        click.echo("数据库中已有检查对象，跳过演示数据")
        return
    try:
        counts = demo.load(db.session)
        # One inspection submitted in a hurry, so that 结果审核 shows quality flags to acknowledge.
        counts["submitted"] = demo_fieldwork.submit_hurried_inspection(db.session, current_app.config)
    except AppError as err:
        db.session.rollback()
        fail(err.message)
    db.session.commit()
    summary = "，".join(f"{label} {n}" for label, n in demo.summary(counts).items())
    click.echo(f"已加载阳城县演示数据：{summary}")


def _has_page(path: str) -> bool:
    try:
        current_app.url_map.bind("localhost").match(path)
    except NotFound:
        return False
    except (RequestRedirect, MethodNotAllowed):
        return True
    return True


@click.command("demo-logins", help="显示办公、手机端、公开门户的地址和演示账号")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="服务的访问地址")
@with_appcontext
def demo_logins_command(url: str):
    """Print where the office, the PWA and the public portal are, and the demo logins."""
    base = url.rstrip("/")
    click.echo(f"办公系统（科室、领导）：{base}/office/")
    if _has_page("/app/"):
        click.echo(f"执法终端 PWA（手机）：  {base}/app/")
    else:
        click.echo("执法终端 PWA（手机）：  尚未安装")
    click.echo(f"公开门户（公众）：      {base}/public/")
    existing = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_([d.username for d in demo.DEMO_USERS])))}
    # Only accounts whose demo password still works: an admin may have changed or disabled them.
    rows = [d for d in demo.DEMO_USERS if d.username in existing and existing[d.username].is_active
            and check_password(existing[d.username].password_hash, d.password)]
    if not rows:
        click.echo("数据库中没有可用的演示账号（在空数据库上运行 spotcheck load-demo 加载演示数据）")
        return
    click.echo("演示账号（用户名 / 密码 / 角色）：")
    for d in rows:
        who = f"，{d.display_name}" if d.role == "inspector" else ""
        if d.role == Role.DEPT_STAFF.value and existing[d.username].department is not None:
            who = f"，{d.display_name}，{existing[d.username].department.name}"
        click.echo(f"  {d.username} / {d.password} / {Role(d.role).label}{who}")
    click.echo("演示账号的密码是公开的，只用于试用；正式使用请新建账号并停用这些账号。")
