"""A province with two communes, agency kinds and one agency of each kind per unit (tests only).

Province P68 with communes X01 and X02 (and X03, which has no People's Committee yet); kinds
``ubnd_xa`` "UBND cấp xã" (commune) and ``so_noi_vu`` "Sở Nội vụ" (province). Each commune's
People's Committee has a clerk and an officer; the department has an officer.
"""

from __future__ import annotations

from typing import Any

from engine import accounts, units
from tests.conftest import PASSWORD

COMMUNES = {"X01": "xã Liên Hương", "X02": "xã Bắc Bình", "X03": "xã Tuy Phong"}


def build(engine: Any) -> dict[str, Any]:
    """Units, kinds, agencies and officials; returns the officials by username."""
    now = engine.now()
    actors: dict[str, Any] = {}
    with engine.transaction() as s:
        units.add_unit(s, "P68", "tỉnh Lâm Đồng", "province")
        for code, name in COMMUNES.items():
            units.add_unit(s, code, name, "commune", "P68")
        units.add_kind(s, "ubnd_xa", "UBND cấp xã", level="commune", public_name="UBND cấp xã nơi cư trú")
        units.add_kind(s, "so_noi_vu", "Sở Nội vụ", level="province")
        accounts.add_agency(s, "SNV", "Sở Nội vụ tỉnh Lâm Đồng", now=now, kind="so_noi_vu", admin_unit="P68")
        for code in ("X01", "X02"):
            accounts.add_agency(s, f"UBND.{code}", f"UBND {COMMUNES[code]}", level="commune", now=now,
                                kind="ubnd_xa", admin_unit=code)
            for role in ("clerk", "officer"):
                username = f"{code.lower()}.{role}"
                actors[username] = accounts.add_official(s, username, full_name=username, agency_code=f"UBND.{code}",
                                                         roles=role, password=PASSWORD, now=now)
        actors["snv.officer"] = accounts.add_official(s, "snv.officer", full_name="Sở", agency_code="SNV",
                                                      roles="officer", password=PASSWORD, now=now)
    return actors
