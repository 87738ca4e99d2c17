"""The applicant of a dossier: cleaning what the desk typed, the search key, the masked name."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from engine.errors import FormInvalid

__all__ = ["clean_applicant", "mask_name", "search_key"]

LIMITS = {"name": 255, "id_number": 32, "phone": 32, "email": 255, "address": 500}


def search_key(text: str) -> str:
    """Lower-case, diacritics-free form of a name for searching ('Nguyễn' → 'nguyen')."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.casefold().split())


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'N***** V** A*': enough for the applicant to recognise, nothing more."""
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


def clean_applicant(applicant: Mapping[str, Any]) -> dict[str, str]:
    """Name (required), identity number (digits), phone, e-mail, address: spaces collapsed, lengths bounded."""
    out: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, limit in LIMITS.items():
        raw = applicant.get(key) if isinstance(applicant, Mapping) else None
        value = " ".join(str(raw).split()) if raw is not None else ""
        if len(value) > limit:
            errors[f"applicant.{key}"] = f"dài tối đa {limit} ký tự"
        out[key] = value
    if not out["name"]:
        errors["applicant.name"] = "bắt buộc nhập họ tên người nộp (required)"
    if out["id_number"] and not out["id_number"].isdigit():
        errors["applicant.id_number"] = "số định danh chỉ gồm chữ số"
    if errors:
        raise FormInvalid(errors)
    return out
