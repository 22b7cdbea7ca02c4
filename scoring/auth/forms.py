"""Forms of the accounts pages; every message is in gettext and shown beside its field."""


from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from ..forms import AppForm, choices, email_field, required, strip
from ..i18n import LANGUAGE_NAMES
from ..models import Role
from ..organisations import OrganisationFields
from .operations import MIN_PASSWORD


def new_password_fields(label=None):
    password = PasswordField(
        label or _l("Password"),
        validators=[
            required(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("The password must have from %(min)d to %(max)d characters."),
            ),
        ],
        description=_l(
            "At least %(n)s characters. A phrase of several words is easy to remember.",
            n=MIN_PASSWORD,
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[required(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(AppForm):
    email = email_field()
    password = PasswordField(
        _l("Password"), validators=[required()], render_kw={"autocomplete": "current-password"}
    )


class ResetRequestForm(AppForm):
    email = email_field()


class ResetPasswordForm(AppForm):
    password, password_confirm = new_password_fields()


class InvitationForm(AppForm):
    email = email_field()
    name = StringField(_l("Name"), validators=[required(), Length(max=200)], filters=[strip])
    role = RadioField(
        _l("Role"),
        choices=choices([(Role.JUROR, _l("Juror")), (Role.ORGANISER, _l("Organiser"))]),
        default=Role.JUROR.value,
        validators=[InputRequired(message=_l("Choose one of the options."))],
    )
    contest = SelectField(_l("Contest"), coerce=str, validate_choice=True)


class AcceptInvitationForm(AppForm):
    name = StringField(
        _l("Your name"),
        validators=[required(), Length(max=200)],
        filters=[strip],
        render_kw={"autocomplete": "name"},
    )
    password, password_confirm = new_password_fields()


class AccountForm(AppForm):
    name = StringField(_l("Name"), validators=[required(), Length(max=200)], filters=[strip])
    language = SelectField(
        _l("Language of pages and e-mails"), choices=choices(LANGUAGE_NAMES.items())
    )


class PasswordChangeForm(AppForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[required()],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = new_password_fields(_l("New password"))


class LanguageForm(AppForm):
    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class RegistrationForm(OrganisationFields):
    """/register: the organisation, then its contact person's account."""

    password, password_confirm = new_password_fields()
    consent = BooleanField(
        _l(
            "I consent to the processing of the personal data given here for the purpose of "
            "taking part in contests."
        ),
        validators=[DataRequired(message=_l("Without this consent we cannot register you."))],
    )
