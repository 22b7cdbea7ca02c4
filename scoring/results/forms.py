"""Forms of deliberation (the commission's decisions, revocations, one more juror, the
record of the jury's meeting, the ranking page's filters) and of appeals (an applicant's
appeal, the commission's answer)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Form,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from .. import rounds
from ..forms import (
    MAX_INTEGER,
    AmountField,
    AppForm,
    MultiCheckboxField,
    WholeNumberField,
    choices,
    strip,
    stripped_text,
)
from ..i18n import oblast_choices
from ..models import AppealDecision, Contest
from .appeals import ANSWER_MAX, REASON_MAX
from .deliberation import SEARCH_MAX, RankingFilters
from .discussion import MAX_NOTE
from .operations import MAX_REASON
from .presentation import title

SHOW_CHOICES = (
    ("", _l("All ranked applications")),
    ("winners", _l("Winners and undecided places")),
    ("divergent", _l("Divergences")),
    ("flagged", _l("With a flag or a note")),
)


def _search_text(value):
    return strip(value)[:SEARCH_MAX] if isinstance(value, str) else value


class RankingFilterForm(Form):
    """Which rows of the ranking the page shows, from the query string (no JavaScript
    needed). A value that is not one of the options filters nothing and is named beside
    its field."""

    q = StringField(
        _l("Number or applicant"),
        filters=[_search_text],
        render_kw={"type": "search", "maxlength": SEARCH_MAX},
    )
    show = SelectField(_l("Show"), validate_choice=False)
    oblast = SelectField(_l("Oblast"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)

    def __init__(self, formdata, contest: Contest, language: str):
        super().__init__(formdata)
        shown = SHOW_CHOICES
        if rounds.advancing(contest):  # a round others follow: its winners advance
            shown = [
                (v, _l("Those who advance and undecided places") if v == "winners" else label)
                for v, label in SHOW_CHOICES
            ]
        self.show.choices = choices(shown)
        oblasts = oblast_choices()  # in the alphabetical order of the page's language
        if contest.oblasts:
            oblasts = [(code, name) for code, name in oblasts if code in contest.oblasts]
        self.oblast.choices = choices([("", _l("All oblasts"))] + oblasts)
        self.category.choices = choices(
            [("", _l("All categories"))]
            + [(c.code, title(c, language)) for c in contest.categories]
        )
        if not contest.categories:
            del self.category

    def filters(self) -> RankingFilters:
        """The filters chosen, leaving out (and marking) values that are not options."""
        values = {}
        for name in ("show", "oblast", "category"):
            field = self._fields.get(name)
            value = (field.data or "") if field is not None else ""
            if value and value not in {c.value for c in field.choices}:
                field.errors = [_l("Choose one of the options.")]
                field.data = ""
                value = ""
            values[name] = value
        return RankingFilters(search=self.q.data or "", **values)


def _reason(label, description):
    return TextAreaField(
        label,
        validators=[
            DataRequired(message=_l("Write down the reason: it goes into the protocol.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason is too long (at most %(max)d characters)."),
            ),
        ],
        filters=[strip],
        description=description,
        render_kw={"rows": 4},
    )


class TieForm(AppForm):
    """Which of the tied applications win; the choices are the tied rows."""

    winners = MultiCheckboxField(
        _l("Applications that win"),
        coerce=int,
        invalid_choice_message=_l("Choose among the tied applications."),
        invalid_value_message=_l("Choose among the tied applications."),
    )
    reason = _reason(
        _l("The commission’s reasons"),
        _l("How the commission decided (e.g. a vote, with its result) and why."),
    )


class AwardForm(AppForm):
    """Funding one application partly from what is left of the fund (SPEC §12)."""

    amount = AmountField(
        _l("Amount awarded, hryvnias"),
        validators=[InputRequired(message=_l("Enter the amount the commission awards."))],
    )
    reason = _reason(
        _l("The commission’s reasons"),
        _l("How the commission decided (e.g. a vote, with its result) and why."),
    )


class DivergenceForm(AppForm):
    reason = _reason(
        _l("How the divergence was resolved"),
        _l(
            "E.g. a juror was added, a scoresheet was reopened and corrected, or the "
            "commission kept the scores, and why."
        ),
    )


class RevokeForm(AppForm):
    reason = _reason(_l("Why the decision is revoked"), None)


class AddJurorForm(AppForm):
    juror = WholeNumberField(validators=[InputRequired(), NumberRange(1, MAX_INTEGER)])  # an id


class AppealForm(AppForm):
    reason = TextAreaField(
        _l("Why you appeal"),
        validators=[Length(max=REASON_MAX, message=_l("Use at most %(max)d characters."))],
        filters=[strip],
        description=_l(
            "What the decision got wrong, and what you ask the commission to do. One appeal "
            "per application: it cannot be changed once filed."
        ),
        render_kw={"rows": 8},
    )


class AppealAnswerForm(AppForm):
    decision = RadioField(
        _l("The commission’s decision"),
        choices=choices(
            [
                (AppealDecision.UPHELD, _l("Upheld: the results are reviewed")),
                (AppealDecision.REJECTED, _l("Rejected: the results stand")),
            ]
        ),
        validate_choice=False,  # ``answer_appeal`` refuses anything else
    )
    answer = TextAreaField(
        _l("The commission’s reasons"),
        validators=[Length(max=ANSWER_MAX, message=_l("Use at most %(max)d characters."))],
        filters=[strip],
        description=_l(
            "The applicant receives them by e-mail; the protocol’s addendum prints them."
        ),
        render_kw={"rows": 6},
    )

    def decision_value(self) -> AppealDecision | None:
        try:
            return AppealDecision(self.decision.data)
        except ValueError:
            return None


class NoteForm(AppForm):
    """A short note of the commission's discussion (organisers only, never published)."""

    text = TextAreaField(
        _l("Note of the discussion"),
        validators=[
            DataRequired(message=_l("Write the note first.")),
            Length(
                max=MAX_NOTE, message=_l("The note is too long (at most %(max)d characters).")
            ),
        ],
        filters=[strip],
        description=_l(
            "For the commission only: applicants, jurors and the public never see it, and "
            "it is printed in no document."
        ),
        render_kw={"rows": 3, "maxlength": MAX_NOTE},
    )


# The jury's meeting (``meeting``) -------------------------------------------------------

PRESENCE = (("", _l("not recorded")), ("yes", _l("present")), ("no", _l("absent")))
VOTE_PARTS = (("for", _l("for")), ("against", _l("against")), ("abstained", _l("abstained")))


def _line(label, max_length, description=None):
    return StringField(
        label,
        validators=[Optional(), Length(max=max_length, message=_l("At most %(max)d characters."))],
        filters=[stripped_text],
        description=description,
    )


class MeetingForm(AppForm):
    """The meeting's details; ``meeting_form`` adds a position and an attendance field
    per member and three vote fields per question of the agenda."""

    protocol_number = _line(
        _l("Number of the protocol"), 40, _l("As the secretary numbers it, e.g. 3 or 17/2026.")
    )
    protocol_date = DateField(
        _l("Date of the meeting"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d.%m.%Y"],
        invalid_value_message=_l("Enter the date of the meeting, e.g. 15.09.2026."),
        description=_l("The protocol is dated the day of the meeting, not the day it is printed."),
    )
    protocol_place = _line(
        _l("Place of the meeting"),
        200,
        _l("E.g. «м. Харків, вул. Сумська, 64, зала засідань» or «онлайн (Zoom)»."),
    )
    protocol_secretary = _line(
        _l("Secretary of the commission"),
        200,
        _l("Full name. Left empty, the protocol names the organiser who downloads it."),
    )
    protocol_secretary_position = _line(_l("Position of the secretary"), 300)


def meeting_form(members, agenda, **kwargs) -> MeetingForm:
    """The form for these ``members`` ((JuryMember, User) pairs) and questions
    (``agenda``: (item, its wording) pairs)."""

    class Form(MeetingForm):
        pass

    for _member, user in members:
        # labels with a name are str, not lazy strings: Jinja takes a lazy string as
        # markup and would not escape the name in it
        setattr(
            Form,
            f"position_{user.id}",
            _line(_("%(name)s: position", name=user.name), 300),
        )
        setattr(
            Form,
            f"present_{user.id}",
            SelectField(
                _("%(name)s: at the meeting", name=user.name),
                choices=choices(PRESENCE),
                default="",
                validate_choice=False,  # AnyOf says it in our words
                validators=[
                    AnyOf(
                        [value for value, _label in PRESENCE],
                        message=_l("Choose present, absent or not recorded."),
                    )
                ],
            ),
        )
    for number, (item, _wording) in enumerate(agenda, start=1):
        setattr(
            Form,
            f"{item.value}_chair_decided",
            BooleanField(_l("Question %(n)s: the chair’s vote decided", n=number)),
        )
        for part, label in VOTE_PARTS:
            setattr(
                Form,
                f"{item.value}_{part}",
                WholeNumberField(
                    _l("Question %(n)s: %(part)s", n=number, part=label),
                    validators=[
                        Optional(),
                        NumberRange(0, 1000, message=_l("Enter a whole number from 0 to 1000.")),
                    ],
                    invalid_value_message=_l("Enter a whole number of votes, e.g. 5."),
                    render_kw={"inputmode": "numeric", "min": 0, "max": 1000},
                ),
            )
    return Form(**kwargs)
