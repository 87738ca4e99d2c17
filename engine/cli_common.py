"""What every `lienthong` command shares: the settings, the engine, one way to fail."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from engine.settings import Settings


def settings() -> Settings:
    """The deployment's settings, read from the environment once per command."""
    return Settings.from_env()


def open_engine() -> Any:
    from engine.runtime import Engine

    return Engine(settings=settings())


def fail(message: str) -> NoReturn:
    """One error line on standard error, exit status 1."""
    click.echo(f"lỗi: {message}", err=True)
    sys.exit(1)
