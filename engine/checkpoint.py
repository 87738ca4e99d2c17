"""SQLite WAL checkpoints in a background thread, off the commit path.

In WAL mode a commit appends pages to the ``-wal`` file; a checkpoint copies them back into the
database file and syncs both. SQLite runs it inside the commit that crosses
``wal_autocheckpoint`` pages, so one request in every thousand or so waited 30-45 ms for
megabytes of writes and two fsyncs (measured: 1 commit in 1,300 took 40 ms, half of all the time
spent committing).

Here each process runs one daemon thread that checkpoints (``PRAGMA wal_checkpoint(PASSIVE)``,
which never blocks readers or writers) after every ``CHECKPOINT_EVERY`` write commits, and one
second after the last commit of a quieter spell. The thread opens a connection for each
checkpoint and closes it after, so a database it no longer hears from costs nothing. Commits
then only append to the WAL; the connections' ``wal_autocheckpoint`` stays as a safety net for a
process whose thread cannot keep up or a writer that commits outside the write lock (migrations).

A failed checkpoint (a busy checkpoint of another process, a database file removed) is logged
and left to the next one; nothing a commit acknowledged depends on it: the pages are already in
the WAL, which SQLite reads and recovers as part of the database.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from urllib.parse import quote

log = logging.getLogger(__name__)

#: Write commits between two checkpoints: about 1,000 WAL pages at a step's 16.
CHECKPOINT_EVERY = 64
#: A database with fewer pending commits is checkpointed this long after its last one (seconds).
IDLE_SECONDS = 1.0


class Checkpointer:
    """One thread per process checkpointing every SQLite database this process writes to."""

    def __init__(self, every: int = CHECKPOINT_EVERY, idle: float = IDLE_SECONDS) -> None:
        self.every, self.idle = every, idle
        #: Checkpoints done, per database path (observability and tests).
        self.done: dict[str, int] = {}
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        """A fresh state: at start, and in a forked child, which has none of the parent's threads
        and may have inherited the lock held."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: dict[str, int] = {}
        self._thread: threading.Thread | None = None

    def committed(self, path: str) -> None:
        """Called after each write commit to the database at ``path``."""
        with self._lock:
            count = self._pending.get(path, 0) + 1
            self._pending[path] = count
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
        if count >= self.every:
            self._wake.set()

    def _run(self) -> None:
        while True:
            woken = self._wake.wait(self.idle)
            self._wake.clear()
            with self._lock:
                # Woken: the databases past the threshold; timed out: every one with commits.
                due = [p for p, n in self._pending.items() if n >= self.every or not woken]
                for path in due:
                    del self._pending[path]
            for path in due:
                self.checkpoint(path)

    def checkpoint(self, path: str) -> bool:
        """A passive checkpoint of ``path`` now; False when it could not be done."""
        try:
            # mode=rw: a database removed meanwhile is not created anew.
            conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=0, isolation_level=None)
            try:
                busy, _log_pages, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint of %s failed: %s", path, exc)
            return False
        if busy:  # another process's checkpoint is running: it does the work
            return False
        self.done[path] = self.done.get(path, 0) + 1
        return True


#: The process's checkpointer.
checkpointer = Checkpointer()
