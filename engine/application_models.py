"""Tables of online applications (engine.services.applications): an application before the desk
receives it, and the documents the applicant uploaded with it (bytes in the document store)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.models import Base


class Application(Base):
    """An online application (nộp hồ sơ trực tuyến): submitted → accepted | supplement_requested | refused."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_queue", "receiving_agency_id", "status", "submitted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The public reference the applicant follows it by (random, not sequential).
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    #: SHA-256 of the applicant's secret (the secret itself is shown once, never stored).
    secret_hash: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    #: The applicant's particulars (name, id_number, phone, email, address), checked as at the desk.
    applicant: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    applicant_name: Mapped[str] = mapped_column(String(255))
    commune_code: Mapped[str] = mapped_column(String(64), default="")
    #: The reception form's values (the start event's camunda:formData), checked.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: engine.statuses.ApplicationStatus
    status: Mapped[str] = mapped_column(String(32))
    #: The desk that receives it: the agency of the procedure's first lane for the commune.
    receiving_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: The reason of the last supplement request or of the refusal, and the documents asked for.
    reason: Mapped[str] = mapped_column(Text, default="")
    requested: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The desk notice (Mẫu 02 or 03) of the last decision, and the dossier an acceptance made.
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("desk_notices.id"))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class ApplicationDocument(Base):
    """A file the applicant uploaded for one required document; the newest per key counts."""

    __tablename__ = "application_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    requirement_key: Mapped[str] = mapped_column(String(64))
    requirement_name: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
