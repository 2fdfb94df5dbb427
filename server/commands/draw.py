"""`spotcheck verify-draw FILE`: re-run a draw from its public record and say whether it matches.

Exit status: 0 the record matches its re-run; 1 something differs (each difference is listed);
2 the file cannot be checked (unreadable, truncated, not JSON, not a draw record, seed not yet public).
"""
from __future__ import annotations

import sys

import click

from server.services.draw import records


@click.command("verify-draw", help="根据公开的抽取记录文件重新计算，核对抽取结果是否一致")
@click.argument("path", type=click.Path(dir_okay=False))
def verify_draw_command(path: str) -> None:
    """Re-run a draw from its record file (downloaded from the public task page) and compare."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        click.echo(f"无法读取文件 {path}：{err.strerror or err}", err=True)
        sys.exit(2)
    try:
        record = records.load(data)
    except records.RecordError as err:
        click.echo(f"无法验证：{err}", err=True)
        sys.exit(2)
    problems = records.verify(record)
    task = record.get("task") or {}
    title = f"任务 {task.get('code', '')} {task.get('name', '')}".strip()
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"验证失败：{title} 的抽取记录与按记录重新计算的结果有 {len(problems)} 处不一致", err=True)
        sys.exit(1)
    click.echo(f"验证通过：{title} 的抽取记录与重新计算的结果一致（检查对象 {record['population_size']} 个，"
               f"抽中 {len(record['selections'])} 个，检查组 {len(record['assignments'])} 个，"
               f"无法派员 {len(record['unstaffed'])} 个）")
