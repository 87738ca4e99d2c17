"""The applicant of a dossier: cleaning what the desk typed, the search key, the masked name."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from engine.errors import FormInvalid
from engine.forms import check_applicant

__all__ = ["clean_applicant", "mask_name", "search_key"]

def search_key(text: str) -> str:
    """Lower-case, diacritics-free form of a name for searching ('Nguyễn' → 'nguyen')."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.casefold().split())


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'N***** V** A*': enough for the applicant to recognise, nothing more."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


def clean_applicant(applicant: Mapping[str, Any]) -> dict[str, str]:
    """Name (required), personal number (12 digits), phone, e-mail, address: spaces collapsed,
    checked by the form rules (engine.forms.APPLICANT_FIELDS); every error at once."""
    person, wrong = check_applicant(applicant)
    if wrong:
        raise FormInvalid(wrong)
    return person
