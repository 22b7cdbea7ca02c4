"""Forms of the applications list (filters, sent by GET), of screening decisions and of
requests for a clarification."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    Form,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from ..applications.clarifications import MESSAGE_MAX
from ..applications.operations import question_label
from ..forms import AppForm, MultiCheckboxField, choices, strip, ticked
from ..i18n import current_language, oblast_choices
from ..models import ApplicationState, Contest
from ..organisations import KIND_CHOICES
from .applications import LISTED, REASON_MAX, Filters
from .forms import _moment

SEARCH_MAX = 200
STATE_CHOICES = {
    ApplicationState.SUBMITTED: _l("Submitted, awaiting a decision"),
    ApplicationState.ADMITTED: _l("Admitted to evaluation"),
    ApplicationState.REJECTED: _l("Rejected"),
}


def _search_text(value):
    return strip(value)[:SEARCH_MAX] if isinstance(value, str) else value


def _category_title(category) -> str:
    return (category.title_en if current_language() == "en" else "") or category.title_uk


class FilterForm(Form):
    """The list's filters, read from the query string; the form works without JavaScript.

    A value that is not one of the options (a hand-edited address) filters nothing and
    is named beside its field.
    """

    q = StringField(
        _l("Number or organisation"),
        filters=[_search_text],
        render_kw={"type": "search", "maxlength": SEARCH_MAX},
    )
    state = SelectField(_l("State"), validate_choice=False)
    kind = SelectField(_l("Applicant"), validate_choice=False)
    oblast = SelectField(_l("Oblast"), validate_choice=False)
    category = SelectField(_l("Category"), validate_choice=False)

    def __init__(self, formdata, contest: Contest):
        super().__init__(formdata)
        self.state.choices = choices(
            [("", _l("All states"))] + [(s, STATE_CHOICES[s]) for s in LISTED]
        )
        self.kind.choices = choices([("", _l("All kinds"))]) + KIND_CHOICES
        eligible = oblast_choices()
        if contest.oblasts:
            eligible = [(code, name) for code, name in eligible if code in contest.oblasts]
        self.oblast.choices = choices([("", _l("All oblasts")), *eligible])
        self.category.choices = choices(
            [("", _l("All categories"))]
            + [(c.code, _category_title(c)) for c in contest.categories]
        )
        if not contest.categories:
            del self.category

    def filters(self) -> Filters:
        """The filters chosen, leaving out (and marking) values that are not options."""
        values = {}
        for name in ("state", "kind", "oblast", "category"):
            field = self._fields.get(name)
            value = (field.data or "") if field is not None else ""
            if value and value not in {c.value for c in field.choices}:
                field.errors = [_l("Choose one of the options.")]
                field.data = ""
                value = ""
            values[name] = value
        return Filters(search=self.q.data or "", **values)


class DecisionForm(AppForm):
    decision = RadioField(
        _l("Decision"),
        choices=choices(
            [
                (ApplicationState.ADMITTED, _l("Admit to evaluation")),
                (ApplicationState.REJECTED, _l("Reject")),
            ]
        ),
        validators=[InputRequired(message=_l("Choose one of the options."))],
        validate_choice=False,  # ``decide`` refuses anything else
    )
    reason = TextAreaField(
        _l("Reason or note"),
        validators=[
            Optional(),
            Length(max=REASON_MAX, message=_l("Use at most %(max)d characters.")),
        ],
        filters=[strip],
        render_kw={"rows": 4},
        description=_l(
            "Required to reject an application and to change a decision. The applicant reads "
            "it in the e-mail and on the application’s page."
        ),
    )

    def decision_state(self) -> ApplicationState | None:
        try:
            return ApplicationState(self.decision.data)
        except ValueError:
            return None


class ClarifyForm(AppForm):
    """What the applicant is asked to fix, which answers or files reopen, and by when."""

    message = TextAreaField(
        _l("What the applicant should fix or add"),
        validators=[Length(max=MESSAGE_MAX, message=_l("Use at most %(max)d characters."))],
        filters=[strip],
        render_kw={"rows": 5},
        description=_l("The applicant reads it word for word in the e-mail and on the page."),
    )
    questions = MultiCheckboxField(
        _l("Answers and files that reopen"),
        coerce=int,
        invalid_choice_message=_l("Choose from the options given."),
        description=_l("Only these can be changed; the rest of the application stays as it is."),
    )
    deadline = _moment(_l("Deadline of the answer"))

    def __init__(self, *args, contest: Contest, **kwargs):
        super().__init__(*args, **kwargs)
        language = current_language()
        self.questions.choices = [(q.id, question_label(q, language)) for q in contest.questions]
        self.deadline.description = _l(
            "Kyiv time. By default the end of the third working day (weekends skipped)."
        )


class BulkDecisionForm(DecisionForm):
    """One decision with one reason for the applications ticked in the list; the first
    POST shows what will happen, the second (``confirmed``) does it."""

    numbers = SelectMultipleField(_l("Applications"), validate_choice=False, validators=[ticked])
    confirmed = HiddenField()
