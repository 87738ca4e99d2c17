"""The one-stop dossier lifecycle beyond plain steps (to be filled in): desk notices, apology, withdrawal."""

from __future__ import annotations


class LifecycleMixin:
    """Lifecycle actions of the Engine; mixed into engine.runtime.Engine."""
