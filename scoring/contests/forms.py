"""Forms of the organisers' contest pages; every message is in gettext, shown beside its field."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
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
    StopValidation,
    ValidationError,
)
from wtforms.widgets import TextInput

from .. import forms, lifecycle, money
from ..clock import KYIV
from ..forms import (
    REQUIRED,
    AmountField,
    AppForm,
    MultiCheckboxField,
    WholeNumberField,
    choices,
    strip,
)
from ..i18n import (
    AGGREGATION_LABELS,
    FEEDBACK_LABELS,
    NORMALISE_LABELS,
    input_number,
    oblast_choices,
)
from ..models import Aggregation, Category, Contest, Feedback, Normalise
from ..organisations import KIND_CHOICES
from . import operations

# A decimal typed into a form has at most this many digits and an exponent this small;
# the columns hold far less, so a longer one is out of range, not a number to compute on.
MAX_DECIMAL_DIGITS = 30


def _text(label, max_length, required=False, area=False, **kwargs):
    validators = [forms.required() if required else Optional(), Length(max=max_length)]
    filters = [forms.stripped_text]
    if area:
        return TextAreaField(
            label, validators=validators, filters=filters, render_kw={"rows": 6}, **kwargs
        )
    return StringField(label, validators=validators, filters=filters, **kwargs)


def _whole_number(label, low, high, optional=False, **kwargs):
    first = Optional() if optional else InputRequired(message=REQUIRED)
    return WholeNumberField(
        label,
        validators=[
            first,
            NumberRange(low, high, message=_l("Enter a whole number from %(min)s to %(max)s.")),
        ],
        render_kw={"min": low, "max": high},
        **kwargs,
    )


class FiniteDecimalField(DecimalField):
    """A decimal number, with a point or a Ukrainian comma; «NaN» and «Infinity» are not numbers.

    A text input with the decimal keypad (``type="number"`` refuses «7,5» in some
    browsers and sends nothing): the server reads both marks and shows the value as
    the interface language writes it, «0,3» in Ukrainian.
    """

    widget = TextInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", _l("Enter a number, e.g. 1.5."))
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return input_number(self.data)

    def process_formdata(self, valuelist):
        super().process_formdata([value.replace(",", ".") for value in valuelist])
        if self.data is not None and not _bounded(self.data):
            self.data = None  # the range validator explains what to enter

    def pre_validate(self, form):
        # Typed but not a number: «Enter a number» is enough, skip the range check. Left
        # empty: the Optional or InputRequired validator decides.
        if self.process_errors and self.raw_data and self.raw_data[0].strip():
            raise StopValidation()


def _bounded(value: Decimal) -> bool:
    """Finite, and small enough to compute on exactly (``1e999999`` is neither)."""
    return (
        value.is_finite()
        and len(value.as_tuple().digits) <= MAX_DECIMAL_DIGITS
        and abs(value.adjusted()) <= MAX_DECIMAL_DIGITS
    )


def _places(places: int, message):
    """A decimal with at most ``places`` digits after the point (what the column keeps:
    more would be rounded, and not alike on every database)."""

    def check(form, field):
        if field.data is not None and field.data.normalize().as_tuple().exponent < -places:
            raise ValidationError(message)

    return check


def _decimal(label, low, high, message, places=None, **kwargs):
    """A required decimal in ``low..high``; with ``places``, at most so many after the point."""
    validators = [InputRequired(message=REQUIRED), NumberRange(low, high, message=message)]
    if places is not None:
        validators.append(_places(*places))
    return FiniteDecimalField(label, places=None, validators=validators, **kwargs)


def _moment(label):
    return DateTimeLocalField(
        label,
        # What the browser sends, then what a person may type where the picker is missing.
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        tz=KYIV,
        validators=[InputRequired(message=_l("Enter the date and the time."))],
        invalid_value_message=_l("Enter the date and the time, e.g. 31.03.2026 18:00."),
        description=_l("Kyiv time."),
    )


def _upper(value):
    return strip(value).upper() if isinstance(value, str) else value


def _plain(value):
    """A stored decimal as a person would type it: 0.3, not 0.300."""
    return Decimal(format(value.normalize(), "f")) if isinstance(value, Decimal) else value


class ContestForm(AppForm):
    """Every field is a ``Contest`` attribute of the same name; ``GROUPS`` lays them out."""

    loaded = HiddenField()  # the settings as the form showed them (``stamp_loaded``)
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l(
                    "Use lowercase latin letters, digits and single hyphens between them, "
                    "e.g. uspishna-uchast-2026."
                ),
            ),
        ],
        filters=[strip],
        description=_l(
            "Part of the contest’s web address, e.g. uspishna-uchast-2026 gives "
            "/contests/uspishna-uchast-2026. Leave it empty to have it made from the "
            "Ukrainian title by the official transliteration."
        ),
    )
    title_uk = _text(_l("Title in Ukrainian"), 300, required=True)
    title_en = _text(_l("Title in English"), 300)
    organising_body = _text(
        _l("Organising body"),
        300,
        required=True,
        default=lambda: current_app.config["ORGANISING_BODY"],
    )
    description_uk = _text(_l("Description in Ukrainian"), 20000, area=True)
    description_en = _text(_l("Description in English"), 20000, area=True)
    rules_uk = _text(_l("Rules in Ukrainian"), 50000, area=True)
    rules_en = _text(_l("Rules in English"), 50000, area=True)
    applicant_kinds = MultiCheckboxField(
        _l("Who can apply"),
        choices=KIND_CHOICES,
        default=[choice.value for choice in KIND_CHOICES],
        validators=[DataRequired(message=_l("Choose who can apply: communities, NGOs or both."))],
        invalid_choice_message=_l("Choose from the options given."),
    )
    oblasts = MultiCheckboxField(
        _l("Oblasts"),
        choices=lambda: choices(oblast_choices()),
        invalid_choice_message=_l("Choose from the options given."),
        description=_l("Leave every box unticked to accept applicants from all oblasts."),
    )
    opens_at = _moment(_l("Applications open"))
    closes_at = _moment(_l("Applications close"))
    winners = _whole_number(_l("Number of winners"), 1, 1000, default=5)
    number_prefix = StringField(
        _l("Prefix of registration numbers"),
        validators=[
            forms.required(),
            Regexp(
                r"^[A-Z0-9]{2,12}$",
                message=_l("Use from 2 to 12 latin letters and digits, e.g. UUG."),
            ),
        ],
        filters=[_upper],
        description=_l("Applications are numbered PREFIX-YEAR-NUMBER, e.g. UUG-2026-001."),
        render_kw={"autocapitalize": "characters", "maxlength": 12},
    )
    aggregation = SelectField(
        _l("How the jurors’ totals are combined"),
        choices=choices(AGGREGATION_LABELS.items()),
        default=Aggregation.MEAN.value,
    )
    normalise = SelectField(
        _l("Normalisation"),
        choices=choices(NORMALISE_LABELS.items()),
        default=Normalise.NONE.value,
    )
    jurors_per_application = _whole_number(
        _l("Jurors per application"),
        0,
        100,
        default=0,
        description=_l("0: every member of the jury scores every application."),
    )
    quorum = _whole_number(
        _l("Quorum"),
        1,
        100,
        default=2,
        description=_l("An application is ranked once this many jurors have submitted scores."),
    )
    divergence_threshold = _decimal(
        _l("Divergence threshold"),
        Decimal("0.001"),
        Decimal(1),
        message=_l("Enter a fraction greater than 0 and at most 1, e.g. 0.3."),
        places=(3, _l("Use at most three digits after the decimal point.")),
        default=Decimal("0.3"),
        description=_l(
            "A fraction of the maximum total. When the jurors’ totals differ by more, "
            "the application is flagged for the commission."
        ),
    )
    min_total = _decimal(
        _l("Minimum score to win"),
        Decimal(0),
        Decimal(1_000_000),
        message=_l("Enter a number from %(min)s to %(max)s."),
        places=(2, _l("Use at most two digits after the decimal point.")),
        default=Decimal(0),
        description=_l("An application scored below it cannot win. 0: no minimum."),
    )
    max_winners_per_oblast = _whole_number(
        _l("Most winners from one oblast"),
        1,
        1000,
        optional=True,
        description=_l("Leave empty for no limit."),
    )
    blind = BooleanField(_l("Blind scoring"), description=_l("Jurors do not see who applied."))
    # Grants (SPEC §12); with categories, each category has its own (``for_contest``).
    fund = AmountField(
        _l("Fund, hryvnias"),
        description=_l(
            "What the winners share, e.g. 1 500 000,00. Each application then states the "
            "amount it requests, and the winners are funded from the top of the ranking "
            "while the fund lasts. Leave empty when the contest gives no grants."
        ),
    )
    max_request = AmountField(
        _l("Most one application may request, hryvnias"),
        description=_l("Leave empty for no limit."),
    )
    conflict_same_oblast = BooleanField(
        _l("Propose a conflict of interest when a juror is from the applicant’s oblast")
    )
    conflict_same_community = BooleanField(
        _l("Propose a conflict of interest when a juror is from the applicant’s community")
    )
    results_full_ranking = BooleanField(
        _l("Publish the full ranking, not only the winners"), default=True
    )
    jurors_two_factor = BooleanField(
        _l("Jurors sign in with two factors"),
        description=_l(
            "Before they open the scoresheets, the jurors set up a code from an "
            "authenticator app on their phone in addition to the password."
        ),
    )
    # After the decision (SPEC §14): declared before judging, shown on the contest's page.
    feedback = RadioField(
        _l("Feedback to applicants after publication"),
        choices=choices(FEEDBACK_LABELS.items()),
        default=Feedback.NONE.value,
        invalid_choice_message=_l("Choose from the options given."),
        description=_l(
            "Each applicant sees only their own application’s feedback, and can download "
            "it as a PDF. It cannot change once the jury starts scoring."
        ),
    )
    appeal_days = _whole_number(
        _l("Days to appeal after publication"),
        0,
        90,
        optional=True,
        description=_l(
            "0 or empty: no appeals. Otherwise an applicant may file one appeal with its "
            "reason until the end of the last day (Kyiv time)."
        ),
    )
    appeal_answer_days = _whole_number(
        _l("Working days to answer an appeal"),
        1,
        60,
        optional=True,
        description=_l(
            "The commission answers each appeal within so many working days (Monday to "
            "Friday); the organisers are reminded the day before. Empty: 5."
        ),
    )

    GROUPS = (
        (_l("The contest"), ("title_uk", "title_en", "slug", "organising_body")),
        (
            _l("Description and rules"),
            ("description_uk", "description_en", "rules_uk", "rules_en"),
        ),
        (_l("Applicants"), ("applicant_kinds", "oblasts")),
        (_l("Applications"), ("opens_at", "closes_at", "number_prefix", "winners")),
        (_l("Grants"), ("fund", "max_request")),
        (
            _l("Scoring"),
            (
                "aggregation",
                "normalise",
                "jurors_per_application",
                "quorum",
                "divergence_threshold",
                "min_total",
                "max_winners_per_oblast",
                "blind",
            ),
        ),
        (
            _l("Conflicts of interest and results"),
            ("conflict_same_oblast", "conflict_same_community", "results_full_ranking"),
        ),
        (_l("The jury’s sign-in"), ("jurors_two_factor",)),
        (_l("After the results"), ("feedback", "appeal_days", "appeal_answer_days")),
    )

    # What a copy of the contest (``CopyForm``) gets anew rather than from its source.
    COPIED_ANEW = ("title_uk", "title_en", "slug", "number_prefix", "opens_at", "closes_at")

    # With categories, the grants are set per category, in fields named by the category.
    categories: tuple[Category, ...] = ()

    @classmethod
    def for_contest(cls, contest: Contest | None, language: str) -> ContestForm:
        """The form of ``contest``'s settings (a new contest: ``None``); with categories,
        a fund and a largest request for each category instead of the contest's."""
        categories = tuple(contest.categories) if contest else ()
        if not categories:
            return cls()
        fields = {"categories": categories}
        for category in categories:
            name = (category.title_en if language == "en" else "") or category.title_uk
            fields[f"fund_{category.id}"] = AmountField(
                _l("Fund of the category «%(category)s», hryvnias", category=name),
                description=_l("Leave empty when this category gives no grants."),
            )
            fields[f"max_request_{category.id}"] = AmountField(
                _l("Most one application of «%(category)s» may request, hryvnias", category=name),
                description=_l("Leave empty for no limit."),
            )
        return type("CategoriesContestForm", (cls,), fields)()

    def groups(self):
        """``GROUPS`` as this contest's form has them (the grants per category)."""
        if not self.categories:
            return self.GROUPS
        per_category = tuple(
            f"{part}_{category.id}"
            for category in self.categories
            for part in ("fund", "max_request")
        )
        return tuple(
            (legend, per_category if names == ("fund", "max_request") else names)
            for legend, names in self.GROUPS
        )

    def _category_field(self, name: str) -> bool:
        return bool(self.categories) and name.startswith(("fund", "max_request"))

    def contest_fields(self):
        own = (f for f in self if f.name not in ("csrf_token", "loaded"))
        return [f for f in own if not self._category_field(f.name)]

    def stamp_loaded(self, contest: Contest) -> None:
        """Note in the form the settings it shows (``operations.merge_stale``)."""
        now = {f.name: getattr(contest, f.name) for f in self.contest_fields()}
        self.loaded.data = json.dumps(operations.settings_stamp(now), ensure_ascii=False)

    def loaded_stamp(self) -> dict | None:
        """The settings the form showed; None from an older page or a crafted request."""
        try:
            loaded = json.loads(self.loaded.data or "")
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None

    def load(self, contest: Contest, names=None) -> None:
        """Show a contest's current settings (dates as Kyiv wall-clock times); ``names``:
        only those (others' changes taken into a form sent back, ``merge_stale``)."""
        for f in self.contest_fields():
            if names is None or f.name in names:
                f.data = _plain(getattr(contest, f.name))
                f.raw_data = None  # a field shows what was sent before its data
        if names is not None:
            return
        for category in self.categories:
            self[f"fund_{category.id}"].data = category.fund
            self[f"max_request_{category.id}"].data = category.max_request

    def category_values(self) -> dict[Category, dict]:
        """The submitted grants of each category: ``{category: {"fund": …, "max_request": …}}``."""
        return {
            category: {
                "fund": self[f"fund_{category.id}"].data,
                "max_request": self[f"max_request_{category.id}"].data,
            }
            for category in self.categories
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        pairs = (
            [("", self.fund.data, self.max_request.data)]
            if not self.categories
            else [
                (f"_{c.id}", values["fund"], values["max_request"])
                for c, values in self.category_values().items()
            ]
        )
        for suffix, fund, limit in pairs:
            for name, message in money.fund_problems(fund, limit).items():
                field = self[name + suffix]
                if not field.errors:
                    field.errors.append(message)
                    valid = False
        return valid

    def contest_values(self) -> dict:
        """The submitted settings as ``Contest`` attribute values."""
        values = {f.name: f.data for f in self.contest_fields()}
        values["applicant_kinds"] = sorted(values["applicant_kinds"])
        values["oblasts"] = sorted(values["oblasts"])
        values["aggregation"] = Aggregation(values["aggregation"])
        values["normalise"] = Normalise(values["normalise"])
        values["feedback"] = Feedback(values["feedback"])
        values["appeal_days"] = values["appeal_days"] or 0
        values["appeal_answer_days"] = values["appeal_answer_days"] or 5
        return values

    def validate_closes_at(self, field):
        opens, closes = self.opens_at.data, field.data
        if opens and closes and closes <= opens:
            raise ValidationError(_l("Applications must close after they open."))


class CopyForm(AppForm):
    """What a copy of a contest gets anew: titles, address, prefix and dates."""

    title_uk = ContestForm.title_uk
    title_en = ContestForm.title_en
    slug = ContestForm.slug
    number_prefix = ContestForm.number_prefix
    opens_at = ContestForm.opens_at
    closes_at = ContestForm.closes_at

    validate_closes_at = ContestForm.validate_closes_at

    def values(self) -> dict:
        return {name: self[name].data for name in ContestForm.COPIED_ANEW}


class StageForm(AppForm):
    to = HiddenField(_l("New stage"))
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=2000)],
        filters=[strip],
        description=_l("It is written into the audit log. Required for a move back."),
    )
    # The fingerprint of the warnings shown (``lifecycle.fingerprint``) and the box that
    # confirms them: a warning that appears meanwhile is shown again.
    warnings = HiddenField()
    confirm = BooleanField(_l("I have read the warnings above and confirm the change."))


class RoundForm(AppForm):
    """The next round: its title, and when its applicants fill in its form (SPEC §13)."""

    round_title_uk = _text(
        _l("Title of the round in Ukrainian"),
        300,
        required=True,
        description=_l("E.g. «Full application» or «Presentation to the jury»."),
    )
    round_title_en = _text(_l("Title of the round in English"), 300)
    opens_at = _moment(_l("The round’s form opens"))
    closes_at = _moment(_l("The round’s form closes"))

    validate_closes_at = ContestForm.validate_closes_at

    def values(self) -> dict:
        return {name: self[name].data for name in ("round_title_uk", "round_title_en")} | {
            "opens_at": self.opens_at.data,
            "closes_at": self.closes_at.data,
        }


def _share(label):
    return FiniteDecimalField(
        label,
        places=None,
        validators=[
            Optional(),
            NumberRange(
                Decimal("0.01"),
                Decimal(100),
                message=_l("Enter a share greater than 0 and at most 100 percent."),
            ),
            _places(2, _l("Use at most two digits after the decimal point.")),
        ],
        description=_l("Percent of the final score; empty: the last round’s score decides."),
    )


class RoundsForm(AppForm):
    """The titles and the shares of the final score of the rounds the organiser may
    change, in fields named by the round's contest id (``for_rounds``): the titles until
    the round's results are published, the shares while the rounds may be declared."""

    editable: tuple[Contest, ...] = ()
    NAMES = ("round_title_uk", "round_title_en", "round_weight")

    @classmethod
    def for_rounds(cls, editable: list[Contest], number: dict, *, shares: bool) -> RoundsForm:
        fields: dict = {"editable": tuple(editable)}
        for contest in editable:
            n, key = number[contest.id], contest.id
            if not lifecycle.results_frozen(contest):
                fields[f"round_title_uk_{key}"] = _text(
                    _l("Title of round %(number)s in Ukrainian", number=n), 300
                )
                fields[f"round_title_en_{key}"] = _text(
                    _l("Title of round %(number)s in English", number=n), 300
                )
            if shares:
                fields[f"round_weight_{key}"] = _share(
                    _l("Share of round %(number)s in the final score, percent", number=n)
                )
        return type("ChainRoundsForm", (cls,), fields)()

    def fields_of(self, contest: Contest) -> list:
        names = (f"{name}_{contest.id}" for name in self.NAMES)
        return [self[name] for name in names if name in self]

    def load(self) -> None:
        for contest in self.editable:
            for f in self.fields_of(contest):
                f.data = _plain(getattr(contest, f.name.rsplit("_", 1)[0]))

    def values(self) -> dict:
        return {
            contest: {f.name.rsplit("_", 1)[0]: f.data for f in self.fields_of(contest)}
            for contest in self.editable
        }
