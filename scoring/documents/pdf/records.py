"""The plain data each document is built from (SPEC §7).

Frozen dataclasses, no models: ``data.py`` fills them from the database in the
document's language (titles, labels and remarks already in that language), the
builders turn them into PDF bytes. Scores are ``Decimal`` already rounded for display
(two places, half up); moments are timezone-aware; oblasts are ISO codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Letterhead:
    """What every page shows: the contest, who issues the document, draft or final."""

    contest_title: str
    organising_body: str
    language: str  # "uk" or "en"
    draft: bool  # «ПРОЄКТ» on every page until the results are published
    generated_at: datetime


@dataclass(frozen=True)
class CriterionLine:
    code: str
    title: str
    max_points: Decimal
    weight: Decimal
    step: Decimal
    min_points: Decimal | None = None


@dataclass(frozen=True)
class Scoring:
    """The rules that decide the ranking, printed with it."""

    criteria: tuple[CriterionLine, ...]
    aggregation: str  # the method in words
    normalised: str  # "" without normalisation, else the method in words
    quorum: int
    min_total: Decimal
    max_winners_per_oblast: int | None
    divergence_threshold: Decimal  # a fraction of the maximum total
    max_total: Decimal
    # (fewest, most) jurors when the scores are sums of unequal numbers of totals
    unequal_jurors: tuple[int, int] | None = None


@dataclass(frozen=True)
class Placing:
    """A ranked application."""

    rank: int
    number: str
    organisation: str
    community: str
    oblast: str
    category: str  # the category's title; "" without categories
    score: Decimal
    jurors: int | None  # sheets that count; None where the document does not tell (public)
    winner: bool | None  # None: a tie awaiting the commission's decision
    note: str  # the engine's remarks in words
    winner_place: int | None = None  # the place among the winners (SPEC §16)
    requested: Decimal | None = None  # with a fund (SPEC §12): the amount asked for …
    awarded: Decimal | None = None  # … and the amount awarded (None: nothing)
    funded: bool = False  # the row's category (or the contest) has a fund
    own_score: Decimal | None = None  # rounds combined (SPEC §13): the round's own score


@dataclass(frozen=True)
class Rounds:
    """What the results of one round of several say of the rounds (SPEC §13), worded."""

    number: int  # this round's
    heading: str  # «Round 1 «Concepts»»
    summary: str  # the rounds named; who advances, or how the final score is formed
    advancing: bool  # a round follows: the winners advance
    winners: str  # «Advance to round 2 «…»», or «Winners» in the last round
    winner: str  # «Advances» or «Winner»
    combined: bool  # each row shows its round score beside the combined one
    score: str  # the combined score's column
    own_score: str  # the round score's column


@dataclass(frozen=True)
class FundLine:
    """A fund as the ranking spent it (SPEC §12)."""

    category: str  # the category's title; "" without categories
    fund: Decimal
    awarded: Decimal
    left: Decimal


@dataclass(frozen=True)
class AwardRecord:
    """The commission's decision to fund one application partly (SPEC §12)."""

    application: str  # "UUG-2026-004 Назва"
    requested: Decimal
    amount: Decimal
    reason: str
    decided_at: datetime


@dataclass(frozen=True)
class Unranked:
    """An admitted application with too few scoresheets."""

    number: str
    organisation: str
    reason: str


@dataclass(frozen=True)
class TieRecord:
    """A tie at the last winning places, decided by the commission or awaiting it."""

    rank: int
    category: str
    # "UUG-2026-004 (Назва)" of every tied application; empty when the document shows
    # only the winners and the tie is decided (the others are not published).
    applications: tuple[str, ...]
    winners: tuple[str, ...]  # the ones the commission named (empty while undecided)
    reason: str
    decided_at: datetime | None


@dataclass(frozen=True)
class Announcement:
    letterhead: Letterhead
    published_at: datetime | None
    placings: tuple[Placing, ...]
    not_ranked: tuple[Unranked, ...]
    full_ranking: bool  # the contest publishes the whole ranking, not only the winners
    scoring: Scoring
    ties: tuple[TieRecord, ...]
    results_url: str
    funds: tuple[FundLine, ...] = ()
    awards: tuple[AwardRecord, ...] = ()
    rounds: Rounds | None = None  # one round of several (SPEC §13)


@dataclass(frozen=True)
class Member:
    """A member of the jury, or someone no longer on it whose scoresheets still count
    (``former``: a column of the matrix, not a member of the meeting)."""

    name: str
    chair: bool = False
    position: str = ""
    present: bool | None = None  # at the meeting; None: not recorded
    former: bool = False


@dataclass(frozen=True)
class Vote:
    """How the commission voted on a question of the agenda."""

    votes_for: int
    against: int
    abstained: int
    chair_decided: bool = False  # equal votes, the chair's vote decided


@dataclass(frozen=True)
class Recusal:
    juror: str
    number: str
    organisation: str
    declaration: str
    declared_at: datetime | None  # None: entered from paper (``entered_at``)
    entered_at: datetime | None = None


@dataclass(frozen=True)
class Entered:
    """Sheets of one member entered from paper by one person on one day: the system
    holds no declaration of the member for them."""

    juror: str
    sheets: int
    by: str  # "" when entered on the command line without --entered-by
    on: datetime


# A matrix cell: a juror's total, or why there is none.
RECUSED, NOT_SUBMITTED, NOT_ASSIGNED = "recused", "not_submitted", "not_assigned"


@dataclass(frozen=True)
class MatrixRow:
    number: str
    organisation: str
    totals: tuple[Decimal | str, ...]  # per juror, in the order of Protocol.jurors
    score: Decimal | None  # None: not ranked
    divergent: bool


@dataclass(frozen=True)
class Divergence:
    number: str
    organisation: str
    spread: Decimal  # max(T) − min(T)
    resolutions: tuple[str, ...]  # the commission's recorded decisions


@dataclass(frozen=True)
class Protocol:
    """The protocol of the jury's meeting (SPEC §16); what the organisers have not entered
    yet («», None) is printed as a line to fill in by hand."""

    letterhead: Letterhead
    number: str
    place: str
    date: date | None  # the day of the meeting
    jurors: tuple[Member, ...]  # the jury, chair first, then former members; the matrix's columns
    secretary: str
    scoring: Scoring
    recusals: tuple[Recusal, ...]
    matrix: tuple[MatrixRow, ...]
    placings: tuple[Placing, ...]
    not_ranked: tuple[Unranked, ...]
    divergences: tuple[Divergence, ...]
    ties: tuple[TieRecord, ...]
    audit_entries: int
    audit_hash: str
    audit_broken_at: int | None  # the entry where the chain breaks, None when intact
    audit_last_entry: int = 0  # the newest entry's number: with its hash, the anchor
    audit_anchor_problem: str = ""  # what the anchor shows is wrong, "" when nothing
    every_member_signs: bool = False
    secretary_position: str = ""
    quorum_needed: int = 1  # members present for the meeting to decide
    agenda: tuple[tuple[str, str], ...] = ()  # (item, its wording), in order
    votes: dict[str, Vote] = field(default_factory=dict)  # by item; missing: no vote
    entered: tuple[Entered, ...] = ()
    funds: tuple[FundLine, ...] = ()
    awards: tuple[AwardRecord, ...] = ()
    rounds: Rounds | None = None  # one round of several (SPEC §13)


@dataclass(frozen=True)
class SheetLine:
    criterion: CriterionLine
    points: Decimal | None
    comment: str


@dataclass(frozen=True)
class Sheet:
    """One juror's scoresheet for one application (blank: nothing scored yet)."""

    number: str
    organisation: str  # "" in a blind contest when the juror prints it
    title: str
    juror: str
    juror_email: str
    lines: tuple[SheetLine, ...]
    total: Decimal  # Σ weight × points over the criteria scored
    overall_comment: str
    submitted_at: datetime | None
    declared_at: datetime | None  # when the juror declared no conflict of interest
    entered_at: datetime | None = None  # entered from paper (import-scores) …
    entered_by: str = ""  # … by this organiser ("" on the command line)


@dataclass(frozen=True)
class Scoresheets:
    letterhead: Letterhead
    sheets: tuple[Sheet, ...]
    blank: bool  # forms to fill in by hand and type back with import-scores
    columns: tuple[str, ...]  # the columns of the file import-scores reads
    max_total: Decimal  # Σ weight × max_points


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str  # the text, or the file's name for a file question


@dataclass(frozen=True)
class FileLine:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Receipt:
    letterhead: Letterhead
    number: str
    title: str
    submitted_at: datetime
    organisation: str
    kind: str  # community | ngo
    edrpou: str
    oblast: str
    community: str
    status: str  # active | relocated | occupied
    contact: str  # the contact person with e-mail and phone
    answers: tuple[AnswerLine, ...]
    files: tuple[FileLine, ...]
    requested: Decimal | None = None  # the amount asked for (SPEC §12)


@dataclass(frozen=True)
class Certificate:
    letterhead: Letterhead
    organisation: str
    community: str
    oblast: str
    place: int
    category: str
    date: date | datetime
    chair: str
    awarded: Decimal | None = None  # the grant awarded (SPEC §12)


@dataclass(frozen=True)
class Result:
    """An application's own result as its applicant reads it (SPEC §14)."""

    kind: str  # "winner", "ranked", "not_ranked" or "not_admitted"
    text: str  # the result in words: winner or not, the place, the score
    note: str  # the remarks of its row, in words ("" when none)
    awarded: Decimal | None = None  # SPEC §12


@dataclass(frozen=True)
class FeedbackLine:
    code: str
    title: str
    mean: Decimal | None  # the counted sheets' mean, rounded; None when none scored it
    max_points: Decimal
    comments: tuple[str, ...]  # without names, in no order of the jurors


@dataclass(frozen=True)
class Feedback:
    """The jury's feedback on one application, for its applicant (SPEC §14)."""

    letterhead: Letterhead
    number: str
    title: str
    organisation: str
    published_at: datetime | None
    result: Result | None
    lines: tuple[FeedbackLine, ...]
    overall: tuple[str, ...]
    with_comments: bool
    max_total: Decimal
    results_url: str


@dataclass(frozen=True)
class AppealRecord:
    number: str
    organisation: str
    filed_at: datetime
    reason: str
    answer_due: datetime
    decision: str  # "upheld", "rejected", or "" while it awaits the answer
    answer: str
    answered_at: datetime | None
    reopened_at: datetime | None  # the results were reopened on it


@dataclass(frozen=True)
class AppealsAddendum:
    """The appeals and the commission's answers: an addendum to the protocol (SPEC §14)."""

    letterhead: Letterhead
    protocol_number: str  # "" prints a line to fill in
    protocol_date: date | datetime | None
    published_at: datetime | None
    appeal_days: int
    appeals: tuple[AppealRecord, ...]
    chair: str
    secretary: str
