"""The `spotcheck …` commands, one module per area; `register` adds them all to the app's CLI."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every `spotcheck` command with the app."""
    from server.commands import registry
    from server.commands.core import (audit_publish_head_command, audit_verify_command, create_user_command,
                                      init_db_command)
    from server.commands.demo import demo_logins_command, load_demo_command
    from server.commands.device import device_group
    from server.commands.documents import prune_pdf_cache_command
    from server.commands.draw import verify_draw_command
    from server.commands.followup import refresh_risk_command
    from server.commands.stats import stats_refresh_command

    for command in (create_user_command, audit_verify_command, audit_publish_head_command, init_db_command, load_demo_command,
                    demo_logins_command, verify_draw_command, prune_pdf_cache_command, device_group,
                    refresh_risk_command, stats_refresh_command):
        app.cli.add_command(command)
    registry.register(app)  # import-*/export-* for the three registries
