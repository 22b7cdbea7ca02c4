"""What the forms of every feature share: filters of typed text, options, common fields.

A feature's own forms live in its ``forms.py``; what two features use lives here, so
that no feature imports another feature's forms (``tests/test_layout.py``).
"""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectMultipleField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, TextInput

from .csrftokens import MaskedFormCSRF
from .i18n import input_amount
from .money import AmountError, read_amount

REQUIRED = _l("This field is required.")
ONE_LINE = _l("Write this on one line: line breaks are not accepted here.")
MAX_INTEGER = 2**31 - 1  # PostgreSQL's INTEGER


def choices(pairs) -> list[SelectChoice]:
    """Options of a select or radio field from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


ONE_LINE_INPUTS = frozenset({"text", "email", "url", "search", "tel"})
LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # str.splitlines' breaks

BULK_MAX = 200  # applications in one bulk action: four pages of a list


def ticked(_form, field) -> None:
    """The registration numbers ticked for a bulk action: blanks dropped (and NUL
    characters, which PostgreSQL refuses), at least one and at most ``BULK_MAX``."""
    field.data = [strip(number) for number in field.data or [] if strip(number)]
    if not field.data:
        raise ValidationError(_l("Tick at least one application in the list."))
    if len(field.data) > BULK_MAX:
        raise ValidationError(_l("Choose at most %(max)d applications at once.", max=BULK_MAX))


def strip(value):
    """Typed text as stored: stripped, without NUL characters (PostgreSQL refuses them)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def stripped_text(value) -> str:
    """The text as stored: stripped, and "" for a field the request did not send at all
    (WTForms gives None, which the NOT NULL text columns refuse)."""
    return strip(value) if isinstance(value, str) else ""


def lower_strip(value):
    return strip(value).lower() if isinstance(value, str) else value


def required():
    return DataRequired(message=REQUIRED)


def email_field(label=None, **kwargs):
    return EmailField(
        label or _l("E-mail"),
        validators=[
            required(),
            Length(max=254),
            Email(
                message=_l("Enter an e-mail address such as name@example.org."),
                check_deliverability=False,
            ),
        ],
        filters=[lower_strip],
        **kwargs,
    )


class AppForm(FlaskForm):
    """Every form of the app: a FlaskForm whose CSRF token is masked anew in every page
    (``scoring.csrftokens``: against BREACH, since pages go out compressed)."""

    class Meta:
        csrf_class = MaskedFormCSRF

    def validate(self, extra_validators=None) -> bool:
        """The fields' own validators, and one line in a one-line field: a browser's
        input never sends a line break, a crafted request could, and a title or a name
        with one would break the lines of e-mails, files and documents."""
        valid = super().validate(extra_validators)
        for field in self:
            if (
                getattr(field.widget, "input_type", None) in ONE_LINE_INPUTS
                and isinstance(field.data, str)
                and LINE_BREAKS.search(field.data)
            ):
                field.errors = [*field.errors, ONE_LINE]
                valid = False
        return valid


class WholeNumberField(IntegerField):
    """A whole number for an INTEGER column: one beyond it (hundreds of digits, say) is
    out of range, shown with the range validator's message; WTForms' ``NumberRange``
    would turn it into a float and fail with an ``OverflowError``."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_INTEGER:
            self.data = None


class AmountField(StringField):
    """An amount of hryvnias (SPEC §12) as people type it, «48 000,00» or «48000.5», read
    by ``money.read_amount``: its refusal is the field's error. Empty: ``None`` (the
    field's validators decide whether that will do). A text input with the decimal
    keypad; a stored amount shows as «48000,50» in Ukrainian."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", "maxlength": 40}
        render_kw |= kwargs.pop("render_kw", {})
        super().__init__(label, validators or [Optional()], render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist and isinstance(valuelist[0], str) else ""
        self.data = None
        if text.strip():
            try:
                self.data = read_amount(text)
            except AmountError as error:
                raise ValueError(str(error.message)) from error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return input_amount(self.data)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes; ``_macros/forms.html`` renders it in a fieldset."""

    option_widget = CheckboxInput()


class PersonForm(AppForm):
    """A person by e-mail (an organiser, a juror), and a name to greet them with should
    they get an invitation because they have no account yet."""

    email = email_field(render_kw={"autocomplete": "off"})
    name = StringField(
        _l("Name (optional)"),
        validators=[Optional(), Length(max=200)],
        filters=[stripped_text],
        description=_l("Used to greet the person in the invitation if they have no account yet."),
    )


def show_errors(form, error) -> None:
    """Put the messages of a refusal (``error.errors``: field name → message) beside the
    fields of ``form`` they blame."""
    for name, message in error.errors.items():
        form[name].errors.append(message)
