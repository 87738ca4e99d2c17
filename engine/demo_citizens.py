"""The citizens' side of the demo: online applications waiting at a commune's desk, so that the
desk's online queue and the citizen's status page have something to show after ``make run``.

Made once (nothing is added when the procedure already has applications). The applicants are
invented; their documents are one-page placeholder PDFs.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from engine.application_models import Application
from engine.documents import Documents, requirements
from engine.services.applications import Upload

PROCEDURE = "1.001731"  # funeral support: the demo's history procedure
COMMUNE = "68001"  # xã Liên Hương in workflows/units.csv (a placeholder code of the demo)
PLACEHOLDER_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
APPLICANTS = (
    ({"name": "Nguyễn Thị Lan", "id_number": "068190001111", "phone": "0912000111",
      "email": "lan.demo@example.vn", "address": "Thôn 2, xã Liên Hương"},
     {"ho_ten_nguoi_mat": "Nguyễn Văn Sáu", "doi_tuong_nguoi_mat": "ho_ngheo_can_ngheo",
      "quan_he_voi_nguoi_mat": "Con"}, 3),
    ({"name": "Trần Văn Minh", "id_number": "068185002222", "phone": "0913000222", "email": "",
      "address": "Thôn 5, xã Liên Hương"},
     {"ho_ten_nguoi_mat": "Trần Thị Bảy", "doi_tuong_nguoi_mat": "ho_ngheo_can_ngheo",
      "quan_he_voi_nguoi_mat": "Chồng"}, 6),
)


def seed_applications(engine: Any, documents: Documents) -> list[str]:
    """Submit the demo's online applications (once); their references."""
    with engine.Session() as session:
        if session.scalar(select(Application.id).where(Application.procedure_code == PROCEDURE).limit(1)):
            return []
    summary = engine.procedure(PROCEDURE)
    needed = [r for r in requirements(summary.metadata) if r.required]
    today = engine.today()
    references = []
    for applicant, data, days_ago in APPLICANTS:
        files = [Upload(r.key, f"{r.key}.pdf", PLACEHOLDER_PDF) for r in needed]
        died: date = today - timedelta(days=days_ago)
        done = engine.submit_application(PROCEDURE, applicant, {**data, "ngay_mat": died.isoformat()}, files,
                                         documents, commune=COMMUNE)
        references.append(done.reference)
    return references
