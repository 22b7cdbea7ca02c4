"""Amounts of hryvnias (SPEC §12): the fund of a contest or a category, the most one
application may ask for, and the amount it asks for.

Where the money is: a contest without categories keeps ``fund`` and ``max_request`` itself;
a contest with categories keeps them on each category (``holder``). An application
states ``requested`` when its holder has a fund, and never more than its holder's
``max_request``. An application that has no category yet in a contest with categories
(an applicant in the browser does not choose one) is held to what every category allows:
it states an amount when any category has a fund, at most the largest limit.

Amounts are typed as people write them («48 000,00», «48000.5», «48 000»: the one
number reader of the app, ``i18n.parse_number``) and read by ``read_amount``: a positive
number with at most two places (kopecks) and at most ``AMOUNT_MAX``; each refusal says
why, in the interface language. Amounts stay ``Decimal`` from the form to the documents
and are printed by ``i18n.money``.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from .i18n import money, parse_number
from .models import Application, Category, Contest
from .ranking import decimal_places

AMOUNT_MAX = Decimal("999999999999.99")  # what the columns hold (NUMERIC(14, 2))
REQUESTED_FIELD = "requested"  # the amount's input on the application form


class AmountError(ValueError):
    """An amount that cannot be taken; ``message`` says why (lazily translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def read_amount(text: str) -> Decimal:
    """The amount typed in ``text``, or ``AmountError``: a number of hryvnias greater than
    0, with at most two digits after the decimal comma, at most ``AMOUNT_MAX``."""
    value = parse_number(text)
    if value is None:
        raise AmountError(_l("Enter an amount in hryvnias, e.g. 48 000,00."))
    if value <= 0:
        raise AmountError(_l("Enter an amount greater than 0."))
    if decimal_places(value) > 2:
        raise AmountError(_l("Use at most two digits after the decimal comma (kopecks)."))
    if value > AMOUNT_MAX:
        raise AmountError(_l("Enter an amount of at most %(max)s.", max=money(AMOUNT_MAX)))
    return value.quantize(Decimal("0.01"))


def holder(contest: Contest, category: Category | None) -> Contest | Category | None:
    """What holds the fund an application competes for: its category in a contest with
    categories (None while it has none), else the contest."""
    if contest.categories:
        return category
    return contest


def has_fund(contest: Contest) -> bool:
    """Whether any winner of the contest is funded (the contest or a category has a fund)."""
    if contest.categories:
        return any(c.fund is not None for c in contest.categories)
    return contest.fund is not None


def asks_amount(contest: Contest, category: Category | None) -> bool:
    """Whether an application in ``category`` states the amount it requests."""
    where = holder(contest, category)
    return has_fund(contest) if where is None else where.fund is not None


def request_limit(contest: Contest, category: Category | None) -> Decimal | None:
    """The most an application in ``category`` may request (None: no limit)."""
    where = holder(contest, category)
    if where is not None:
        return where.max_request if where.fund is not None else None
    limits = [c.max_request for c in contest.categories if c.fund is not None]
    return max(limits) if limits and None not in limits else None


def limit_problem(value: Decimal, contest: Contest, category: Category | None):
    """Why ``value`` is more than the application may request, or None."""
    limit = request_limit(contest, category)
    if limit is not None and value > limit:
        return _l(
            "The most one application may request is %(max)s; you entered %(amount)s.",
            max=money(limit),
            amount=money(value),
        )
    return None


def save_requested(application: Application, text: str):
    """Store the amount typed into a draft (empty: none yet); None, or the problem, in
    which case nothing is stored and what was typed stays in the form. Ignored where
    the application states no amount."""
    if not asks_amount(application.contest, application.category):
        return None
    if not text.strip():
        application.requested = None
        return None
    try:
        value = read_amount(text)
    except AmountError as error:
        return error.message
    problem = limit_problem(value, application.contest, application.category)
    if problem is None:
        application.requested = value
    return problem


def requested_problems(application: Application) -> list[tuple[str, object]]:
    """What keeps the application's amount from being submitted (field, message)."""
    contest, category = application.contest, application.category
    if not asks_amount(contest, category):
        return []
    if application.requested is None:
        return [(REQUESTED_FIELD, _l("State the amount you request, in hryvnias."))]
    problem = limit_problem(application.requested, contest, category)
    return [(REQUESTED_FIELD, problem)] if problem else []


def fund_problems(fund: Decimal | None, max_request: Decimal | None) -> dict[str, object]:
    """What is wrong with a fund and the most one application may request, together
    (``max_request`` → message): a limit needs a fund, and no more than the fund."""
    if max_request is None:
        return {}
    if fund is None:
        return {
            "max_request": _l(
                "Set the fund as well: the most one application may request applies only "
                "to a contest with a fund."
            )
        }
    if max_request > fund:
        return {
            "max_request": _l(
                "The most one application may request cannot be more than the fund (%(fund)s).",
                fund=money(fund),
            )
        }
    return {}
