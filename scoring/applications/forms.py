"""Forms of the applicant's pages: the organisation's profile (its fields are in
``scoring.organisations``, shared with registration)."""

from ..organisations import OrganisationFields


class OrganisationForm(OrganisationFields):
    """The applicant's profile at /organisation."""
