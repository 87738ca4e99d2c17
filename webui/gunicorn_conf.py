"""gunicorn settings for LienThong: ``gunicorn -c python:webui.gunicorn_conf -b 127.0.0.1:8000 'webui:create_app()'``.

Options given on the command line win over these (``-w``, ``--threads``, ``--access-logfile``…);
see docs/deploy.md, section 5.

- ``gthread`` workers: a worker serves keep-alive connections and overlaps a request waiting for the
  database (a commit's WAL flush on PostgreSQL) with another request's Python work.
- Two workers per core (``WEB_CONCURRENCY`` overrides), two threads each (``LIENTHONG_THREADS``):
  Python runs one thread at a time per process, so the cores are used by processes, and a few
  threads per process are enough to fill the waits. More threads per process only queue for the
  interpreter lock; more processes keep more connections and more copies of the caches.
- The heartbeat file each worker touches (``os.utime``) on every turn of its event loop, about twice a
  request, lives in memory (``/dev/shm``) rather than in the temporary folder, which is often on disk:
  gunicorn's own advice. Where /dev/shm is missing or not writable, gunicorn's default stays.
- Each worker freezes the objects it loaded at start (modules, the app, its routes and templates)
  out of the garbage collector's reach: they live as long as the process, and a full collection
  no longer walks them again and again while requests wait (measured: a full collection of the
  loaded app took about 50 ms, about 45 µs per workflow step on average).
"""

from __future__ import annotations

import gc
import os
from typing import Any

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
threads = int(os.environ.get("LIENTHONG_THREADS") or 2)
graceful_timeout = 20
timeout = 60
# gunicorn makes the heartbeat file with mkstemp and unlinks it at once, as it does in the default /tmp.
_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = _MEMORY if os.path.isdir(_MEMORY) and os.access(_MEMORY, os.W_OK | os.X_OK) else None


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the app: what exists now stays for the life of the process."""
    gc.collect()
    gc.freeze()


def pre_request(worker: Any, req: Any) -> None:
    """Spread keep-alive connections over the workers.

    A gthread worker accepts every connection it sees, so clients that keep their connection open
    (API clients, nginx with upstream keep-alive) can pile up on one worker, which then serves
    them all on one core while another worker idles (measured: 3 of 4 clients on one worker, a
    quarter fewer steps per second on PostgreSQL). A worker holding more connections than it has
    threads answers this request with ``Connection: close``; the client reconnects, and the
    connection goes to whichever worker accepts it first. Connections opened per request (nginx's
    default) are closed anyway; nothing else changes.
    """
    connections = getattr(worker, "nr_conns", None)  # gthread workers only
    if connections is not None and connections > worker.cfg.threads:
        req.must_close = True
