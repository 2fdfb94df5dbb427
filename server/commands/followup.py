"""`spotcheck refresh-risk` (run daily, e.g. from cron): credit records and ratings expire with time, so
every target's derived risk level is recomputed and each change is kept and printed."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from server.extensions import db


@click.command("refresh-risk", help="按信用等级和信用记录重新计算所有检查对象的风险等级（建议每日运行）")
@click.option("--dry-run", is_flag=True, help="只显示将发生的变化，不保存")
@with_appcontext
def refresh_risk_command(dry_run: bool):
    """Recompute every target's risk level from its ratings and credit records in effect today."""
    from server.services.followup import credit

    changed = credit.refresh_all(db.session, None)
    for target, old, new in changed:
        click.echo(f"{target.uscc} {target.name}：{credit.level_label(old)} → {credit.level_label(new)}")
    if dry_run:
        db.session.rollback()
        click.echo(f"试运行：{len(changed)} 个检查对象的风险等级将变化，未保存")
        return
    db.session.commit()
    click.echo(f"已重算风险等级：{len(changed)} 个检查对象发生变化")
