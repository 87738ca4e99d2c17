"""``python -m engine``: the ``lienthong`` command."""

from engine.cli import run

if __name__ == "__main__":
    run()
