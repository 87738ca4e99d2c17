"""The official performing an action, as the engine needs to know them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """The official performing an action, as the engine needs to know them."""

    id: int
    username: str
    full_name: str
    agency_id: int
    agency_code: str
    agency_name: str
    roles: frozenset[str]
    #: False for a deactivated official (listed for administrators; they can do nothing).
    active: bool = True

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)
