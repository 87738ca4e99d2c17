"""The sandbox's memory budget: every value an evaluation creates is charged at its saved size.

A dossier's state is saved as JSON, where a list holding the same 100 KB string eight times is
written out eight times. So a value is measured as it would be saved (shared references counted
each time they occur), while each container is walked only once: the work stays linear in the
objects created, however often they are shared.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ExpressionError

_CONTAINERS = (list, tuple, set, frozenset, dict)


class MemoryBudget:
    """Characters of data one evaluation may still create; ExpressionError once they run out."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._sizes: dict[int, tuple[Any, int]] = {}  # id → (container, saved size); keeps ids stable

    def size(self, value: Any) -> int:
        """The value's size once saved (characters; shared references counted each time they occur)."""
        if isinstance(value, str):
            return 2 + len(value)
        if not isinstance(value, _CONTAINERS):
            return 8 + (value.bit_length() // 8 if isinstance(value, int) else 0)
        stack: list[tuple[Any, bool]] = [(value, False)]
        while stack:  # post-order without recursion: data may nest deeper than the stack allows
            current, ready = stack.pop()
            known = self._sizes.get(id(current))
            if known is not None and known[0] is current:
                continue
            items = [*current.keys(), *current.values()] if isinstance(current, dict) else list(current)
            if ready:
                total = 2 + sum(self._sizes[id(i)][1] if isinstance(i, _CONTAINERS) else self.size(i)
                                for i in items)
                self._sizes[id(current)] = (current, total)
            else:
                stack.append((current, True))
                stack.extend((i, False) for i in items if isinstance(i, _CONTAINERS))
        return self._sizes[id(value)][1]

    def allocate(self, value: Any) -> Any:
        """Charge a newly created string or container; refuse it past the budget."""
        if isinstance(value, (str, *_CONTAINERS)):
            self.used += self.size(value)
            if self.used > self.limit:
                raise ExpressionError(f"Dữ liệu tạo ra vượt giới hạn bộ nhớ {self.limit:,} ký tự "
                                      f"(the data created exceeds the memory budget)".replace(",", "."))
        return value
