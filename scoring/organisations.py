"""Organisations (SPEC §5): their fields in forms and the rules of their details.

``OrganisationFields`` is the one definition of an organisation's fields: the
applicant's profile form and the registration form both inherit it.
``apply_organisation_values`` checks and sets the details (the EDRPOU code, the
community of the official list, a code registered once) for the profile, for
registration and as the last word behind the forms; ``save_organisation`` stores the
applicant's and writes the audit entry (the view commits). The community is chosen from
the official list of the oblast (``scoring.hromadas``): the select lists the communities
of the oblast posted (or saved), so without JavaScript a changed oblast takes a second
step; ``static/js/communities.js`` refreshes the list as soon as the oblast changes.
"""

import re

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from . import audit, edrpou, hromadas
from .extensions import db
from .forms import AppForm, choices, email_field, required, strip
from .i18n import OBLASTS, oblast_choices, oblast_name
from .models import Application, Organisation, OrganisationKind, OrganisationStatus, Role, User

KIND_CHOICES = choices(
    [
        (OrganisationKind.COMMUNITY, _l("Territorial community (local council)")),
        (OrganisationKind.NGO, _l("Non-governmental organisation")),
    ]
)
STATUS_CHOICES = choices(
    [
        (OrganisationStatus.ACTIVE, _l("Works in its own territory")),
        (OrganisationStatus.RELOCATED, _l("Relocated")),
        (OrganisationStatus.OCCUPIED, _l("Territory temporarily occupied")),
    ]
)


def validate_edrpou(form, field):
    if not edrpou.is_valid(field.data or ""):
        raise ValidationError(
            _l("An EDRPOU code has 8 digits and a correct check digit; check the code.")
        )


def validate_phone(form, field):
    digits = re.sub(r"[\s()\-]", "", field.data or "")
    if not re.fullmatch(r"\+?\d{10,15}", digits):
        raise ValidationError(_l("Enter a phone number such as +380 67 123 45 67."))


class OrganisationError(Exception):
    """Details that cannot be saved; ``field`` names the form field to blame."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = message


def _oblast_choices():
    return choices([("", _l("— choose the oblast —")), *oblast_choices()])


CHOOSE_COMMUNITY = _l("— choose the community —")
CHOOSE_OBLAST_FIRST = _l("— choose the oblast first —")


def community_choices(oblast: str | None) -> list:
    """The options of the community select for ``oblast`` (a placeholder first)."""
    placeholder = CHOOSE_COMMUNITY if oblast else CHOOSE_OBLAST_FIRST
    return choices(
        [("", placeholder), *((c["code"], c["name"]) for c in hromadas.communities(oblast or ""))]
    )


def list_communities(form) -> None:
    """Offer in ``form.community`` the communities of the oblast in ``form.oblast``;
    communities.js fetches another oblast's list from the address it is given here."""
    form.community.choices = community_choices(form.oblast.data)
    form.community.render_kw = {
        "data-communities-url": url_for("applications.communities", oblast="OBLAST"),
        "data-placeholder": CHOOSE_COMMUNITY,
        "data-placeholder-empty": CHOOSE_OBLAST_FIRST,
    }


class OrganisationFields(AppForm):
    """The organisation's details; ``values()`` gives them as ``Organisation`` attributes."""

    kind = RadioField(
        _l("Who applies"),
        choices=KIND_CHOICES,
        validators=[
            InputRequired(message=_l("Choose whether you register a community or an NGO."))
        ],
    )
    organisation_name = StringField(
        _l("Full name of the organisation"),
        validators=[required(), Length(max=300)],
        filters=[strip],
        description=_l("As in the Unified State Register, e.g. «Апостолівська міська рада»."),
    )
    edrpou = StringField(
        _l("EDRPOU code"),
        validators=[required(), validate_edrpou],
        filters=[strip],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 8},
    )
    oblast = SelectField(
        _l("Oblast"),
        choices=_oblast_choices,
        validators=[required()],
        render_kw={"data-communities": "community"},
    )
    community = SelectField(
        _l("Territorial community (hromada)"),
        validators=[required()],
        validate_choice=False,  # validate_community explains what is wrong
        description=_l("From the official list of communities of the oblast chosen above."),
    )
    status = RadioField(
        _l("Where the organisation works now"),
        choices=STATUS_CHOICES,
        default=OrganisationStatus.ACTIVE.value,
        validators=[InputRequired(message=_l("Choose one of the options."))],
    )
    contact_person = StringField(
        _l("Contact person"),
        validators=[required(), Length(max=200)],
        filters=[strip],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[required(), validate_phone],
        filters=[strip],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = email_field(_l("E-mail of the contact person"))

    ORGANISATION_FIELDS = (
        "kind",
        "organisation_name",
        "edrpou",
        "oblast",
        "community",
        "status",
        "contact_person",
        "phone",
        "email",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_communities(self)

    def load(self, organisation: Organisation) -> None:
        """Show an organisation's saved details (before anything is posted)."""
        self.kind.data = organisation.kind.value
        self.organisation_name.data = organisation.name
        self.edrpou.data = organisation.edrpou
        self.oblast.data = organisation.oblast
        self.community.data = organisation.community_code or ""
        self.status.data = organisation.status.value
        self.contact_person.data = organisation.contact_person
        self.phone.data = organisation.phone
        self.email.data = organisation.email
        self.community.choices = community_choices(organisation.oblast)

    def values(self) -> dict:
        """The posted details as ``Organisation`` attributes (the community by its code)."""
        return {
            "kind": self.kind.data,
            "name": self.organisation_name.data,
            "edrpou": self.edrpou.data,
            "oblast": self.oblast.data,
            "community_code": self.community.data,
            "status": self.status.data,
            "contact_person": self.contact_person.data,
            "phone": self.phone.data,
            "email": self.email.data,
        }

    def validate_community(self, field):
        check_community(self.oblast.data, field.data)


def check_community(oblast: str | None, code: str | None) -> None:
    """Refuse (``ValidationError``) a community that is not in the oblast's official list."""
    if not oblast or oblast not in OBLASTS:
        raise ValidationError(_l("Choose the oblast first, then the community."))
    if hromadas.find(oblast, code or "") is not None:
        return
    if hromadas.name_of(code):
        # Chosen from another oblast's list: the oblast was changed without JavaScript.
        raise ValidationError(
            _l(
                "The list now shows the communities of %(oblast)s: choose the community again.",
                oblast=oblast_name(oblast),
            )
        )
    raise ValidationError(_l("Choose the community from the list."))


class PlaceFields(AppForm):
    """Where a juror lives and works: an oblast and its hromada, both optional. The system
    proposes a conflict of interest from them (SPEC §11), comparing KATOTTG codes."""

    oblast = SelectField(
        _l("Your oblast"),
        choices=_oblast_choices,
        render_kw={"data-communities": "community"},
        description=_l(
            "Optional. When a contest asks for it, you are warned before you read an "
            "application from your oblast or your hromada."
        ),
    )
    community = SelectField(
        _l("Your territorial community (hromada)"),
        validate_choice=False,  # validate_community explains what is wrong
        description=_l("From the official list of communities of the oblast chosen above."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        list_communities(self)

    def validate_oblast(self, field):
        if field.data and field.data not in OBLASTS:
            raise ValidationError(_l("Choose the oblast from the list."))

    def validate_community(self, field):
        if field.data:
            check_community(self.oblast.data, field.data)

    def place(self) -> tuple[str | None, str | None]:
        """(oblast, KATOTTG code), None where left empty."""
        return self.oblast.data or None, self.community.data or None


def apply_organisation_values(organisation: Organisation, values: dict) -> list[str]:
    """Check and set an organisation's details; return the names of what changed.

    ``values`` holds ``Organisation`` attributes with the community as
    ``community_code``; its official name is stored beside the code.
    """
    if not edrpou.is_valid(values["edrpou"]):
        raise OrganisationError(
            "edrpou", _l("An EDRPOU code has 8 digits and a correct check digit; check the code.")
        )
    community = hromadas.find(values["oblast"], values["community_code"])
    if community is None:
        raise OrganisationError("community", _l("Choose the community from the list."))
    same_code = select(Organisation.id).where(Organisation.edrpou == values["edrpou"])
    if organisation.id is not None:
        same_code = same_code.where(Organisation.id != organisation.id)
    taken = db.session.scalar(same_code)
    if taken is not None:
        raise OrganisationError(
            "edrpou",
            _l(
                "An organisation with this EDRPOU code is already "
                "registered. Ask its contact person to invite you."
            ),
        )
    new = {
        **values,
        "kind": OrganisationKind(values["kind"]),
        "status": OrganisationStatus(values["status"]),
        "community": community["name"],
    }
    changed = [name for name, value in new.items() if getattr(organisation, name) != value]
    for name in changed:
        setattr(organisation, name, new[name])
    return changed


def save_organisation(user: User, values: dict) -> Organisation:
    """Update the applicant's organisation (or create it when the account has none)."""
    organisation = user.organisation
    created = organisation is None
    if created:
        organisation = Organisation()
    changed = apply_organisation_values(organisation, values)
    if created:
        db.session.add(organisation)
        user.organisation = organisation
    db.session.flush()
    if changed:
        audit.record(
            "organisation.created" if created else "organisation.updated",
            actor=user,
            obj=organisation,
            fields=sorted(changed),
        )
    return organisation


def applicant_accounts(application: Application) -> list[User]:
    """The applicant accounts of the application's organisation that can receive e-mail."""
    return db.session.scalars(
        select(User)
        .where(
            User.organisation_id == application.organisation_id,
            User.role == Role.APPLICANT,
            User.anonymised_at.is_(None),
        )
        .order_by(User.id)
    ).all()
