"""A contest's rounds under /manage/contests/<slug>/rounds (SPEC §13; rules in
``round_setup.py``): the chain with each round's stage, share and how many advance, the
titles and shares edited together, a round added after the last, the last one removed."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import rounds
from ..access import own_contest
from ..auth import role_required
from ..extensions import db
from ..forms import show_errors
from ..i18n import current_language
from ..models import Role
from . import round_setup
from .forms import RoundForm, RoundsForm
from .operations import ContestError
from .views import bp


@bp.route("/<slug>/rounds", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def rounds_list(slug: str):
    contest = own_contest(slug)
    chain = rounds.chain(contest)
    number = {r.id: n for n, r in enumerate(chain, start=1)}
    organised = [r for r in chain if r.is_organised_by(current_user)]
    declaration = round_setup.declaration_problem(chain)
    # A share left on a round once alone (its next round removed) can still be cleared.
    shares = len(chain) > 1 or chain[0].round_weight is not None
    form = RoundsForm.for_rounds(organised, number, shares=shares and not declaration)
    if not form.is_submitted():
        form.load()
    elif form.validate():
        try:
            changed = round_setup.update_rounds(
                chain, form.values(), actor=current_user._get_current_object()
            )
        except ContestError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing has changed."), "success")
            return redirect(url_for(".rounds_list", slug=slug))
    return render_template(
        "contests/rounds.html",
        contest=contest,
        chain=chain,
        number=number,
        form=form,
        organised={r.id for r in organised},
        advancing={r.id: round_setup.advancing(r) for r in chain},
        declaration=declaration,
        addable=round_setup.addition_problem(chain) is None,
        weights=rounds.weights_problem(chain),
        removable=round_setup.removal_problem(chain[-1], chain) is None,
    )


@bp.route("/<slug>/rounds/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def round_new(slug: str):
    """The next round after the last one of the contest's chain."""
    contest = own_contest(slug)
    chain = rounds.chain(contest)
    problem = round_setup.addition_problem(chain)
    form = RoundForm()
    if not problem and form.validate_on_submit():
        try:
            added = round_setup.add_round(
                contest, form.values(), actor=current_user._get_current_object()
            )
        except ContestError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Round %(number)s is created as a draft with the criteria, settings, "
                    "categories and application form of the round before; its jury is its "
                    "own. Check its set-up below.",
                    number=len(chain) + 1,
                ),
                "success",
            )
            return redirect(url_for(".dashboard", slug=added.slug))
    return render_template(
        "contests/round_new.html",
        contest=contest,
        chain=chain,
        form=form,
        problem=problem,
        last=chain[-1],
    ), (409 if problem and request.method == "POST" else 200)


@bp.route("/<slug>/rounds/last/remove", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def round_remove(slug: str):
    """GET asks for confirmation (or explains why not); POST takes the chain's last round
    out of it."""
    contest = own_contest(slug)
    chain = rounds.chain(contest)
    last = chain[-1]
    problem = round_setup.removal_problem(last, chain)
    if problem is None and not last.is_organised_by(current_user):
        problem = _("You do not organise the last round: ask its organisers to remove it.")
    if request.method == "POST" and problem is None:  # CSRFProtect has checked the token
        try:
            round_setup.remove_round(last, actor=current_user._get_current_object())
        except ContestError as error:
            db.session.rollback()
            problem = error.errors[""]
        else:
            db.session.commit()
            flash(
                _(
                    "Round %(number)s is removed from the contest. Its draft stays among your "
                    "contests as a contest of its own (address %(slug)s).",
                    number=len(chain),
                    slug=last.slug,
                ),
                "success",
            )
            return redirect(url_for(".rounds_list", slug=chain[0].slug))
    language = current_language()
    return render_template(
        "contests/confirm.html",
        contest=contest,
        heading=_("Remove round %(number)s?", number=len(chain)),
        subject=last.round_title(language) or last.title(language),
        text=_(
            "The round leaves the contest: the contest has one round fewer. Its draft, with its "
            "criteria and settings, stays among your contests as a contest of its own."
        ),
        problem=problem,
        submit=_("Remove the round"),
        back=url_for(".rounds_list", slug=slug),
    ), (409 if problem and request.method == "POST" else 200)
