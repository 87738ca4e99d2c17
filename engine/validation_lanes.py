"""Which agency a BPMN lane names: a lane carries the code or the name of an agency or of an agency kind.

Matching ignores case, spacing and Unicode form. ``engine.validation`` refuses a lane that names none;
``engine.lanes`` resolves the agency of a lane per dossier.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AgencyRef:
    """An agency as the validator needs it: the code and name a lane may carry."""

    code: str
    name: str
    #: True for an agency kind ("UBND cấp xã"): the lane resolves per dossier (engine.lanes).
    kind: bool = False


def lane_refs(directory: Any) -> list[AgencyRef]:
    """The names a lane may carry: every agency and every agency kind of an engine.lanes.Directory."""
    return ([AgencyRef(k.code, k.name, True) for k in directory.kinds.values()]
            + [AgencyRef(a.code, a.name) for a in directory.agencies.values()])


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def lane_agency(lane_name: str, agencies: Sequence[AgencyRef]) -> AgencyRef | None:
    """The agency whose code or name the lane carries (case, spacing and Unicode form ignored)."""
    wanted = _normalise(lane_name)
    if not wanted:
        return None
    for agency in agencies:
        if wanted in (_normalise(agency.code), _normalise(agency.name)):
            return agency
    return None
