"""Per-address limits on the public dossier lookup (in each web process; nginx limits across them).

Dossier codes are sequential (Circular 01/2018: ``<unit>-YYMMDD-NNNN``), so anyone could walk
them and collect statuses and masked names. Each web process lets one client address look up at
most ``PUBLIC_LOOKUP_RATE_LIMIT`` dossiers per window (default 30 per minute: far above what a
citizen tracking a dossier needs) and answers 429 beyond. The count lives in memory, so it costs
no database write on a public page; with several gunicorn workers the effective limit is a
multiple of it, and docs/deploy.md shows the matching ``limit_req`` for nginx, which limits
across workers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

from flask import abort, current_app, request
from flask_babel import gettext as _

#: Addresses remembered at once; the least recently seen are forgotten first.
MAX_ADDRESSES = 50_000


class SlidingWindow:
    """At most ``limit`` events per key in any ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: object = time.monotonic) -> None:
        self.limit, self.window = limit, window
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            allowed = len(hits) < self.limit
            if allowed:
                hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > MAX_ADDRESSES:
                self._hits.popitem(last=False)
            return allowed


def check_public_lookup() -> None:
    """Abort with 429 when this client address has looked up too many dossiers lately."""
    limiter: SlidingWindow | None = current_app.extensions.get("lienthong_lookup_limiter")
    if limiter is None:
        limit, window = current_app.config["PUBLIC_LOOKUP_RATE_LIMIT"]
        limiter = current_app.extensions.setdefault("lienthong_lookup_limiter", SlidingWindow(limit, window))
    if not limiter.allow(request.remote_addr or "-"):
        abort(429, _("Tra cứu quá nhiều hồ sơ trong thời gian ngắn; hãy thử lại sau ít phút."))
