"""Forms of the judging pages: the jurors' conflict declarations, scoresheet and
submission, and the organisers' juror by e-mail and reopening of a sheet.

The scoresheet's points and comments are checked by ``operations.save_scores`` (the
same rules for the form and for the background saves); these forms carry the values
and the CSRF token.
"""

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from ..forms import AppForm, PersonForm, strip, ticked
from ..i18n import input_number
from ..models import Criterion, Score
from .jury import MAX_REASON
from .operations import MAX_DECLARATION


class NoConflictForm(AppForm):
    """“I have no conflict of interest with this applicant”: the button is the statement."""


class RecusalForm(AppForm):
    declaration = TextAreaField(
        _l("Declaration of the conflict of interest"),
        validators=[
            DataRequired(message=_l("Describe the conflict of interest in a few words.")),
            Length(
                max=MAX_DECLARATION,
                message=_l("The declaration is too long (at most %(max)d characters)."),
            ),
        ],
        filters=[strip],
        description=_l(
            "A sentence or two: what connects you with the applicant. The declaration goes "
            "into the protocol of the jury."
        ),
        render_kw={"rows": 3, "maxlength": MAX_DECLARATION},
    )


class SubmitForm(AppForm):
    """The confirmation that submits a complete scoresheet."""


class ScoresheetForm(AppForm):
    """The scoresheet without JavaScript; ``scoresheet_form`` adds two fields per criterion."""

    overall_comment = TextAreaField(_l("Overall comment"), filters=[strip])
    save = SubmitField(_l("Save"))
    review = SubmitField(_l("Submit the scoresheet…"))


def scoresheet_form(
    criteria: list[Criterion], scores: dict[int, Score], overall_comment: str
) -> ScoresheetForm:
    """The form for ``criteria``: ``points_<id>`` and ``comment_<id>`` for each."""

    class Form(ScoresheetForm):
        pass

    data = {"overall_comment": overall_comment}
    for criterion in criteria:
        setattr(Form, f"points_{criterion.id}", StringField(_l("Points")))
        setattr(Form, f"comment_{criterion.id}", TextAreaField(_l("Comment"), filters=[strip]))
        score = scores.get(criterion.id)
        data[f"points_{criterion.id}"] = input_number(score.points) if score else ""
        data[f"comment_{criterion.id}"] = score.comment if score else ""
    return Form(data=data)


class JurorForm(PersonForm):
    """The juror's e-mail and, for an invitation, a name to greet them with."""


class ReopenForm(AppForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason for reopening the scoresheet.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason is too long (at most %(max)d characters)."),
            ),
        ],
        filters=[strip],
        description=_l(
            "Why the scoresheet needs another look, for example a divergence the commission "
            "discussed. It is written into the audit log."
        ),
        render_kw={"rows": 3, "maxlength": MAX_REASON},
    )


class BulkAssignForm(AppForm):
    """One juror for the applications ticked in the matrix; the first POST shows what
    will happen, the second (``confirmed``) assigns. The view sets the juror's choices."""

    numbers = SelectMultipleField(_l("Applications"), validate_choice=False, validators=[ticked])
    juror = SelectField(
        _l("Juror"),
        validators=[InputRequired(message=_l("Choose a member of the jury."))],
        validate_choice=False,  # a juror who is not a member is refused by name
    )
    confirmed = HiddenField()
