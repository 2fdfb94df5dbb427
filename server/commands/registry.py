"""`spotcheck import-targets FILE` … and `spotcheck export-targets FILE` …: the registries on the command line."""
from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from server.commands.output import fail
from server.errors import AppError
from server.extensions import db

MAX_PROBLEMS_SHOWN = 200
REGISTRIES = {"targets": "检查对象", "inspectors": "执法检查人员", "items": "抽查事项"}



def _print_problems(report) -> None:
    click.echo(report.summary(), err=True)
    click.echo("行号\t列\t问题", err=True)
    for p in report.problems[:MAX_PROBLEMS_SHOWN]:
        click.echo(f"{p.row}\t{p.column}\t{p.message}", err=True)
    if len(report.problems) > MAX_PROBLEMS_SHOWN:
        click.echo(f"……另有 {len(report.problems) - MAX_PROBLEMS_SHOWN} 处问题未列出", err=True)


def _run_import(registry: str, path: str, dry_run: bool) -> None:
    from server.services.registry import imports

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as err:
        fail(f"无法读取文件 {path}：{err.strerror}")
    try:
        report = imports.import_file(db.session, None, registry, data, os.path.basename(path), dry_run=dry_run)
    except AppError as err:
        db.session.rollback()
        fail(err.message)
    if not report.ok:
        db.session.rollback()
        _print_problems(report)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for column in report.ignored_columns:
        click.echo(f"提示：已忽略不认识的列“{column}”")
    for note in report.notes():
        click.echo(f"提示：{note}")
    click.echo(report.summary())


def _run_export(registry: str, path: str) -> None:
    from server.services.registry import columns, exports

    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in exports.FORMATS:
        fail("导出文件名须以 .xlsx 或 .csv 结尾")
    try:
        data, _name, _mime = exports.export_registry(db.session, None, registry, fmt)
    except AppError as err:
        fail(err.message)
    with open(path, "wb") as fh:
        fh.write(data)
    click.echo(f"已导出{columns.registry_spec(registry).sheet_title}到 {path}")


def _import_command(registry: str) -> click.Command:
    @click.command(f"import-{registry}", help=f"从 Excel（.xlsx）或 CSV 导入{REGISTRIES[registry]}；有任何错误行则不导入。")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="只校验并报告将新增/更新多少条，不写入数据库")
    @with_appcontext
    def command(file, dry_run):
        _run_import(registry, file, dry_run)
    return command


def _export_command(registry: str) -> click.Command:
    @click.command(f"export-{registry}", help=f"把{REGISTRIES[registry]}导出为 .xlsx 或 .csv（按文件扩展名），可再导入。")
    @click.argument("file", type=click.Path(dir_okay=False))
    @with_appcontext
    def command(file):
        _run_export(registry, file)
    return command


def register(app: Flask) -> None:
    """Add the import-* and export-* commands to the app's CLI."""
    for registry in REGISTRIES:
        app.cli.add_command(_import_command(registry))
        app.cli.add_command(_export_command(registry))
