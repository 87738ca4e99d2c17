"""A problem found in a BPMN file, in the designer's terms, with its line and element."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "ERROR"
    WARNING = "WARNING"


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation message: ``FILE:LINE: ERROR|WARNING [ELEMENT_ID] message``."""

    severity: Severity
    message: str
    line: int = 0
    element: str | None = None
    file: str = ""

    def format(self, file: str | None = None) -> str:
        where = file if file is not None else (self.file or "<diagram>")
        elem = f" [{self.element}]" if self.element else ""
        return f"{where}:{self.line}: {self.severity.value}{elem} {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "element": self.element, "severity": self.severity.value,
                "message": self.message}


def error(message: str, line: int = 0, element: str | None = None) -> Problem:
    return Problem(Severity.ERROR, message.strip(), line, element)


def warning(message: str, line: int = 0, element: str | None = None) -> Problem:
    return Problem(Severity.WARNING, message.strip(), line, element)
