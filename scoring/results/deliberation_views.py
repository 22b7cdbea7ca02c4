"""Deliberation pages for the organisers (SPEC §3, §6, §11) and their exports.

Organisers' routes (``/manage/contests/<slug>/…``) answer only the contest's organisers
(anyone else: 404, a signed-in non-organiser: 403) and only from the judging stage on.
What the ranking page shows, and how the applicants of a blind contest are hidden, is
made in ``deliberation``; the decisions are recorded by ``operations``.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import lifecycle, rounds, tables
from ..access import admitted_or_404, own_contest
from ..auth import role_required
from ..documents import jobs
from ..extensions import db
from ..forms import show_errors
from ..i18n import current_language, oblast_name
from ..judging import notices
from ..judging.scores_export import export_scores, scores_table
from ..models import (
    Application,
    Contest,
    Decision,
    DecisionKind,
    Role,
    User,
)
from ..pagecache import cached_page
from ..paging import page_number
from . import deliberation, discussion, operations
from .blueprint import bp, document_url
from .forms import (
    AddJurorForm,
    AwardForm,
    DivergenceForm,
    NoteForm,
    RankingFilterForm,
    RevokeForm,
    TieForm,
)
from .loading import load
from .presentation import Points, find_tie, to_decimal

# Access ----------------------------------------------------------------------------


def _ranking_contest(slug: str) -> Contest:
    contest = own_contest(slug)
    if not lifecycle.scoring_started(contest):
        abort(404)
    return contest


def _ranking_url(contest: Contest, anchor: str = "") -> str:
    return url_for(".ranking", slug=contest.slug) + (f"#{anchor}" if anchor else "")


@bp.route("/manage/contests/<slug>/ranking", endpoint="ranking")
@cached_page
@role_required(Role.ORGANISER)
def ranking_page(slug: str):
    contest = own_contest(slug)
    if not lifecycle.scoring_started(contest):
        return render_template("results/ranking.html", contest=contest, not_yet=True)
    form = RankingFilterForm(request.args, contest, current_language())
    data = deliberation.page(
        contest,
        want_stability=request.args.get("stability") == "1",
        page_number=page_number(request.args),
        filters=form.filters(),
    )
    return render_template(
        "results/ranking.html",
        contest=contest,
        not_yet=False,
        filter_form=form,
        add_juror_form=AddJurorForm(formdata=None),
        rounds=rounds.words(contest),
        protocol_url=document_url(
            "documents.protocol",
            f"/manage/contests/{contest.slug}/protocol.pdf",
            slug=contest.slug,
        ),
        **data,
    )


# Decisions -------------------------------------------------------------------------


def _tie_group(contest: Contest, rank: int, category: str | None):
    loaded = load(contest)
    result, _stale = loaded.rank()
    return loaded, find_tie(result, category or None, rank)


@bp.route("/manage/contests/<slug>/ties/<int:rank>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def tie(slug: str, rank: int):
    """The commission's decision on one undecided tie: which of the tied rows win."""
    contest = _ranking_contest(slug)
    category = request.args.get("category") or None
    loaded, group = _tie_group(contest, rank, category)
    if group is None:
        flash(_("This tie no longer awaits a decision."), "info")
        return redirect(_ranking_url(contest, "ties"))
    names = deliberation.shown_names(contest, loaded)
    form = TieForm()
    form.winners.choices = [
        (row.application_id, f"{row.number} — {names[row.application_id]}") for row in group.rows
    ]
    if lifecycle.ties_open(contest) and form.validate_on_submit():
        try:
            operations.record_tie_decision(
                contest,
                group.category,
                group.rank,
                form.winners.data or [],
                form.reason.data,
                actor=current_user._get_current_object(),
            )
        except operations.ResultsError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The commission’s decision is recorded."), "success")
            return redirect(_ranking_url(contest, "decisions"))
    fmt = Points()
    return render_template(
        "results/tie.html",
        contest=contest,
        group=group,
        form=form,
        rows=[
            {
                "number": row.number,
                "name": names[row.application_id],
                "oblast": oblast_name(row.oblast),
                "score": fmt(row.score),
                "means": [fmt(m) for m in row.criterion_means],
            }
            for row in group.rows
        ],
        criteria=loaded.criteria,
        open=lifecycle.ties_open(contest),
    )


@bp.route("/manage/contests/<slug>/awards/<number>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def award(slug: str, number: str):
    """The commission funds one application partly from what is left (SPEC §12)."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    form = AwardForm()
    open_ = lifecycle.ties_open(contest)
    if open_ and form.validate_on_submit():
        try:
            operations.record_partial_award(
                contest,
                application,
                form.amount.data,
                form.reason.data,
                actor=current_user._get_current_object(),
            )
        except operations.ResultsError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The commission’s decision is recorded."), "success")
            return redirect(_ranking_url(contest, "decisions"))
    loaded = load(contest)
    result, _stale = loaded.rank()
    row = operations.award_candidate(result, application.id)
    return render_template(
        "results/award.html",
        contest=contest,
        application=application,
        name=deliberation.shown_names(contest, loaded).get(application.id, ""),
        row=row,
        limit=operations.award_limit(result, row) if row else None,
        form=form,
        open=open_,
    )


@bp.route("/manage/contests/<slug>/divergences/<number>", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def divergence(slug: str, number: str):
    """How the commission resolved a divergent application: the jurors' sheets side by
    side, the discussion notes and the resolution."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    form = DivergenceForm()
    if lifecycle.revisions_open(contest) and form.validate_on_submit():
        try:
            operations.record_divergence_decision(
                contest, application, form.reason.data, actor=current_user._get_current_object()
            )
        except operations.ResultsError as error:
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The resolution of the divergence is recorded."), "success")
            return redirect(_ranking_url(contest, "divergent"))
    return _divergence_page(contest, application, form, NoteForm(formdata=None))


@bp.route("/manage/contests/<slug>/divergences/<number>/notes", methods=["POST"])
@role_required(Role.ORGANISER)
def divergence_note(slug: str, number: str):
    """A note of the commission's discussion, kept before the decision."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    note_form = NoteForm()
    if note_form.validate_on_submit():
        try:
            discussion.add_note(
                contest, application, note_form.text.data, actor=current_user._get_current_object()
            )
        except operations.ResultsError as error:
            show_errors(note_form, error)
        else:
            db.session.commit()
            flash(_("The note is kept."), "success")
            return redirect(
                url_for(".divergence", slug=contest.slug, number=application.number) + "#notes"
            )
    status = 409 if not lifecycle.revisions_open(contest) else 200
    return _divergence_page(contest, application, DivergenceForm(formdata=None), note_form), status


def _divergence_page(contest: Contest, application: Application, form, note_form):
    loaded = load(contest)
    result, _stale = loaded.rank()
    row = next((r for r in result.rows if r.application_id == application.id), None)
    fmt = Points()
    hidden = deliberation.names_hidden(contest)
    language = current_language()
    return render_template(
        "results/divergence.html",
        contest=contest,
        application=application,
        name=deliberation.shown_names(contest, loaded).get(application.id, ""),
        hidden=hidden,
        row=row,
        totals={j: fmt(t) for j, t in row.juror_totals.items()} if row else {},
        sheets=discussion.side_by_side(contest, application, language),
        notes=discussion.notes(application),
        limit=fmt(to_decimal(result.max_total) * contest.divergence_threshold),
        resolutions=[d for d in loaded.decisions if d.application_id == application.id],
        decided_by=loaded.decided_by,
        form=form,
        note_form=note_form,
        open=lifecycle.revisions_open(contest),
    )


@bp.route("/manage/contests/<slug>/divergences/<number>/add-juror", methods=["POST"])
@role_required(Role.ORGANISER)
def add_juror(slug: str, number: str):
    """One click: the juror proposed on the ranking page gets the application."""
    contest = _ranking_contest(slug)
    application = admitted_or_404(contest, number)
    form = AddJurorForm()
    juror = db.session.get(User, form.juror.data) if form.validate_on_submit() else None
    if juror is None:
        flash(_("Choose a juror of the contest’s jury."), "warning")
        return redirect(_ranking_url(contest, "divergent"))
    try:
        operations.add_juror(contest, application, juror, actor=current_user._get_current_object())
    except operations.ResultsError as error:
        flash(str(error.errors["juror"]), "warning")
    else:
        db.session.commit()
        if lifecycle.scoring_open(contest):
            message = _(
                "%(juror)s is added to application %(number)s and can score it now.",
                juror=juror.name,
                number=application.number,
            )
        else:
            message = _(
                "%(juror)s is added to application %(number)s. Scoring is closed: move the "
                "contest back to the judging stage so that the juror can score it.",
                juror=juror.name,
                number=application.number,
            )
        flash(message, "success")
        notices.tell(*notices.announce_assignments(contest, [(application.id, juror.id)]))
    return redirect(_ranking_url(contest, "divergent"))


@bp.route("/manage/contests/<slug>/decisions/<int:decision_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def revoke(slug: str, decision_id: int):
    contest = _ranking_contest(slug)
    decision = db.session.scalar(
        select(Decision).where(Decision.id == decision_id, Decision.contest_id == contest.id)
    )
    if decision is None:
        abort(404)
    form = RevokeForm()
    problem = operations.revocation_problem(contest, decision)
    if not problem and form.validate_on_submit():
        try:
            operations.revoke_decision(
                contest, decision, form.reason.data, actor=current_user._get_current_object()
            )
        except operations.ResultsError as error:
            form.reason.errors.append(error.errors["reason"])
        else:
            db.session.commit()
            flash(_("The decision is revoked."), "success")
            return redirect(_ranking_url(contest, "decisions"))
    numbers = dict(
        db.session.execute(
            select(Application.id, Application.number).where(
                Application.id.in_([*(decision.winner_ids or []), decision.application_id or 0])
            )
        ).all()
    )
    return render_template(
        "results/revoke.html",
        contest=contest,
        decision=decision,
        numbers=[numbers.get(i, "") for i in decision.winner_ids or []]
        if decision.kind == DecisionKind.TIE
        else [numbers.get(decision.application_id, "")],
        form=form,
        problem=problem,
    )


# Exports ---------------------------------------------------------------------------
# XLSX, or CSV: plain (a byte-order mark, commas, a decimal point) or, with ?excel=1,
# for Excel (semicolons, decimal commas); see scoring.tables.


def _excel() -> bool:
    return request.args.get("excel") == "1"


@bp.route("/manage/contests/<slug>/ranking.csv")
@role_required(Role.ORGANISER)
def ranking_csv(slug: str):
    contest = _ranking_contest(slug)
    table = deliberation.export_table(contest)
    return tables.respond(table, "csv", _excel(), f"{contest.slug}-ranking")


@bp.route("/manage/contests/<slug>/scores.csv")
@role_required(Role.ORGANISER)
def scores_csv(slug: str):
    contest = _ranking_contest(slug)
    if _excel():
        return tables.respond(scores_table(contest), "csv", True, f"{contest.slug}-scores")
    # The very file import-scores reads, with the mark for a double click.
    content = (tables.BOM + export_scores(contest)).encode("utf-8")
    return tables.download(content, f"{contest.slug}-scores.csv")


@bp.route("/manage/contests/<slug>/scores.xlsx", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def scores_xlsx(slug: str):
    """Every score; made in the background for the page's script (a POST), as the long
    documents are: 420,000 scores at 10,000 applications take many seconds."""
    return _workbook(_ranking_contest(slug), "scores", lambda contest: [scores_table(contest)])


@bp.route("/manage/contests/<slug>/ranking.xlsx", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def ranking_xlsx(slug: str):
    """The ranking and the scores, one sheet each (in the background for a POST)."""
    return _workbook(
        _ranking_contest(slug),
        "ranking",
        lambda contest: [deliberation.export_table(contest), scores_table(contest)],
    )


def _workbook(contest: Contest, kind: str, gather) -> Response:
    """The workbook of ``gather(contest)``'s tables: downloaded now (GET), or made in the
    background with its progress (POST, the page's script)."""
    name, contest_id = f"{contest.slug}-{kind}.xlsx", contest.id

    def make(progress) -> tuple[bytes, str]:
        again = db.session.get(Contest, contest_id)  # the job's own session
        return tables.xlsx(*gather(again), progress=progress), name

    if request.method == "POST":
        return jobs.background(make, contest_id)
    return tables.download(*make(None))
