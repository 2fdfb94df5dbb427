"""`spotcheck prune-pdf-cache`: remove cached documents nobody has downloaded for a while."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from server.errors import AppError
from server.services.documents import render


@click.command("prune-pdf-cache", help="删除 N 天未下载的缓存文书和打印用照片")
@click.option("--older-than-days", type=int, default=90, show_default=True,
              help="删除这么多天内未被下载的缓存文书（PDF 及照片打印件）")
@with_appcontext
def prune_pdf_cache_command(older_than_days: int):
    """Delete cached PDFs and photo print copies unused for N days (they are re-made on demand)."""
    try:
        files, size = render.prune_cache(current_app.config["PDF_CACHE_DIR"], older_than_days=older_than_days)
    except AppError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"已删除 {files} 个缓存文件，释放 {size / 1_048_576:.1f} MB；需要时会按内容重新生成")
