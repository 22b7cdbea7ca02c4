"""Forms of deliberation: the commission's decisions, revocations, one more juror."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..forms import MultiCheckboxField, strip
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
    juror = IntegerField(validators=[InputRequired(), NumberRange(1, 2**31 - 1)])  # an id
