"""Forms of deliberation: the commission's decisions, revocations, one more juror, and
the ranking page's filters."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import (
    MAX_INTEGER,
    AmountField,
    AppForm,
    MultiCheckboxField,
    WholeNumberField,
    choices,
    strip,
)
from ..i18n import oblast_choices
from ..models import Contest
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
        self.show.choices = choices(SHOW_CHOICES)
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
