"""Forms of the criteria editor, the application form builder and the organisers' page."""

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..forms import AppForm, MultiCheckboxField, PersonForm, choices, required, strip
from ..models import QuestionKind
from .forms import (
    FiniteDecimalField,
    _decimal,
    _places,
    _plain,
    _text,
    _upper,
    _whole_number,
)


def _optional_decimal(label, low, high, message, **kwargs):
    return FiniteDecimalField(
        label,
        places=None,
        validators=[Optional(), NumberRange(low, high, message=message)],
        **kwargs,
    )


STEP_CHOICES = choices(
    [("1", _l("Whole points (1)")), ("0.5", _l("Half points (0.5)"))],
)


class CriterionForm(AppForm):
    """A criterion of SPEC §4; every field is a ``Criterion`` attribute of the same name."""

    code = StringField(
        _l("Code"),
        validators=[
            required(),
            Regexp(
                r"^[A-Z0-9]([A-Z0-9.\-]{0,19})$",
                message=_l("Use up to 20 latin letters, digits, dots or hyphens, e.g. C1."),
            ),
        ],
        filters=[_upper],
        description=_l("Short and unique in the contest, e.g. C1. Score files refer to it."),
        render_kw={"autocapitalize": "characters", "maxlength": 20},
    )
    title_uk = _text(_l("Title in Ukrainian"), 300, required=True)
    title_en = _text(_l("Title in English"), 300)
    guidance_uk = _text(
        _l("Guidance for jurors in Ukrainian"),
        5000,
        area=True,
        description=_l("What a juror looks at and what earns full points."),
    )
    guidance_en = _text(_l("Guidance for jurors in English"), 5000, area=True)
    max_points = _decimal(
        _l("Maximum points"),
        Decimal("0.5"),
        Decimal(1000),
        message=_l("Enter a number greater than 0 and at most 1000."),
    )
    weight = _decimal(
        _l("Weight"),
        Decimal("0.0001"),
        Decimal(100),
        message=_l("Enter a weight greater than 0 and at most 100, e.g. 1 or 1.5."),
        default=Decimal(1),
        description=_l("A juror’s points on this criterion are multiplied by the weight."),
    )
    step = RadioField(
        _l("Step of the points"),
        choices=STEP_CHOICES,
        default="1",
        validators=[InputRequired(message=_l("Choose 1 or 0.5."))],
        invalid_choice_message=_l("Choose 1 or 0.5."),
    )
    min_points = _optional_decimal(
        _l("Minimum to win (optional)"),
        Decimal(0),
        Decimal(1000),
        message=_l("Enter a number from %(min)s to %(max)s."),
        description=_l(
            "An application whose jurors give a lower mean on this criterion cannot win, "
            "whatever its total. Leave empty for no minimum."
        ),
    )

    FIELDS = (
        "code",
        "title_uk",
        "title_en",
        "guidance_uk",
        "guidance_en",
        "max_points",
        "weight",
        "step",
        "min_points",
    )

    def load(self, criterion) -> None:
        for name in self.FIELDS:
            self[name].data = _plain(getattr(criterion, name))
        self.step.data = format(_plain(criterion.step), "f")

    def criterion_values(self) -> dict:
        values = {name: self[name].data for name in self.FIELDS}
        values["step"] = Decimal(values["step"])
        return values

    def validate_max_points(self, field):
        if field.errors:  # out of range already, e.g. 1e309, which no step divides
            return
        _places(1, _l("Use at most one digit after the decimal point."))(self, field)
        step = Decimal(self.step.data) if self.step.data in ("1", "0.5") else None
        if field.data is not None and step is not None and field.data % step:
            raise ValidationError(
                _l("The maximum must be a multiple of the step (%(step)s).", step=self.step.data)
            )

    def validate_weight(self, field):
        _places(4, _l("Use at most four digits after the decimal point."))(self, field)

    def validate_min_points(self, field):
        _places(1, _l("Use at most one digit after the decimal point."))(self, field)
        top = self.max_points.data
        if field.data is not None and top is not None and field.data > top:
            raise ValidationError(_l("The minimum cannot be greater than the maximum points."))


KIND_LABELS = {
    QuestionKind.TEXT: _l("Short text (one line)"),
    QuestionKind.TEXTAREA: _l("Long text"),
    QuestionKind.NUMBER: _l("Numeric answer"),
    QuestionKind.CHOICE: _l("Choice of one option"),
    QuestionKind.URL: _l("Web address (link)"),
    QuestionKind.FILE: _l("File"),
}
MAX_CHOICES = 100


def parse_choices(text: str) -> list[dict]:
    """Options typed one per line as ``value|Ukrainian label|English label`` (see the page).

    A line with one part uses it as both the value and the Ukrainian label; the English
    label may be left out. Raises ``ValidationError`` naming the line at fault.
    """
    options, seen = [], set()
    lines = [line.strip() for line in (text or "").splitlines()]
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3:
            raise ValidationError(
                _l("Line %(n)s has more than three parts separated by «|».", n=number)
            )
        value, uk, en = (parts + ["", ""])[:3] if len(parts) > 1 else (parts[0], parts[0], "")
        if not value or not uk:
            raise ValidationError(_l("Line %(n)s needs a value and a Ukrainian label.", n=number))
        if len(value) > 100 or len(uk) > 300 or len(en) > 300:
            raise ValidationError(
                _l(
                    "Line %(n)s is too long: a value has at most 100 characters, "
                    "a label at most 300.",
                    n=number,
                )
            )
        if value in seen:
            # a str: Jinja would take a lazy string as markup and not escape the value
            raise ValidationError(_("The value «%(value)s» is used twice.", value=value))
        seen.add(value)
        options.append({"value": value, "uk": uk, "en": en})
    if len(options) > MAX_CHOICES:
        raise ValidationError(_l("Give at most %(n)s options.", n=MAX_CHOICES))
    return options


def format_choices(options: list[dict] | None) -> str:
    """The options as the organiser typed them, one per line (the reverse of ``parse_choices``)."""
    lines = []
    for option in options or []:
        if option["value"] == option["uk"] and not option.get("en"):
            lines.append(option["value"])
        else:
            parts = [option["value"], option["uk"]] + ([option["en"]] if option.get("en") else [])
            lines.append(" | ".join(parts))
    return "\n".join(lines)


# Which limits each kind of question has; the others are not stored.
KIND_LIMITS = {
    QuestionKind.TEXT: ("max_length",),
    QuestionKind.TEXTAREA: ("max_length",),
    QuestionKind.NUMBER: ("min_value", "max_value"),
    QuestionKind.CHOICE: ("choices",),
    QuestionKind.URL: (),
    QuestionKind.FILE: ("file_types",),
}
LIMIT_FIELDS = ("max_length", "min_value", "max_value", "choices", "file_types")
NUMBER_LIMIT = Decimal("999999999999")


class QuestionForm(AppForm):
    """A question of the application form (SPEC §4); the limits apply to some kinds only."""

    key = StringField(
        _l("Key"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Use at most %(max)d characters.")),
            Regexp(
                r"^[A-Za-z][A-Za-z0-9_]*$",
                message=_l(
                    "Use latin letters, digits and underscores, starting with a letter, "
                    "e.g. summary or budget_total."
                ),
            ),
        ],
        filters=[strip],
        description=_l(
            "Names the answer in exports, e.g. summary. Latin letters, digits and "
            "underscores. Leave it empty to have it made from the question in Ukrainian."
        ),
        render_kw={"autocapitalize": "none", "spellcheck": "false", "maxlength": 40},
    )
    label_uk = _text(_l("Question in Ukrainian"), 300, required=True)
    label_en = _text(_l("Question in English"), 300)
    help_uk = _text(
        _l("Help text in Ukrainian"),
        2000,
        area=True,
        description=_l("Shown under the question: what to write, an example."),
    )
    help_en = _text(_l("Help text in English"), 2000, area=True)
    kind = SelectField(
        _l("Kind of answer"),
        choices=choices(KIND_LABELS.items()),
        default=QuestionKind.TEXTAREA.value,
        validate_choice=True,
    )
    required = BooleanField(_l("An answer is required to submit the application"))
    max_length = _whole_number(
        _l("Most characters"),
        1,
        100_000,
        optional=True,
        description=_l("For short and long text. Leave empty for no limit."),
    )
    min_value = _optional_decimal(
        _l("Smallest number"),
        -NUMBER_LIMIT,
        NUMBER_LIMIT,
        message=_l("Enter a number of at most 12 digits."),
        description=_l("For a number. Leave empty for no limit."),
    )
    max_value = _optional_decimal(
        _l("Largest number"),
        -NUMBER_LIMIT,
        NUMBER_LIMIT,
        message=_l("Enter a number of at most 12 digits."),
        description=_l("For a number. Leave empty for no limit."),
    )
    choices = TextAreaField(
        _l("Options"),
        validators=[Length(max=50_000)],
        description=_l(
            "For a choice: one option per line, as «value | Ukrainian label | English label», "
            "e.g. «ngo | Громадська організація | NGO». The value is what the application "
            "keeps: labels can be reworded later, values cannot. A line with a single text "
            "uses it as both the value and the label."
        ),
        render_kw={"rows": 5, "spellcheck": "false"},
    )
    file_types = MultiCheckboxField(
        _l("Allowed file types"),
        invalid_choice_message=_l("Choose from the options given."),
        description=_l(
            "For a file: leave every box unticked to allow all the contest’s attachment types."
        ),
    )

    GROUPS = (
        (_l("The question"), ("label_uk", "label_en", "key", "help_uk", "help_en")),
        (_l("The answer"), ("kind", "required")),
        (
            _l("Limits"),
            ("max_length", "min_value", "max_value", "choices", "file_types"),
        ),
    )
    TEXT_FIELDS = ("key", "label_uk", "label_en", "help_uk", "help_en")

    def __init__(self, *args, file_type_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.file_types.choices = list(file_type_choices)
        self.parsed_choices: list[dict] = []

    def load(self, question) -> None:
        for name in (*self.TEXT_FIELDS, "required", "max_length"):
            self[name].data = getattr(question, name)
        self.kind.data = question.kind.value
        self.min_value.data = _plain(question.min_value)
        self.max_value.data = _plain(question.max_value)
        self.choices.data = format_choices(question.choices)
        self.file_types.data = list(question.file_types or [])

    def question_values(self) -> dict:
        """The submitted question; the limits that do not apply to its kind are None."""
        kind = QuestionKind(self.kind.data)
        values = {name: self[name].data for name in self.TEXT_FIELDS}
        values |= {
            "kind": kind,
            "required": bool(self.required.data),
            "max_length": self.max_length.data,
            "min_value": self.min_value.data,
            "max_value": self.max_value.data,
            "choices": self.parsed_choices or None,
            "file_types": sorted(self.file_types.data) or None,
        }
        for name in LIMIT_FIELDS:
            if name not in KIND_LIMITS[kind]:
                values[name] = None
        return values

    def validate(self, extra_validators=None) -> bool:
        """Validate; what was typed into the limits of another kind is ignored, as the page says."""
        super().validate(extra_validators)
        for name in LIMIT_FIELDS:
            if not self._applies(name):
                self[name].errors = []
        return not any(field.errors for field in self)

    def _applies(self, name: str) -> bool:
        return self.kind.data in {
            kind.value for kind, names in KIND_LIMITS.items() if name in names
        }

    def validate_min_value(self, field):
        if self._applies("min_value"):
            _places(2, _l("Use at most two digits after the decimal point."))(self, field)

    def validate_max_value(self, field):
        if not self._applies("max_value"):
            return
        _places(2, _l("Use at most two digits after the decimal point."))(self, field)
        low = self.min_value.data
        if field.data is not None and low is not None and field.data < low:
            raise ValidationError(_l("The largest number cannot be less than the smallest."))

    def validate_choices(self, field):
        if not self._applies("choices"):
            return
        self.parsed_choices = parse_choices(field.data)
        if len(self.parsed_choices) < 2:
            raise ValidationError(_l("Give at least two options, one per line."))


class OrganiserForm(PersonForm):
    """A colleague to organise the contest: an organiser's account, or an invitation."""


class MoveForm(AppForm):
    """Move a criterion or a question one place up or down (a button per direction)."""

    direction = HiddenField(validators=[DataRequired()])
