"""`spotcheck stats-refresh`: bring 统计分析's rollup up to date now (after an upgrade, say), rather than on
the next statistics view."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from server.extensions import db


@click.command("stats-refresh", help="更新统计分析的汇总数据（升级后可运行一次；平时打开统计分析时自动更新）")
@click.option("--all", "everything", is_flag=True, help="重新计算全部任务和名录库，而不只是有变动的")
@with_appcontext
def stats_refresh_command(everything: bool):
    """Recompute the tasks the triggers marked (with --all: every task and the registry) and commit."""
    from server.models.planning import Task
    from server.models.stats import REGISTRY, StatsDirty
    from server.services.stats import rollup

    if everything:
        db.session.add_all([StatsDirty(task_id=t) for t in [REGISTRY, *db.session.scalars(db.select(Task.id))]])
        db.session.flush()
    started = time.perf_counter()
    marks = rollup.refresh(db.session)
    db.session.commit()
    if marks:
        click.echo(f"统计汇总已更新：处理 {marks} 条变动记录，用时 {time.perf_counter() - started:.1f} 秒")
    else:
        click.echo("统计汇总已是最新，无需更新")
