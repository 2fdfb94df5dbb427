"""`spotcheck verify-draw FILE`: re-run a draw from its public record, check it against what the task page
published, and say whether it matches.

Exit status: 0 the record matches its re-run (and the published values given); 1 something differs (each
difference is listed); 2 the file cannot be checked (unreadable, truncated, not JSON, not a draw record,
an algorithm this version does not know, seed not yet public).
"""
from __future__ import annotations

import sys

import click

from server.services.draw import checks, joint_checks, records

LABELS = (("commitment", "承诺值"), ("record_sha256", "记录摘要"), ("seal_sha256", "封存摘要"))


@click.command("verify-draw", help="根据公开的抽取记录文件重新计算，核对抽取结果是否一致，并与任务页面公开的承诺值、记录摘要、封存摘要核对；"
                                  "联合抽查任务的全部抽取记录（draws.json）逐份核对，并核对各部门的抽取相互衔接")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--commitment", default="", help="任务页面公开的承诺值（发布任务或申请补充抽取时公开）")
@click.option("--record-sha256", "record_sha256", default="", help="任务页面公开的记录摘要 record_sha256（抽取时公开）")
@click.option("--seal-sha256", "seal_sha256", default="", help="任务页面公开的封存摘要 seal_sha256（封存时公开）")
def verify_draw_command(path: str, commitment: str, record_sha256: str, seal_sha256: str) -> None:
    """Re-run a draw from its record file (downloaded from the public task page) and compare."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        click.echo(f"无法读取文件 {path}：{err.strerror or err}", err=True)
        sys.exit(2)
    try:
        bundle = joint_checks.load(data)
    except (joint_checks.BundleError, records.RecordError) as err:
        click.echo(f"无法验证：{err}", err=True)
        sys.exit(2)
    if bundle is not None:
        _verify_bundle(bundle)
        return
    try:
        record = records.load(data)
    except records.RecordError as err:
        click.echo(f"无法验证：{err}", err=True)
        sys.exit(2)
    published = {"commitment": commitment, "record_sha256": record_sha256, "seal_sha256": seal_sha256}
    problems = checks.verify(record, published)
    task = record.get("task") or {}
    title = f"任务 {task.get('code', '')} {task.get('name', '')}".strip()
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"验证失败：{title} 的抽取记录（算法 {record['algorithm']}）与重新计算的结果或公开的值有 {len(problems)} 处"
                   f"不一致", err=True)
        sys.exit(1)
    click.echo(f"验证通过：{title} 的抽取记录与重新计算的结果一致（算法 {record['algorithm']}；检查对象 "
               f"{record['population_size']} 个，抽中 {len(record['selections'])} 个，检查组 {len(record['assignments'])} 个，"
               f"无法派员 {len(record['unstaffed'])} 个）")
    for key, label in LABELS:
        value = checks.published_values(record).get(key)
        if value is None:
            continue
        state = "与公开的一致" if published[key] else f"请与任务页面公开的{label}逐字核对，或用 --{key.replace('_', '-')} 给出"
        click.echo(f"{label}：{value}（{state}）")
    if isinstance(record.get("seal"), dict):
        click.echo(f"封存时间：{record['seal']['sealed_at']}，监督人输入时间：{record['drawn_at']}（先封存后抽取）")


def _verify_bundle(bundle: dict) -> None:
    """A joint task's records (联合抽查): each re-run, and the departments' parts tied to the initiating draw."""
    problems = joint_checks.verify_bundle(bundle)
    task = bundle["records"][0].get("task") or {}
    title = f"任务 {task.get('code', '')} {task.get('name', '')}".strip()
    if problems:
        for problem in problems:
            click.echo(problem)
        click.echo(f"验证失败：{title} 的 {len(bundle['records'])} 份抽取记录有 {len(problems)} 处不一致", err=True)
        sys.exit(1)
    for record in bundle["records"]:
        what = joint_checks.label(record)
        click.echo(f"{what}：与重新计算的结果一致（检查组 {len(record['assignments'])} 个，无法派员 {len(record['unstaffed'])} 个；"
                   f"承诺值 {record['commitment']}，记录摘要 {record['record_sha256']}）")
    waiting = joint_checks.waiting(bundle)
    if waiting:
        click.echo(f"尚未抽取的配合部门：{'、'.join(waiting)}")
    click.echo(f"验证通过：{title} 的 {len(bundle['records'])} 份抽取记录均与重新计算的结果一致，各配合部门的抽取均以发起部门"
               f"抽中并派员的对象为准，各次补抽、递补、补派均引用了所依据的记录；请将每份的承诺值和记录摘要与任务页面公开的逐字核对")
