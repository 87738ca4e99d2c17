"""One procedure, one process: a procedure code published with one process id belongs to that process.

Versions of a procedure are later drawings of the same process. A file whose process has another
id but carries a code already published would silently become a version of someone else's
procedure (three unrelated processes sharing a code once became versions 1–3 of one). Deploy
asks :func:`process_conflict` inside its transaction and refuses with the problem it returns.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.problems import Problem, error


def process_conflict(session: Session, procedure_code: str, process_id: str, line: int = 0) -> Problem | None:
    """The ERROR when ``procedure_code`` is already published with a process other than ``process_id``."""
    other = session.scalar(select(models.DefinitionVersion.process_id).where(
        models.DefinitionVersion.procedure_code == procedure_code,
        models.DefinitionVersion.process_id != process_id).limit(1))
    if other is None:
        return None
    return error(f"Mã thủ tục «{procedure_code}» đã được công bố với quy trình «{other}»; quy trình «{process_id}» "
                 f"không thể là phiên bản mới của nó: hãy giữ mã quy trình (process id) cũ hoặc dùng mã thủ tục "
                 f"khác (procedure_code already belongs to another process)", line, process_id)
