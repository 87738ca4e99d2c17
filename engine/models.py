"""SQLAlchemy tables: agencies, officials, definition versions, dossiers, steps, events, timers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, date: Date}


class AdminUnit(Base):
    """An administrative unit (đơn vị hành chính): a province or a commune/ward, with its validity.

    A unit merged away keeps its row with ``valid_to`` and the ``successor_code`` it went into."""

    __tablename__ = "admin_units"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    #: province or commune (engine.units.UNIT_LEVELS)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))
    search_key: Mapped[str] = mapped_column(String(255), index=True, server_default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(ForeignKey("admin_units.code"))


class AgencyKind(Base):
    """A kind of agency (loại cơ quan), e.g. ubnd_xa "UBND cấp xã": a lane may name a kind."""

    __tablename__ = "agency_kinds"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    lookup_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: province or commune: the level of the unit an agency of this kind serves
    level: Mapped[str] = mapped_column(String(16))
    #: How citizens read the lane before a dossier runs, e.g. "UBND cấp xã nơi cư trú".
    public_name: Mapped[str] = mapped_column(String(255), server_default="")


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: Circular 10/2016/TT-BTTTT unit code (e.g. 000.00.15.H12) used in dossier codes, when known.
    unit_code: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    level: Mapped[str] = mapped_column(String(32), default="province")
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    contacts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lookup_key: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime]
    #: Its kind (agency_kinds.code) and the administrative unit it serves (admin_units.code), for
    #: lanes bound to kinds; checked by engine.accounts.check_agency_binding (plain columns, no foreign
    #: key, so that migration 0009 goes down without rebuilding this much-referenced table).
    kind_code: Mapped[str | None] = mapped_column(String(64), index=True)
    admin_unit: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[date | None] = mapped_column(Date)
    #: Set when the agency is dissolved; its open steps then belong to ``successor_id``.
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(Integer)


class Official(Base):
    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    roles: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    #: Written into each web session at login; moved on by logout, a password or role change and
    #: deactivation, which ends every session issued before (engine.sessions).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DefinitionVersion(Base):
    __tablename__ = "definition_versions"
    __table_args__ = (
        UniqueConstraint("procedure_code", "version"),
        UniqueConstraint("procedure_code", "sha256", name="uq_definition_versions_code_sha256"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    process_id: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255), default="")
    bpmn: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    legal_working_days: Mapped[Any] = mapped_column(Numeric(8, 3))
    reduced_working_days: Mapped[Any | None] = mapped_column(Numeric(8, 3))
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    decision_number: Mapped[str] = mapped_column(String(128), default="")
    decision_date: Mapped[date | None] = mapped_column(Date)
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    deployed_at: Mapped[datetime]
    #: submitted → published (approved) or sent_back; published → retired when a newer version is published
    #: (engine.approval). Only a published version receives dossiers.
    status: Mapped[str] = mapped_column(String(16), default="published", server_default="published")
    submitted_by: Mapped[int | None]  # officials.id (no foreign key: migration 0009 adds it in place)
    reviewed_by: Mapped[int | None]
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(1000), default="", server_default="")


class ProcedureDraft(Base):
    """A diagram being drawn in the modeller, saved as the designer left it (valid or not)."""

    __tablename__ = "procedure_drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    name: Mapped[str] = mapped_column(String(500), default="")
    bpmn: Mapped[bytes] = mapped_column(LargeBinary)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    updated_at: Mapped[datetime]


class Dossier(Base):
    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id"))
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_search: Mapped[str] = mapped_column(String(255), index=True)
    applicant_id_number: Mapped[str] = mapped_column(String(32), default="", index=True)
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    applicant_email: Mapped[str] = mapped_column(String(255), default="")
    applicant_address: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    receiving_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    received_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    received_at: Mapped[datetime] = mapped_column(index=True)
    counting_from: Mapped[datetime]
    due_at: Mapped[datetime | None]
    original_due_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(32), default="")
    lookup_secret: Mapped[str] = mapped_column(String(32), default="")
    supplement_count: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    apology_count: Mapped[int] = mapped_column(Integer, default=0)
    state_version: Mapped[int] = mapped_column(Integer, default=0)
    #: The commune/ward (admin_units.code) the dossier concerns: lanes bound to kinds resolve by it.
    commune_code: Mapped[str] = mapped_column(String(64), server_default="", default="")
    #: Why the workflow cannot go on by itself (a bounded loop ran out); empty when all is well.
    incident: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: How it was received: ``counter`` (at the desk) or ``online`` (an accepted online application).
    channel: Mapped[str] = mapped_column(String(16), default="counter", server_default="counter")


class WorkflowState(Base):
    """The serialized SpiffWorkflow instance of a dossier (without its spec)."""

    __tablename__ = "workflow_states"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Step(Base):
    """One human task of a dossier: the row every inbox query reads."""

    __tablename__ = "steps"
    __table_args__ = (
        Index("ix_steps_inbox", "agency_id", "state", "due_at"),
        Index("ix_steps_open_by_agency", "agency_id", "due_at", "id",
              sqlite_where=text("state IN ('ready', 'claimed')"),
              postgresql_where=text("state IN ('ready', 'claimed')")),
        # An open step with an assignee is a claimed one: "my steps" reads this, and ready,
        # completed and cancelled steps stay out of it (fewer pages written per action).
        Index("ix_steps_claimed_by", "assignee_id", "due_at", "id",
              sqlite_where=text("state = 'claimed'"), postgresql_where=text("state = 'claimed'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(500))
    lane: Mapped[str] = mapped_column(String(255), default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    step_kind: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16), default="", server_default="")  # "" = any handling role
    state: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    working_days: Mapped[Any] = mapped_column(Numeric(8, 3))
    ready_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    due_at: Mapped[datetime | None]
    overdue_marked_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    form_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    timeliness: Mapped[str | None] = mapped_column(String(16))


class Event(Base):
    """Append-only log of every action; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    action: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Timer(Base):
    """A timer event of a dossier, due in working time; the worker fires it."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_pending", "fired_at", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    expression: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    #: When the timer started waiting: a duration is re-timed from it when the calendar changes
    #: (unknown for timers registered before migration 0005).
    started_at: Mapped[datetime | None]


class DossierSequence(Base):
    """Per agency and day, the last sequence number used in dossier codes."""

    __tablename__ = "dossier_sequences"
    agency_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CalendarOverride(Base):
    """An admin's yearly change to the calendar: an extra day off or a make-up working day."""

    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(255), default="")


class CalendarDecision(Base):
    """An official decision moving days off and make-up days (engine.calendar_data); only confirmed ones count."""

    __tablename__ = "calendar_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(255), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    issuer: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(1000), default="")
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "shipped" (workflows/calendar, kept in step on upgrade) or "admin" (added in the admin page).
    origin: Mapped[str] = mapped_column(String(16))
    #: Who confirmed it in the admin page; a shipped decision confirmed there stays confirmed.
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class CalendarDecisionDay(Base):
    __tablename__ = "calendar_decision_days"
    decision_id: Mapped[int] = mapped_column(ForeignKey("calendar_decisions.id", ondelete="CASCADE"),
                                             primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(255), default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class RateLimit(Base):
    """Attempts under one key (engine.ratelimits) in the window that began at ``window_start``."""

    __tablename__ = "rate_limits"
    __table_args__ = (Index("ix_rate_limits_window_start", "window_start"),)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)


class DossierTracking(Base):
    """Lifecycle facts of a dossier beyond its core row: rule marks, worker marks, result collection.

    One row per dossier, created on first need (see engine.lifecycle.tracking_row). The worker
    claims ``warned_at`` and ``overdue_marked_at`` with an atomic upsert, so each happens once.
    """

    __tablename__ = "dossier_tracking"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    supplement_requests: Mapped[int] = mapped_column(Integer, default=0)
    late_by_rule: Mapped[bool] = mapped_column(Boolean, default=False)
    late_reason: Mapped[str] = mapped_column(String(255), default="")
    warned_at: Mapped[datetime | None]
    overdue_marked_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    collection_method: Mapped[str] = mapped_column(String(16), default="")
    collection_note: Mapped[str] = mapped_column(String(500), default="")
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")


class DeskNotice(Base):
    """A written notice given at the desk before a dossier is received: Mẫu 02 (supplement) or 03 (refusal)."""

    __tablename__ = "desk_notices"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "year", "number", name="uq_desk_notices_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    procedure_name: Mapped[str] = mapped_column(String(500), default="")
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    applicant_name: Mapped[str] = mapped_column(String(255))
    applicant_id_number: Mapped[str] = mapped_column(String(32), default="")
    applicant_phone: Mapped[str] = mapped_column(String(32), default="")
    applicant_email: Mapped[str] = mapped_column(String(255), default="")
    applicant_address: Mapped[str] = mapped_column(String(500), default="")
    request: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    guidance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    created_at: Mapped[datetime]


class Apology(Base):
    """Mẫu 04: the apology and new appointment of the agency at fault (at most one per dossier)."""

    __tablename__ = "apologies"
    __table_args__ = (UniqueConstraint("agency_id", "number_year", "number", name="uq_apologies_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    issued_by: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    issued_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    original_due_at: Mapped[datetime]
    new_due_at: Mapped[datetime]
    extension_seconds: Mapped[int] = mapped_column(Integer, default=0)
    #: Numbered per agency and year ("3/2026/PXL"); None for letters issued before numbering.
    number_year: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)


class Notification(Base):
    """Something an agency should see on its dashboard: a step or dossier due soon or overdue."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_agency", "agency_id", "read_at", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    due_at: Mapped[datetime | None]
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Document(Base):
    """A file attached to a dossier: the bytes live in the document store under their SHA-256."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_sha256", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"))
    #: scan, opinion, minutes, draft, signed_result, other (engine.documents.KINDS)
    kind: Mapped[str] = mapped_column(String(16))
    #: The procedure's required document this file is the scan of (engine.documents.requirements), if any.
    requirement_key: Mapped[str] = mapped_column(String(64), default="")
    requirement_name: Mapped[str] = mapped_column(String(500), default="")
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    uploaded_at: Mapped[datetime]
    #: Attached by the receiving desk while the dossier was still at reception (QĐ 766 digitisation).
    at_reception: Mapped[bool] = mapped_column(Boolean, default=False)


# Dossier search (engine.search): a name prefix on PostgreSQL needs pattern operators (the default
# collation cannot serve LIKE 'x%'); the filters by desk, procedure and status come newest first.
Index("ix_dossiers_applicant_search_prefix", Dossier.applicant_search,
      postgresql_ops={"applicant_search": "varchar_pattern_ops"})
Index("ix_dossiers_receiving_received", Dossier.receiving_agency_id, Dossier.received_at)
Index("ix_dossiers_procedure_received", Dossier.procedure_code, Dossier.received_at)
Index("ix_dossiers_status_received", Dossier.status, Dossier.received_at)


class DossierAgency(Base):
    """Which agencies take part in a dossier (its receiving desk, every agency holding a step).

    The visibility rule and the officials' dossier search read this one narrow table: one index
    probe answers "may this agency see that dossier", and an agency's dossiers come newest first
    straight off (agency_id, received_at).
    """

    __tablename__ = "dossier_agencies"
    __table_args__ = (Index("ix_dossier_agencies_agency_received", "agency_id", "received_at", "dossier_id"),
                      Index("ix_dossier_agencies_agency_name", "agency_id", "applicant_search", "received_at",
                            "dossier_id", postgresql_ops={"applicant_search": "varchar_pattern_ops"}))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    received_at: Mapped[datetime]
    #: The dossier's applicant_search (fixed at receipt): an agency's name search reads this table only.
    applicant_search: Mapped[str] = mapped_column(String(255), server_default="")


class OutboxMessage(Base):
    """Something other parts of the system may react to (a status change, a step handover),
    written in the transaction that made it happen; the worker hands it to each subscriber."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(Integer)
    step_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class OutboxDelivery(Base):
    """How far the delivery of one outbox message to one subscriber got."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (Index("ix_outbox_deliveries_subscriber", "subscriber", "outbox_id"),)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), primary_key=True)
    subscriber: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Not before this instant: a lease while delivering, then the retry time after a failure.
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


class SurveyResponse(Base):
    """The applicant's one satisfaction survey answer for a dossier (engine.survey)."""

    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(index=True)


class CitizenNotice(Base):
    """One citizen notification of one outbox message on one channel (engine.notifications):
    written before sending, marked sent after; the key makes a message go out once per channel."""

    __tablename__ = "citizen_notices"
    __table_args__ = (UniqueConstraint("outbox_id", "channel", name="uq_citizen_notices_outbox_id_channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    channel: Mapped[str] = mapped_column(String(16))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: pending (being sent), sent, failed (given up)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")


class NoticeTemplate(Base):
    """The admin's edit of one notification template (engine/templates/notifications/<name>)."""

    __tablename__ = "notice_templates"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Feedback(Base):
    """A citizen's feedback or petition (PAKN) on a procedure or a dossier (engine.feedback): the
    responsible agency answers it by ``due_at``; the citizen follows it with the reference and secret."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_agency_id", "agency_id", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    #: SHA-256 (hex) of the secret given to the citizen; the secret itself is never stored.
    secret_hash: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    name: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    #: received, answered, closed
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(index=True)
    due_at: Mapped[datetime]
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    answered_at: Mapped[datetime | None]
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The question and answer as published, personal data removed (empty while unpublished).
    published_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None]
