"""``python -m engine``: the ``lienthong`` command."""

from engine.cli import run

run()
