"""How a command fails: the message in Chinese on stderr, and a non-zero exit code."""
from __future__ import annotations

import sys

import click


def fail(message: str, code: int = 1):
    """Print `message` to stderr and exit with `code`."""
    click.echo(message, err=True)
    sys.exit(code)
