"""One exception tree for the engine; the web layer maps each branch to an HTTP status.

    LienThongError
    ├── NotFound                  unknown dossier, step, agency, official, procedure (404)
    ├── PermissionDenied          outside the official's agency or role (403)
    ├── Conflict                  claim race, duplicate (409)
    │   ├── RetryableConflict     a concurrent writer won; the same call may simply be retried
    │   └── StateError            the action does not fit the dossier's or step's state
    ├── FormInvalid               form data rejected, one message per field (400)
    ├── InvalidInput              a bad argument or value outside any form (400)
    │   ├── StateTooLarge         (engine.store) a step would save more than max_state_bytes
    │   └── DocumentRejected      (engine.documents) an upload of a refused type or size
    ├── DefinitionError           a diagram cannot be loaded or deployed; carries Problems (422)
    ├── ExpressionError           an expression in a diagram is rejected or failed in the sandbox
    └── DocumentCorrupted         (engine.documents) a stored file no longer matches its hash

Database errors are mapped in one place, ``engine.db.database_errors``: a lost race (a lock, a
serialization failure, a deadlock) becomes RetryableConflict; anything else (a missing table, a
broken schema) is raised as the driver's error, never as a retryable conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.problems import Problem


class LienThongError(Exception):
    """Base of every error the engine raises on purpose."""


class NotFound(LienThongError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class PermissionDenied(LienThongError):
    """The official may not do this: another agency's step, or a role they lack."""


class Conflict(LienThongError):
    """The action collides with another one: already claimed, already done, duplicate."""


class RetryableConflict(Conflict):
    """A concurrent writer changed the same dossier first; retrying the call is safe."""


class StateError(Conflict):
    """The action does not fit the current state of the dossier or the step."""


class InvalidInput(LienThongError):
    """A value given to the engine is malformed (outside form validation)."""


class FormInvalid(LienThongError):
    """Form data failed validation; ``errors`` maps each field id to a message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class DefinitionError(LienThongError):
    """A BPMN file cannot be loaded or deployed; ``problems`` says why, line by line."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class ExpressionError(LienThongError):
    """An expression or script from a diagram was refused or failed inside the sandbox."""
