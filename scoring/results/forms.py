"""Forms of deliberation: the commission's decisions, revocations, one more juror, and
the ranking page's filters."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import MAX_INTEGER, AppForm, MultiCheckboxField, WholeNumberField, choices, strip
from ..i18n import OBLASTS
from ..models import Contest
from .deliberation import SEARCH_MAX, RankingFilters
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
        oblasts = contest.oblasts or list(OBLASTS)
        self.oblast.choices = choices(
            [("", _l("All oblasts"))] + [(code, OBLASTS.get(code, code)) for code in oblasts]
        )
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
