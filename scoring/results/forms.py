"""Forms of deliberation (the commission's decisions, revocations, one more juror) and of
appeals (an applicant's appeal, the commission's answer)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import (
    MAX_INTEGER,
    AmountField,
    MultiCheckboxField,
    WholeNumberField,
    choices,
    strip,
)
from ..models import AppealDecision
from .appeals import ANSWER_MAX, REASON_MAX
from .discussion import MAX_NOTE
from .operations import MAX_REASON


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


class TieForm(FlaskForm):
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


class AwardForm(FlaskForm):
    """Funding one application partly from what is left of the fund (SPEC §12)."""

    amount = AmountField(
        _l("Amount awarded, hryvnias"),
        validators=[InputRequired(message=_l("Enter the amount the commission awards."))],
    )
    reason = _reason(
        _l("The commission’s reasons"),
        _l("How the commission decided (e.g. a vote, with its result) and why."),
    )


class DivergenceForm(FlaskForm):
    reason = _reason(
        _l("How the divergence was resolved"),
        _l(
            "E.g. a juror was added, a scoresheet was reopened and corrected, or the "
            "commission kept the scores, and why."
        ),
    )


class RevokeForm(FlaskForm):
    reason = _reason(_l("Why the decision is revoked"), None)


class AddJurorForm(FlaskForm):
    juror = WholeNumberField(validators=[InputRequired(), NumberRange(1, MAX_INTEGER)])  # an id


class AppealForm(FlaskForm):
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


class AppealAnswerForm(FlaskForm):
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


class NoteForm(FlaskForm):
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
