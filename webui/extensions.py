"""Access to the engine attached to the running app (the UI receives the engine, never builds it)."""

from __future__ import annotations

from flask import current_app

from engine import Engine


def get_engine() -> Engine:
    engine: Engine = current_app.extensions["lienthong_engine"]
    return engine
