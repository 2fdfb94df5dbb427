"""`spotcheck …`: Flask's CLI for this app. The commands live in server.commands, one module per area;
each calls services and commits once."""
from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup


def main() -> None:
    """Entry point of the `spotcheck` console script."""
    from server.app import create_app

    cli = FlaskGroup(create_app=create_app, help="spotcheck 双随机抽查平台命令行")
    cli.main(prog_name="spotcheck")


def init_app(app: Flask) -> None:
    """Register every `spotcheck` command."""
    from server import commands

    commands.register(app)
