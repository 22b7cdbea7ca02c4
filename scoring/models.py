"""The domain of SPEC §2–§6 as typed SQLAlchemy models, with permission predicates.

Tables hold facts; rules that span rows (ranking, deadlines, transitions) live in
the feature packages and ``scoring.lifecycle``. Constraints here are the last line of
defence: forms and operations check the same things first and explain them in Ukrainian.

Longer than 600 lines: every table is declared here, so that the schema reads in one
place beside its migrations (``tests/test_migrations.py`` compares the two); split it
into a ``models/`` package when a feature brings a group of tables of its own.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import NamedTuple

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import (
    Mapped,
    Session,
    deferred,
    mapped_column,
    object_session,
    relationship,
)
from werkzeug.security import check_password_hash, generate_password_hash

from . import clock, ranking
from .extensions import db


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(enum_cls: type[enum.Enum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint listing the values."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def _now() -> datetime:
    return clock.now()


class Role(enum.StrEnum):
    ORGANISER = "organiser"
    JUROR = "juror"
    APPLICANT = "applicant"


class OrganisationKind(enum.StrEnum):
    COMMUNITY = "community"
    NGO = "ngo"


class OrganisationStatus(enum.StrEnum):
    ACTIVE = "active"
    RELOCATED = "relocated"
    OCCUPIED = "occupied"


class Stage(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    SCREENING = "screening"
    JUDGING = "judging"
    DELIBERATION = "deliberation"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Aggregation(enum.StrEnum):
    MEAN = "mean"
    MEDIAN = "median"
    TRIMMED_MEAN = "trimmed_mean"
    SUM = "sum"


class Normalise(enum.StrEnum):
    NONE = "none"
    ZSCORE = "zscore"


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    NUMBER = "number"
    CHOICE = "choice"
    URL = "url"
    FILE = "file"


class ApplicationState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADMITTED = "admitted"
    REJECTED = "rejected"


class Conflict(enum.StrEnum):
    UNDECLARED = "undeclared"
    NONE = "none"
    RECUSED = "recused"


class SheetState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Feedback(enum.StrEnum):
    """What applicants learn of their scores after publication (SPEC §14)."""

    NONE = "none"
    SCORES = "scores"  # their mean per criterion against the maximum
    COMMENTS = "comments"  # that, and the jurors' comments without names


class AppealDecision(enum.StrEnum):
    UPHELD = "upheld"
    REJECTED = "rejected"
class AgendaItem(enum.StrEnum):
    """The questions of the jury's meeting, in the order of its protocol (SPEC §16)."""

    CONFLICTS = "conflicts"  # the members' declarations of conflicts of interest
    SCORING = "scoring"  # the results of scoring
    DIVERGENCES = "divergences"  # applications with divergent scores
    RANKING = "ranking"  # the ranking and the winners


class DecisionKind(enum.StrEnum):
    TIE = "tie"  # which of the tied applications win, and why (SPEC §6.8)
    DIVERGENCE = "divergence"  # how a divergent application was resolved (SPEC §6.6)
    PARTIAL = "partial"  # one application funded partly from what is left (SPEC §12)


# Amounts of hryvnias (SPEC §12): exact, two places, up to 999 999 999 999,99.
Amount = Numeric(14, 2)


contest_organisers = Table(
    "contest_organisers",
    db.metadata,
    Column("contest_id", ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(db.Model):
    """An applicant: a territorial community (its council) or an NGO (SPEC §5)."""

    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint("length(edrpou) = 8", name="edrpou_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind, "organisation_kind"))
    name: Mapped[str] = mapped_column(String(300))
    edrpou: Mapped[str] = mapped_column(String(8), unique=True)
    oblast: Mapped[str] = mapped_column(String(5), index=True)
    community: Mapped[str] = mapped_column(String(200))
    community_code: Mapped[str | None] = mapped_column(String(19))
    status: Mapped[OrganisationStatus] = mapped_column(
        _enum(OrganisationStatus, "organisation_status"), default=OrganisationStatus.ACTIVE
    )
    contact_person: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    """A person who logs in. ``role`` decides which places the navigation shows."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    language: Mapped[str] = mapped_column(String(5), default="uk")
    # An applicant's organisation; for a juror, the organisation they belong to
    # (used to propose conflicts of interest, SPEC §11).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    oblast: Mapped[str | None] = mapped_column(String(5))
    community: Mapped[str | None] = mapped_column(String(200))
    # The KATOTTG code of the juror's hromada: conflicts compare codes, not names.
    community_code: Mapped[str | None] = mapped_column(String(19))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (auth/two_factor.py): the TOTP secret while it is on, since when,
    # and the last time step whose code was accepted (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(32))
    two_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # The tail of the password hash invalidates other sessions after a reset.
        return f"{self.id}:{(self.password_hash or '')[-12:]}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_juror(self) -> bool:
        return self.role == Role.JUROR

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT


class Contest(db.Model):
    """A contest with its settings (SPEC §4) and its stage (SPEC §3)."""

    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("winners >= 1", name="winners_positive"),
        CheckConstraint("quorum >= 1", name="quorum_positive"),
        CheckConstraint("jurors_per_application >= 0", name="jurors_per_application"),
        CheckConstraint(
            "divergence_threshold > 0 AND divergence_threshold <= 1", name="divergence_threshold"
        ),
        CheckConstraint("min_total >= 0", name="min_total"),
        CheckConstraint(
            "max_winners_per_oblast IS NULL OR max_winners_per_oblast >= 1", name="oblast_cap"
        ),
        CheckConstraint("last_number >= 0", name="last_number"),
        CheckConstraint("appeal_days >= 0", name="appeal_days"),
        CheckConstraint("appeal_answer_days >= 1", name="appeal_answer_days"),
        CheckConstraint("fund IS NULL OR fund > 0", name="fund_positive"),
        CheckConstraint("max_request IS NULL OR max_request > 0", name="max_request_positive"),
        CheckConstraint(
            "round_weight IS NULL OR (round_weight > 0 AND round_weight <= 100)",
            name="round_weight",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title_uk: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    description_uk: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    rules_uk: Mapped[str] = mapped_column(Text, default="")
    rules_en: Mapped[str] = mapped_column(Text, default="")
    organising_body: Mapped[str] = mapped_column(String(300), default="")
    applicant_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    oblasts: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every oblast
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    winners: Mapped[int] = mapped_column(default=5)
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "stage"), default=Stage.DRAFT, index=True)
    number_prefix: Mapped[str] = mapped_column(String(12))
    last_number: Mapped[int] = mapped_column(default=0)  # registration numbers are never reused
    # Scoring settings (SPEC §4).
    aggregation: Mapped[Aggregation] = mapped_column(
        _enum(Aggregation, "aggregation"), default=Aggregation.MEAN
    )
    normalise: Mapped[Normalise] = mapped_column(
        _enum(Normalise, "normalise"), default=Normalise.NONE
    )
    jurors_per_application: Mapped[int] = mapped_column(default=0)
    quorum: Mapped[int] = mapped_column(default=2)
    divergence_threshold: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.3"))
    min_total: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    max_winners_per_oblast: Mapped[int | None] = mapped_column()
    # The grants (SPEC §12), without categories; with them, each category has its own.
    fund: Mapped[Decimal | None] = mapped_column(Amount)
    max_request: Mapped[Decimal | None] = mapped_column(Amount)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict_same_oblast: Mapped[bool] = mapped_column(Boolean, default=False)
    conflict_same_community: Mapped[bool] = mapped_column(Boolean, default=False)
    results_full_ranking: Mapped[bool] = mapped_column(Boolean, default=True)
    # Jurors set up two-factor sign-in before they open the scoresheets (SPEC §8).
    jurors_two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    # Attachments (SPEC §5): allowed types and limits, per file and per application.
    attachment_types: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["application/pdf", "image/jpeg", "image/png"]
    )
    max_file_size: Mapped[int] = mapped_column(default=10 * 1024 * 1024)
    max_total_size: Mapped[int] = mapped_column(default=25 * 1024 * 1024)
    # The jury's meeting as its protocol records it (SPEC §7, §16): the protocol's
    # number, the meeting's date and place, the secretary; who was present is on
    # ``JuryMember.present``, the votes are ``ProtocolVote`` rows.
    protocol_number: Mapped[str] = mapped_column(String(40), default="")
    protocol_date: Mapped[date | None] = mapped_column(Date)  # of the meeting (SPEC §16)
    protocol_place: Mapped[str] = mapped_column(String(200), default="")
    protocol_secretary: Mapped[str] = mapped_column(String(200), default="")
    protocol_secretary_position: Mapped[str] = mapped_column(String(300), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Applications closed before the announced deadline: when and why (shown publicly).
    closed_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_early_reason: Mapped[str] = mapped_column(Text, default="")
    # After the decision (SPEC §14): the feedback applicants get (declared before judging),
    # the days after publication to appeal (0: no appeals) and the working days the
    # commission takes to answer an appeal.
    feedback: Mapped[Feedback] = mapped_column(_enum(Feedback, "feedback"), default=Feedback.NONE)
    appeal_days: Mapped[int] = mapped_column(default=0)
    appeal_answer_days: Mapped[int] = mapped_column(default=5)
    # Rounds (SPEC §13): a later round is a contest of its own (criteria, settings, jury,
    # form, protocol) that names the round before it; the winners of a round are the
    # applications that advance. ``round_weight`` is the round's share of the final
    # score in percent, declared on every round or on none (the last round's score).
    previous_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("contests.id"), unique=True, index=True
    )
    round_title_uk: Mapped[str] = mapped_column(String(300), default="")
    round_title_en: Mapped[str] = mapped_column(String(300), default="")
    round_weight: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    organisers: Mapped[list[User]] = relationship(secondary=contest_organisers)
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="contest", order_by="Criterion.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="contest", order_by="Question.position", cascade="all, delete-orphan"
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="contest", order_by="Category.position", cascade="all, delete-orphan"
    )
    jury: Mapped[list[JuryMember]] = relationship(
        back_populates="contest", cascade="all, delete-orphan"
    )

    def title(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title_uk

    def round_title(self, language: str) -> str:
        return (self.round_title_en if language == "en" else "") or self.round_title_uk

    def is_organised_by(self, user) -> bool:
        return bool(user.is_authenticated) and any(o.id == user.id for o in self.organisers)

    @property
    def is_public(self) -> bool:
        return self.stage != Stage.DRAFT

    def accepts_applications(self, moment: datetime) -> bool:
        return self.stage == Stage.OPEN and self.opens_at <= moment < self.closes_at

    @property
    def max_total(self) -> Decimal:
        """The maximum possible juror total, Σ weight × max_points (SPEC §6.6)."""
        return ranking.max_total(self.criteria, Decimal)


class Category(db.Model):
    """A separately ranked group of applications with its own number of winners."""

    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("contest_id", "code"),
        CheckConstraint("winners >= 1", name="winners_positive"),
        CheckConstraint("fund IS NULL OR fund > 0", name="fund_positive"),
        CheckConstraint("max_request IS NULL OR max_request > 0", name="max_request_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title_uk: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    winners: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    fund: Mapped[Decimal | None] = mapped_column(Amount)  # SPEC §12
    max_request: Mapped[Decimal | None] = mapped_column(Amount)

    contest: Mapped[Contest] = relationship(back_populates="categories")


class Criterion(db.Model):
    """A published scoring criterion; ``position`` is also the tie-break order."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("contest_id", "code"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("step IN (0.5, 1)", name="step"),
        CheckConstraint(
            "min_points IS NULL OR (min_points >= 0 AND min_points <= max_points)",
            name="min_points",
        ),
        Index("ix_criteria_contest_position", "contest_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    title_uk: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    guidance_uk: Mapped[str] = mapped_column(Text, default="")
    guidance_en: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    weight: Mapped[Decimal] = mapped_column(Numeric(8, 4), default=Decimal(1))
    step: Mapped[Decimal] = mapped_column(Numeric(2, 1), default=Decimal(1))
    min_points: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    position: Mapped[int] = mapped_column(default=0)

    contest: Mapped[Contest] = relationship(back_populates="criteria")


class Question(db.Model):
    """A question of the contest's application form (SPEC §4)."""

    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("contest_id", "key"),
        CheckConstraint("max_length IS NULL OR max_length > 0", name="max_length"),
        Index("ix_questions_contest_position", "contest_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    label_uk: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300), default="")
    help_uk: Mapped[str] = mapped_column(Text, default="")
    help_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind, "question_kind"))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)
    max_length: Mapped[int | None] = mapped_column()
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    choices: Mapped[list[dict] | None] = mapped_column(JSON)  # [{"value", "uk", "en"}]
    file_types: Mapped[list[str] | None] = mapped_column(JSON)  # narrows the contest's types

    contest: Mapped[Contest] = relationship(back_populates="questions")


class JuryMember(db.Model):
    """A juror's membership of one contest's jury."""

    __tablename__ = "jury_members"

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    # As the protocol of the jury's meeting names them (SPEC §16).
    position: Mapped[str] = mapped_column(String(300), default="")
    present: Mapped[bool | None] = mapped_column(Boolean)  # None: not recorded

    contest: Mapped[Contest] = relationship(back_populates="jury")
    user: Mapped[User] = relationship()


class ApplicantFacts(NamedTuple):
    """What the ranking and the documents say about an applicant (SPEC §8)."""

    name: str
    kind: OrganisationKind
    oblast: str
    community: str
    community_code: str | None
    status: OrganisationStatus


class Application(db.Model):
    """One organisation's application to one contest (SPEC §5).

    The ``applicant_*`` columns are the organisation's facts as they were when the
    application left the draft (SPEC §8): the ranking, the oblast cap, ties, the lists
    and every document use them, so a later edit of the organisation's profile changes
    nothing in a contest already applied to. They are copied in one place, the session's
    ``before_flush`` below, whichever way the application is submitted (the form, an
    import, the demo), and cleared when it is withdrawn back to a draft.
    """

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("contest_id", "organisation_id"),
        UniqueConstraint("contest_id", "serial"),
        CheckConstraint("serial IS NULL OR serial >= 1", name="serial_positive"),
        CheckConstraint("requested IS NULL OR requested > 0", name="requested_positive"),
        CheckConstraint(
            "(state = 'draft' AND submitted_at IS NULL) OR "
            "(state <> 'draft' AND number IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_has_number",
        ),
        Index("ix_applications_contest_state", "contest_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[ApplicationState] = mapped_column(
        _enum(ApplicationState, "application_state"), default=ApplicationState.DRAFT
    )
    serial: Mapped[int | None] = mapped_column()
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    # The amount asked for, when the contest has a fund (SPEC §12).
    requested: Mapped[Decimal | None] = mapped_column(Amount)
    # The same applicant's application in the round before (SPEC §13), which advanced.
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id"), unique=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applicant_name: Mapped[str | None] = mapped_column(String(300))
    applicant_kind: Mapped[OrganisationKind | None] = mapped_column(
        _enum(OrganisationKind, "applicant_kind")
    )
    applicant_oblast: Mapped[str | None] = mapped_column(String(5))
    applicant_community: Mapped[str | None] = mapped_column(String(200))
    applicant_community_code: Mapped[str | None] = mapped_column(String(19))
    applicant_status: Mapped[OrganisationStatus | None] = mapped_column(
        _enum(OrganisationStatus, "applicant_status")
    )

    contest: Mapped[Contest] = relationship()
    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="application", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    scoresheets: Mapped[list[Scoresheet]] = relationship(back_populates="application")
    previous: Mapped[Application | None] = relationship(remote_side="Application.id")

    def belongs_to(self, user) -> bool:
        return bool(user.is_authenticated) and user.organisation_id == self.organisation_id

    @property
    def facts(self) -> ApplicantFacts:
        """The applicant as submitted; for a draft, the organisation as it is now."""
        if self.applicant_name is None:
            o = self.organisation
            return ApplicantFacts(o.name, o.kind, o.oblast, o.community, o.community_code, o.status)
        return ApplicantFacts(
            self.applicant_name,
            self.applicant_kind,
            self.applicant_oblast,
            self.applicant_community,
            self.applicant_community_code,
            self.applicant_status,
        )

    def freeze_facts(self) -> None:
        """Copy the organisation's facts into the application (at submission)."""
        o = self.organisation
        if o is None:  # pending, with only the id set
            o = object_session(self).get(Organisation, self.organisation_id)
        self.applicant_name, self.applicant_kind, self.applicant_oblast = o.name, o.kind, o.oblast
        self.applicant_community, self.applicant_community_code = o.community, o.community_code
        self.applicant_status = o.status

    def thaw_facts(self) -> None:
        """Forget the copied facts (withdrawn to a draft: the profile applies again)."""
        self.applicant_name = self.applicant_kind = self.applicant_oblast = None
        self.applicant_community = self.applicant_community_code = self.applicant_status = None


@event.listens_for(Session, "before_flush")
def _freeze_applicant_facts(session, _context, _instances) -> None:
    """Every application that leaves the draft carries its organisation's facts (SPEC §8)."""
    for item in (*session.new, *session.dirty):
        if not isinstance(item, Application):
            continue
        if item.state == ApplicationState.DRAFT:
            if item.applicant_name is not None:
                item.thaw_facts()
        elif item.applicant_name is None:
            item.freeze_facts()


class Answer(db.Model):
    """The answer to one question; saved field by field as the applicant types."""

    __tablename__ = "answers"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    application: Mapped[Application] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class Attachment(db.Model):
    """An uploaded file, kept in the database so several app servers share it."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    application: Mapped[Application] = relationship(back_populates="attachments")


class Scoresheet(db.Model):
    """A juror's assignment to an application and their scoresheet for it (SPEC §6).

    The row exists from the moment of assignment; the juror first declares a conflict
    of interest or its absence, then scores while the sheet is a draft, then submits.

    ``conflict`` says whether the sheet counts (``none``) or the juror recused; the
    juror's own declaration in the system is ``declared_at``. A sheet entered from paper
    (``import-scores``) names who entered it and when (``entered_by_id``,
    ``entered_at``) and claims no declaration the juror did not make here.
    """

    __tablename__ = "scoresheets"
    __table_args__ = (
        UniqueConstraint("application_id", "juror_id"),
        CheckConstraint("state = 'draft' OR conflict = 'none'", name="submitted_without_conflict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    juror_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    conflict: Mapped[Conflict] = mapped_column(
        _enum(Conflict, "conflict"), default=Conflict.UNDECLARED
    )
    declaration: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[SheetState] = mapped_column(
        _enum(SheetState, "sheet_state"), default=SheetState.DRAFT
    )
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="scoresheets")
    juror: Mapped[User] = relationship(foreign_keys=[juror_id])
    scores: Mapped[list[Score]] = relationship(
        back_populates="scoresheet", cascade="all, delete-orphan"
    )


class Score(db.Model):
    """Points and a comment for one criterion on one scoresheet."""

    __tablename__ = "scores"
    __table_args__ = (CheckConstraint("points IS NULL OR points >= 0", name="points"),)

    scoresheet_id: Mapped[int] = mapped_column(
        ForeignKey("scoresheets.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    points: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    scoresheet: Mapped[Scoresheet] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class Decision(db.Model):
    """A decision of the commission recorded during deliberation (SPEC §6.6, §6.8, §12):
    a tie (``winner_ids``), a divergence (``application_id``), or an application funded
    partly (``application_id`` and ``amount``)."""

    __tablename__ = "decisions"
    __table_args__ = (CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    kind: Mapped[DecisionKind] = mapped_column(_enum(DecisionKind, "decision_kind"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    winner_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class ClarificationRequest(db.Model):
    """The organisers ask an applicant, during screening, to fix named answers or files
    by a deadline (SPEC §14; ``scoring.applications.clarifications``).

    ``question_ids`` are the questions that reopen; the applicant's unsent answers are
    kept in ``draft`` (question id → text) and ``ClarificationFile`` rows until they are
    sent: only then do they replace the application's answers and files, and
    ``previous`` keeps what those were (question id → {"text"} or {"file", "sha256"}).
    """

    __tablename__ = "clarification_requests"
    __table_args__ = (CheckConstraint("deadline > asked_at", name="deadline_after_asking"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text)
    question_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")  # the applicant's words with the answer
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    previous: Mapped[dict] = mapped_column(JSON, default=dict)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    files: Mapped[list[ClarificationFile]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ClarificationFile.id"
    )

    def is_open(self, moment: datetime) -> bool:
        """Unanswered and before its deadline: the named fields are open to the applicant."""
        return self.answered_at is None and moment < self.deadline


class ClarificationFile(db.Model):
    """A file uploaded in answer to a clarification request, kept apart until it is sent."""

    __tablename__ = "clarification_files"
    __table_args__ = (
        UniqueConstraint("request_id", "question_id"),
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("clarification_requests.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)

    request: Mapped[ClarificationRequest] = relationship(back_populates="files")


class Appeal(db.Model):
    """An applicant's appeal (скарга) against the published results, and the commission's
    answer (SPEC §14; ``scoring.results.appeals``). One per application."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    reason: Mapped[str] = mapped_column(Text)
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[AppealDecision | None] = mapped_column(
        _enum(AppealDecision, "appeal_decision")
    )
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The published results were reopened on this appeal's account (lifecycle).
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
class ProtocolVote(db.Model):
    """How the commission voted on one question of its meeting (SPEC §16)."""

    __tablename__ = "protocol_votes"
    __table_args__ = (
        CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND abstained >= 0", name="counts"),
    )

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[AgendaItem] = mapped_column(_enum(AgendaItem, "agenda_item"), primary_key=True)
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_against: Mapped[int] = mapped_column(Integer)
    abstained: Mapped[int] = mapped_column(Integer)
    # The votes for and against were equal and the chair's vote decided (SPEC §16).
    chair_decided: Mapped[bool] = mapped_column(Boolean, default=False)


class DiscussionNote(db.Model):
    """A short note of the commission's discussion of a divergent application before its
    decision (SPEC §6.6). The contest's organisers alone read it: never applicants,
    jurors or the public, and no export or document prints it."""

    __tablename__ = "discussion_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class PublicationNotice(db.Model):
    """One e-mail of a publication to an applicant about one application (SPEC §3, §14).

    The publication's transaction writes them all ``pending``; ``results.announcements``
    sends them in the background and marks each: ``sending`` (taken by one sender, so
    that no other sends it too), then ``sent`` or ``failed`` (with the server's answer).
    A later publication of the same contest (after a step back) has notices of its own.
    """

    __tablename__ = "publication_notices"
    __table_args__ = (
        UniqueConstraint(
            "contest_id",
            "published_at",
            "application_id",
            "user_id",
            name="uq_publication_notices_once",  # the conventional name passes 63 characters
        ),
        # The sender's next pending notice, and the page's counts by state.
        Index("ix_publication_notices_waiting", "contest_id", "published_at", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(300), default="")


class Invitation(db.Model):
    """An e-mailed link through which a juror or an organiser joins (only its hash is kept).

    An organiser may withdraw it (``withdrawn_at``) or send it again: the new invitation
    replaces this one (``replaced_by_id``), and only the newest link works.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(_enum(Role, "invitation_role"))
    contest_id: Mapped[int | None] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), index=True
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id"))

    contest: Mapped[Contest | None] = relationship()
    invited_by: Mapped[User | None] = relationship()


class ImportMapping(db.Model):
    """The columns an organiser chose for a contest's imports in the browser (SPEC §15):
    a file's heading, folded, → our column ("" for a column not imported), remembered so
    that the next file with the same headings is mapped alike."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("contest_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # applications, scores
    columns: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)


class UserSession(db.Model):
    """A signed-in browser (SPEC §8): its cookie holds a random token, this row its hash.

    Logging out, ending it on the account page, a new password elsewhere or the
    person's anonymisation deletes the row: the cookie stops working at once, wherever
    it was copied to. A session lasts ``PERMANENT_SESSION_LIFETIME`` from its start.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    device: Mapped[str] = mapped_column(String(200), default="")  # browser and system
    two_factor: Mapped[bool] = mapped_column(Boolean, default=False)  # signed in with a code
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that signs in instead of the TOTP app (only its hash is kept)."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """One entry of the append-only, hash-chained audit log (SPEC §8, §11).

    Database triggers refuse UPDATE and DELETE; the unique ``prev_hash`` forbids a fork.
    """

    __tablename__ = "audit_log"
    # The newest entry of a contest, and of an action, in one index step (pagecache.py).
    __table_args__ = (
        Index("ix_audit_log_contest_id_id", "contest_id", "id"),
        Index("ix_audit_log_action_id", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped[User | None] = relationship()
