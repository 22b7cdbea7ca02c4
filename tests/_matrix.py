"""The authorisation matrix's scenario: one contest seen by every role (not a test module).

Contest A («Матриця доступу») is in the judging stage with two criteria, two questions
and three admitted applications. The owner's application (``number``) has an answer and
a PDF attachment; juror ``juror`` has declared no conflict on it and scored it with a
comment, ``juror_recused`` recused themself from it with a declaration, and
``juror_free`` is on the jury but assigned only to the second application. Contest B
(open) belongs to ``organiser2``; the owner has a draft application in it.

Contest A also has results (SPEC §6): two more jurors, who are none of the roles (one of
them named ``OTHER_JUROR``), have
submitted sheets, so that the owner's application (001) and the third one (003) tie at
the first and only winning place, the second (002) comes third and the fourth (004) is
not ranked (one sheet of the two the quorum asks for). The commission
decided the tie for the owner's application; two divergences were resolved (on 001 and
002). The tests move contest A through every stage (``STAGES``) with these results in
the database, whatever the stage.

After the decision (SPEC §14): contest A gives feedback with the jurors' comments and
takes appeals for 14 days. The owner has filed an appeal (``APPEAL``), not yet
answered, and answered a request for a clarification (``CLARIFICATION``) during
screening. Once published, the owner reads the comments on their own application
(``OTHER_COMMENT``, without its author's name), never those on another's
(``THIRD_COMMENT``).

Everything a response must not show is a distinctive marker string: ``MARKERS`` for
contest A in judging, ``markers(stage)`` for each stage, with the roles that may see
each. A marker is a string or a tuple of the ways it is written (``17,63`` in Ukrainian,
``17.63`` in English and in JSON).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from hashlib import sha256

from werkzeug.security import generate_password_hash

from scoring import clock, edrpou
from scoring.auth import operations as accounts
from scoring.extensions import db
from scoring.models import (
    Answer,
    Appeal,
    Application,
    ApplicationState,
    Attachment,
    ClarificationRequest,
    Conflict,
    Contest,
    Criterion,
    Decision,
    DecisionKind,
    DiscussionNote,
    Feedback,
    Invitation,
    JuryMember,
    Organisation,
    OrganisationKind,
    Question,
    QuestionKind,
    Role,
    Score,
    Scoresheet,
    SheetState,
    Stage,
    User,
)

from . import _files
from ._meeting import record_meeting
from ._office_files import kept_upload
from .conftest import PASSWORD

ANONYMOUS = "anonymous"
OWNER = "applicant"
OTHER_APPLICANT = "other_applicant"
JUROR = "juror_assigned"
JUROR_FREE = "juror_not_assigned"
JUROR_RECUSED = "juror_recused"
ORGANISER = "organiser"
OTHER_ORGANISER = "organiser_of_another_contest"
ROLES = [
    ANONYMOUS,
    OWNER,
    OTHER_APPLICANT,
    JUROR,
    JUROR_FREE,
    JUROR_RECUSED,
    ORGANISER,
    OTHER_ORGANISER,
]
EMAILS = {
    OWNER: "owner-7q@marker.example",
    OTHER_APPLICANT: "neighbour@applicant.example",
    JUROR: "juror@jury.example",
    JUROR_FREE: "free-juror@jury.example",
    JUROR_RECUSED: "recused-juror@jury.example",
    ORGANISER: "secretary@hub.example",
    OTHER_ORGANISER: "other-secretary@hub.example",
}

TITLE = "Маркер-Назва-Заявки-7Q"
ORGANISATION = "ГО Маркер-Організація-7Q"
CONTACT = "Контакт Маркер-Особа-7Q"
PHONE = "+380671117777"
ANSWER = "Маркер-Відповідь-7Q"
FILENAME = "Маркер-Статут-7Q.pdf"
COMMENT = "Маркер-Коментар-Журі-7Q"
OVERALL = "Маркер-Загальний-Висновок-7Q"
DECLARATION = "Маркер-Декларація-Конфлікту-7Q"
DRAFT_TITLE = "Маркер-Чернетка-7Q"
DRAFT_ANSWER = "Маркер-Відповідь-Чернетки-7Q"
DECISION = "Маркер-Рішення-Комісії-7Q"
UPLOADED = "Маркер-Файл-Імпорту-7Q"
UPLOAD_TOKEN = "MatrixUpload7qAAAAAAAAAA"
NOTE = "Маркер-Нотатка-Обговорення-7Q"
# The results (see the module's docstring).
THIRD = "ГО Маркер-Третє-Місце-7Q"  # 002: third, not a winner
TIED_OUT = "ГО Маркер-Нічия-Без-Перемоги-7Q"  # 003: tied with 001 for the winning place
UNRANKED = "ГО Маркер-Без-Кворуму-7Q"  # 004: one sheet of the two the quorum asks for
OTHER_COMMENT = "Маркер-Коментар-Іншого-Експерта-7Q"  # a juror who is none of the roles
THIRD_COMMENT = "Маркер-Коментар-Третьої-Заявки-7Q"  # the same juror's, on 003
OTHER_JUROR = "Марко Маркер-Експерт-7Q"  # that juror's name: no applicant ever sees it
OTHER_JUROR_EMAIL = "marko@jury.example"  # … but their own e-mails greet them by it
APPEAL = "Маркер-Скарга-Заявника-7Q"  # the owner's appeal
CLARIFICATION = "Маркер-Уточнення-7Q"  # what the organisers asked the owner to clarify
OWN_DIVERGENCE = "Маркер-Розбіжність-Заявника-7Q"  # the resolution of a divergence on 001
TIE_REASON = "Маркер-Нічию-Вирішено-7Q"  # the commission's decision for 001
SCORE_TIED = ("17,63", "17.63")  # the score of 001 and 003: (20.125 + 15.125) / 2
SCORE_THIRD = ("12,31", "12.31")  # the score of 002: (16 + 8.625) / 2
TOTAL_OTHER = ("20,13", "20.13")  # another juror's total on 001 and 003
# The note on the tied rows: the commission decided the tie (Ukrainian, English).
TIE_NOTE = ("рівність балів вирішено рішенням комісії", "the tie is decided by the commission")

_CONTENT = {OWNER, JUROR, ORGANISER}
MARKERS: dict[str, set[str]] = {
    # Who applied with what title: what a juror sees to declare a conflict, so the
    # recused juror's own list still names it (it never opens again, SPEC §6).
    TITLE: _CONTENT | {JUROR_RECUSED},
    ORGANISATION: _CONTENT | {JUROR_RECUSED},
    # The application's content: its applicant, its organisers, its juror (SPEC §9).
    ANSWER: _CONTENT,
    FILENAME: _CONTENT,
    # Personal data of the applicant's contact person: jurors judge, they do not call.
    EMAILS[OWNER]: {OWNER, ORGANISER},
    CONTACT: {OWNER, ORGANISER},
    PHONE: {OWNER, ORGANISER},
    # A juror's scoring is theirs and the organisers' (SPEC §6: never other jurors').
    COMMENT: {JUROR, ORGANISER},
    OVERALL: {JUROR, ORGANISER},
    DECLARATION: {JUROR_RECUSED, ORGANISER},
    # A draft is its organisation's alone.
    DRAFT_TITLE: {OWNER},
    DRAFT_ANSWER: {OWNER},
    DECISION: {ORGANISER},
    # A file uploaded for an import is its uploader's alone, even before its other
    # organisers (SPEC §15).
    UPLOADED: {ORGANISER},
    # After the decision: the appeal and the clarification are the owner's and the
    # organisers' (SPEC §14).
    APPEAL: {OWNER, ORGANISER},
    CLARIFICATION: {OWNER, ORGANISER},
    # The commission's discussion notes: its organisers alone (issue 16).
    NOTE: {ORGANISER},
}

# Contest A's stages; the published ones once with the full ranking, once winners only.
STAGES: dict[str, tuple[Stage, bool]] = {
    "draft": (Stage.DRAFT, True),
    "open": (Stage.OPEN, True),
    "screening": (Stage.SCREENING, True),
    "judging": (Stage.JUDGING, True),
    "deliberation": (Stage.DELIBERATION, True),
    "published": (Stage.PUBLISHED, True),
    "published_winners_only": (Stage.PUBLISHED, False),
    "archived": (Stage.ARCHIVED, True),
    "archived_winners_only": (Stage.ARCHIVED, False),
}


def published(stage: str) -> bool:
    return STAGES[stage][0] in (Stage.PUBLISHED, Stage.ARCHIVED)


def markers(stage: str) -> dict:
    """Who may see each marker with contest A in ``stage`` (SPEC §6, §8).

    Nothing about the results reaches anyone but the contest's organisers before
    publication: not the scores, the place, the commission's decisions and reasons,
    nor another juror's comments. Once published, everyone sees what the public results
    page shows: the winner (the owner's application) with its score, place and the
    tie decision, and, when the full ranking is published, every ranked application.
    The resolutions of divergences and the jurors' own totals stay with the organisers;
    the comments on the owner's application reach the owner as feedback once published,
    without the name of the juror who wrote them (SPEC §14).
    """
    everyone = set(ROLES) if published(stage) else set()
    full = everyone if STAGES[stage][1] else set()
    seen = dict(MARKERS)
    seen[ORGANISATION] = MARKERS[ORGANISATION] | everyone
    seen |= {
        THIRD: {JUROR, JUROR_FREE, ORGANISER} | full,  # assigned to both of them
        TIED_OUT: {ORGANISER} | full,
        UNRANKED: {ORGANISER} | full,
        SCORE_TIED: {ORGANISER} | everyone,
        SCORE_THIRD: {ORGANISER} | full,
        TIE_NOTE: {ORGANISER} | everyone,
        TIE_REASON: {ORGANISER} | everyone,
        TOTAL_OTHER: {ORGANISER},
        OTHER_COMMENT: {ORGANISER} | ({OWNER} if published(stage) else set()),
        THIRD_COMMENT: {ORGANISER},
        OTHER_JUROR: {ORGANISER},
        OWN_DIVERGENCE: {ORGANISER},
    }
    return seen


PDF = _files.pdf()  # a real one: a blind contest's jurors get it stripped of metadata
INVITATION_TOKEN = "matrix-invitation-token-7q-000000000000"
_HASH = generate_password_hash(PASSWORD)  # once: every account shares it


@dataclass
class Scenario:
    slug: str = "matrytsia-dostupu"
    other_slug: str = "inshyi-konkurs"
    number: str = "MTX-2026-001"
    second_number: str = "MTX-2026-002"
    users: dict[str, int] = field(default_factory=dict)
    co_organiser: int = 0
    bystander: int = 0
    contest: int = 0
    other_contest: int = 0
    application: int = 0
    draft: int = 0
    attachment: int = 0
    criterion: int = 0
    question: int = 0
    organisation: int = 0
    sheet: int = 0  # the juror's submitted sheet on the second application
    decision: int = 0
    reset_token: str = ""
    other_criterion: int = 0
    other_question: int = 0
    upload: str = UPLOAD_TOKEN  # the organiser's file uploaded for an import, checked
    other_session: int = 0  # the owner's second sign-in (another browser), made by the tests
    invitation: int = 0  # to contest A's jury, not yet accepted (``INVITATION_TOKEN``)


def _user(role: Role, email: str, name: str, organisation=None) -> User:
    user = User(email=email, name=name, role=role, password_hash=_HASH)
    user.organisation = organisation
    db.session.add(user)
    return user


def _organisation(name: str, serial: int, **fields) -> Organisation:
    return Organisation(
        kind=OrganisationKind.NGO,
        name=name,
        edrpou=edrpou.complete(f"{7700000 + serial:07d}"),
        oblast="UA-63",
        community="Харківська міська громада",
        contact_person=fields.pop("contact_person", f"Особа {serial}"),
        email=fields.pop("email", f"org{serial}@applicant.example"),
        phone=fields.pop("phone", f"+3805000000{serial:02d}"),
        **fields,
    )


def _criteria() -> list[Criterion]:
    half = Decimal("0.5")
    return [
        Criterion(
            code="C1", title_uk="Актуальність", max_points=Decimal(10), step=half, position=0
        ),
        Criterion(
            code="C2",
            title_uk="Залучення мешканців",
            max_points=Decimal(10),
            weight=Decimal("1.25"),
            step=half,
            position=1,
        ),
    ]


def _submitted(application, juror, points: dict, now) -> Scoresheet:
    """A juror's submitted sheet: ``points`` maps a criterion to (points, comment)."""
    return Scoresheet(
        application=application,
        juror=juror,
        conflict=Conflict.NONE,
        declared_at=now - timedelta(days=4),
        state=SheetState.SUBMITTED,
        submitted_at=now - timedelta(days=3),
        scores=[
            Score(criterion=c, points=Decimal(value), comment=comment)
            for c, (value, comment) in points.items()
        ],
    )


def _questions() -> list[Question]:
    return [
        Question(key="summary", label_uk="Короткий опис", kind=QuestionKind.TEXTAREA, position=0),
        Question(key="statute", label_uk="Статут", kind=QuestionKind.FILE, position=1),
    ]


def build_scenario(app) -> Scenario:
    """Insert the scenario into the app's (empty) database; the same ids on every run."""
    s = Scenario()
    now = clock.now()
    with app.app_context():
        own = _organisation(
            ORGANISATION, 1, contact_person=CONTACT, email=EMAILS[OWNER], phone=PHONE
        )
        neighbour = _organisation("ГО Сусідня", 2)
        second = _organisation(THIRD, 3)
        third = _organisation(TIED_OUT, 4)
        fourth = _organisation(UNRANKED, 5)
        users = {
            OWNER: _user(Role.APPLICANT, EMAILS[OWNER], CONTACT, own),
            OTHER_APPLICANT: _user(Role.APPLICANT, EMAILS[OTHER_APPLICANT], "Сусід", neighbour),
            JUROR: _user(Role.JUROR, EMAILS[JUROR], "Олена Експертка"),
            JUROR_FREE: _user(Role.JUROR, EMAILS[JUROR_FREE], "Петро Вільний"),
            JUROR_RECUSED: _user(Role.JUROR, EMAILS[JUROR_RECUSED], "Ірина Самовідвід"),
            ORGANISER: _user(Role.ORGANISER, EMAILS[ORGANISER], "Секретарка Комісії"),
            OTHER_ORGANISER: _user(Role.ORGANISER, EMAILS[OTHER_ORGANISER], "Чужий Секретар"),
        }
        co_organiser = _user(Role.ORGANISER, "co-secretary@hub.example", "Співорганізатор")
        other_jurors = [
            _user(Role.JUROR, OTHER_JUROR_EMAIL, OTHER_JUROR),
            _user(Role.JUROR, "yana@jury.example", "Яна Інша"),
        ]
        bystander = _user(Role.APPLICANT, "bystander@applicant.example", "Сторонній")
        contest = Contest(
            slug=s.slug,
            title_uk="Матриця доступу",
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=10),
            number_prefix="MTX",
            applicant_kinds=["community", "ngo"],
            stage=Stage.JUDGING,
            winners=1,
            feedback=Feedback.COMMENTS,
            appeal_days=14,
            organisers=[users[ORGANISER], co_organiser],
            criteria=_criteria(),
            questions=_questions(),
            jury=[JuryMember(user=users[r]) for r in (JUROR, JUROR_FREE, JUROR_RECUSED)]
            + [JuryMember(user=u, is_chair=u is other_jurors[1]) for u in other_jurors],
        )
        other = Contest(
            slug=s.other_slug,
            title_uk="Інший конкурс",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=30),
            number_prefix="OTH",
            applicant_kinds=["community", "ngo"],
            stage=Stage.OPEN,
            organisers=[users[OTHER_ORGANISER]],
            criteria=_criteria(),
            questions=_questions(),
        )
        db.session.add_all([contest, other])
        db.session.flush()
        # A chair and the meeting's record: the contest may be published (SPEC §16).
        record_meeting(contest, day=(now - timedelta(days=2)).date())
        summary, statute = contest.questions
        c1, c2 = contest.criteria

        def admitted(organisation, serial, title):
            application = Application(
                contest=contest,
                organisation=organisation,
                state=ApplicationState.ADMITTED,
                serial=serial,
                number=f"MTX-2026-{serial:03d}",
                title=title,
                submitted_at=now - timedelta(days=12),
                decided_at=now - timedelta(days=5),
            )
            db.session.add(application)
            return application

        application = admitted(own, 1, TITLE)
        application.answers = [Answer(question=summary, value=ANSWER)]
        application.attachments = [
            Attachment(
                question_id=statute.id,
                filename=FILENAME,
                content_type="application/pdf",
                size=len(PDF),
                sha256=sha256(PDF).hexdigest(),
                content=PDF,
            )
        ]
        second_application = admitted(second, 2, "Друга заявка")
        third_application = admitted(third, 3, "Третя заявка")
        unranked = admitted(fourth, 4, "Четверта заявка")
        contest.last_number = 4
        draft = Application(contest=other, organisation=own, title=DRAFT_TITLE)
        draft.answers = [Answer(question=other.questions[0], value=DRAFT_ANSWER)]
        db.session.add(draft)

        declared = now - timedelta(days=4)
        db.session.add_all(
            [
                Scoresheet(
                    application=application,
                    juror_id=users[JUROR].id,
                    conflict=Conflict.NONE,
                    declared_at=declared,
                    overall_comment=OVERALL,
                    scores=[Score(criterion=c1, points=Decimal(7), comment=COMMENT)],
                ),
                Scoresheet(
                    application=application,
                    juror_id=users[JUROR_RECUSED].id,
                    conflict=Conflict.RECUSED,
                    declared_at=declared,
                    declaration=DECLARATION,
                ),
                Scoresheet(
                    application=second_application,
                    juror_id=users[JUROR_FREE].id,
                    conflict=Conflict.NONE,
                    declared_at=declared,
                ),
            ]
        )
        submitted = Scoresheet(
            application=second_application,
            juror_id=users[JUROR].id,
            conflict=Conflict.NONE,
            declared_at=declared,
            state=SheetState.SUBMITTED,
            submitted_at=now - timedelta(days=2),
            scores=[
                Score(criterion=c1, points=Decimal(6)),
                Score(criterion=c2, points=Decimal(8)),
            ],
        )
        db.session.add(submitted)
        # The other jurors' sheets: 001 and 003 tie; 002 is divergent (16 and 8.625).
        x, y = other_jurors
        for tied, comment in ((application, OTHER_COMMENT), (third_application, THIRD_COMMENT)):
            db.session.add_all(
                [
                    _submitted(tied, x, {c1: ("9.5", comment), c2: ("8.5", "")}, now),
                    _submitted(tied, y, {c1: ("7", ""), c2: ("6.5", "")}, now),
                ]
            )
        db.session.add(_submitted(second_application, x, {c1: ("5.5", ""), c2: ("2.5", "")}, now))
        db.session.add(_submitted(unranked, y, {c1: ("3", ""), c2: ("4", "")}, now))
        db.session.flush()
        db.session.add_all(
            [
                Decision(
                    contest_id=contest.id,
                    kind=DecisionKind.TIE,
                    winner_ids=[application.id],
                    reason=TIE_REASON,
                    decided_by_id=users[ORGANISER].id,
                ),
                Decision(
                    contest_id=contest.id,
                    kind=DecisionKind.DIVERGENCE,
                    application_id=application.id,
                    reason=OWN_DIVERGENCE,
                    decided_by_id=users[ORGANISER].id,
                ),
            ]
        )
        decision = Decision(
            contest_id=contest.id,
            kind=DecisionKind.DIVERGENCE,
            application_id=second_application.id,
            reason=DECISION,
            decided_by_id=users[ORGANISER].id,
        )
        db.session.add(decision)
        db.session.add_all(
            [
                Appeal(
                    contest_id=contest.id,
                    application_id=application.id,
                    filed_by_id=users[OWNER].id,
                    filed_at=now - timedelta(days=1),
                    reason=APPEAL,
                    answer_due=now + timedelta(days=6),
                    answer="",
                ),
                ClarificationRequest(
                    application_id=application.id,
                    asked_by_id=users[ORGANISER].id,
                    asked_at=now - timedelta(days=9),
                    deadline=now - timedelta(days=6),
                    message=CLARIFICATION,
                    question_ids=[summary.id],
                    draft={str(summary.id): ANSWER},
                    answered_at=now - timedelta(days=7),
                    answered_by_id=users[OWNER].id,
                    previous={str(summary.id): {"text": ""}},
                ),
            ]
        )
        db.session.add(
            DiscussionNote(
                contest_id=contest.id,
                application_id=second_application.id,
                text=NOTE,
                author_id=users[ORGANISER].id,
            )
        )
        invitation = Invitation(
            token_hash=accounts._token_hash(INVITATION_TOKEN),
            email="invitee@jury.example",
            name="Запрошена Експертка",
            role=Role.JUROR,
            contest=contest,
            invited_by=users[ORGANISER],
            expires_at=now + timedelta(days=7),
        )
        db.session.add(invitation)
        db.session.commit()

        s.users = {role: user.id for role, user in users.items()}
        s.co_organiser, s.bystander = co_organiser.id, bystander.id
        s.contest, s.other_contest = contest.id, other.id
        s.application, s.draft = application.id, draft.id
        s.attachment = application.attachments[0].id
        s.criterion, s.question = c1.id, summary.id
        s.other_criterion, s.other_question = other.criteria[0].id, other.questions[0].id
        s.organisation = own.id
        s.sheet, s.decision = submitted.id, decision.id
        s.reset_token = accounts.reset_token(bystander)
        s.invitation = invitation.id
    store_upload(app, s)
    return s


def store_upload(app, s: Scenario) -> None:
    """The organiser's file of one application for contest A, uploaded and checked."""
    data = (
        "number,organisation,kind,edrpou,oblast,community,email,title\n"
        f",ГО Імпортована,ngo,{edrpou.complete('7700099')},UA-63,Харківська міська громада,"
        f"imported@applicant.example,{UPLOADED}\n"
    ).encode()
    organiser = s.users[ORGANISER]
    kept_upload(app, organiser, s.contest, "applications", data, token=s.upload, checked=True)
