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
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, ValidationError

from ..forms import AppForm, choices, email_field, required, strip
from ..i18n import LANGUAGE_NAMES
from ..models import Role
from ..organisations import OrganisationFields, PlaceFields
from . import passwords
from .passwords import MIN_PASSWORD


def strong_password(form, field):
    """Long enough and not easy to guess (``passwords.weakness``), told beside the field.

    What the site knows of the person counts as easy to guess: the e-mail and names
    typed in the same form, and ``form.known_inputs`` that a view sets (the signed-in
    person's or the reset account's e-mail and name).
    """
    if field.data:
        known = [*getattr(form, "known_inputs", ())]
        known += [form[name].data for name in ("email", "name", "contact_person") if name in form]
        if "organisation_name" in form:
            known.append(form["organisation_name"].data)
        problem = passwords.weakness(field.data, known, label=field.label.text)
        if problem:
            raise ValidationError(problem)


def new_password_fields(label=None):
    password = PasswordField(
        label or _l("Password"),
        validators=[required(), strong_password],
        description=_l(
            "At least %(n)s characters, and not a common or leaked password. A phrase of "
            "several words is easy to remember.",
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


class JurorAccountForm(AccountForm, PlaceFields):
    """A juror's account: also where they live and work, for conflicts of interest."""


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


class TwoFactorSetupForm(AppForm):
    code = StringField(
        _l("Code from the app"),
        validators=[required(), Length(max=20)],
        filters=[strip],
        description=_l("Six digits; the app shows a new one every 30 seconds."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 20},
    )
    password = PasswordField(
        _l("Your password"),
        validators=[required()],
        description=_l("A change to how you sign in is confirmed with the password."),
        render_kw={"autocomplete": "current-password"},
    )


class SignInCodeForm(AppForm):
    code = StringField(
        _l("Code"),
        validators=[required(), Length(max=40)],
        filters=[strip],
        description=_l(
            "The six digits your authenticator app shows now, or one of your recovery codes "
            "(such as abcd-efgh-jkmn)."
        ),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "maxlength": 40},
    )


class ConfirmPasswordForm(AppForm):
    """A change to how one signs in asks for the password again."""

    password = PasswordField(
        _l("Your password"),
        validators=[required()],
        render_kw={"autocomplete": "current-password"},
    )
