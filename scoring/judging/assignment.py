"""Which juror scores which application (SPEC §4 ``jurors_per_application``, §11).

Pure: plain data in, pairs out; no Flask, no SQLAlchemy. ``scoring.judging.jury`` reads
the contest, calls ``plan_assignments`` and stores a scoresheet for each new pair.

The rules:

- **Conflicts the system knows of** (``conflicts``) are never proposed: a juror does not
  score an application of their own organisation, nor, when the contest asks for it, one
  from their own oblast or their own community. Communities are compared by their KATOTTG
  codes, never by names: the same name in two oblasts is two communities, and two
  spellings of one community are one (``judging.operations.party`` gives a party
  without an oblast its community's).
- ``per_application == 0``: every juror without a conflict scores every application.
- ``per_application == N``: each application gets N jurors, counting those it already
  has (a recusal does not count). The applications with the fewest eligible jurors are
  served first, so that a juror who is scarce for them is not used up elsewhere. For
  each application the least-loaded jurors are taken first (a juror's load is their
  assignments in the contest other than recusals, including those this plan adds);
  equal loads are ordered by a hash of (application, juror), which is the same on every
  run and every database yet does not always favour the same juror. From equal loads
  and without conflicts, loads never differ by more than one.
- Existing pairs are kept (a juror is never assigned twice to one application); only
  missing pairs are added.
- An application that cannot get enough jurors without a conflict is reported with how
  many it still lacks: N, or with every juror assigned, the quorum (at most the jury's
  size).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

CONFLICT_KINDS = ("organisation", "oblast", "community")


@dataclass(frozen=True)
class Party:
    """Who someone is, for conflicts: their organisation, oblast and community."""

    organisation_id: int | None = None
    oblast: str | None = None
    community_code: str | None = None  # the KATOTTG code of the hromada


@dataclass(frozen=True)
class Juror:
    id: int
    party: Party = Party()


@dataclass(frozen=True)
class Applicant:
    """An admitted application and the organisation that submitted it."""

    id: int
    party: Party = Party()


@dataclass(frozen=True)
class Rules:
    per_application: int = 0  # 0: every juror
    same_oblast: bool = False  # a juror from the applicant's oblast has a conflict
    same_community: bool = False  # a juror from the applicant's community has a conflict
    quorum: int = 2  # with every juror assigned: fewer jurors than this is a shortage


@dataclass(frozen=True)
class Plan:
    pairs: list[tuple[int, int]]  # new (application id, juror id), in the order chosen
    short: dict[int, int] = field(default_factory=dict)  # application id → jurors missing
    conflicts: int = 0  # pairs left out because of a conflict of interest


def conflicts(
    juror: Party, applicant: Party, *, same_oblast: bool = False, same_community: bool = False
) -> list[str]:
    """The conflicts of interest the system sees between a juror and an applicant (§11).

    ``organisation``: the juror belongs to the applicant; ``oblast`` and ``community``:
    the juror is from the applicant's oblast or community, when the contest asks.
    """
    found = []
    if juror.organisation_id is not None and juror.organisation_id == applicant.organisation_id:
        found.append("organisation")
    if same_oblast and juror.oblast and juror.oblast == applicant.oblast:
        found.append("oblast")
    if same_community and juror.community_code and juror.community_code == applicant.community_code:
        found.append("community")
    return found


def _tie_break(application_id: int, juror_id: int) -> str:
    return hashlib.sha256(f"{application_id}:{juror_id}".encode()).hexdigest()


def plan_assignments(
    applications: Iterable[Applicant],
    jurors: Iterable[Juror],
    rules: Rules,
    *,
    existing: Iterable[tuple[int, int]] = (),
    recused: Iterable[tuple[int, int]] = (),
) -> Plan:
    """The pairs to add so that every application has its jurors (see the module's rules).

    ``existing``: the (application id, juror id) pairs that already have a scoresheet;
    ``recused``: those of them where the juror recused (they neither count towards the
    application's jurors nor towards the juror's load).
    """
    applications = sorted(applications, key=lambda a: a.id)
    jurors = sorted(jurors, key=lambda j: j.id)
    existing, recused = set(existing), set(recused)
    counting = existing - recused
    covered = {a.id: 0 for a in applications}
    load = {j.id: 0 for j in jurors}
    for application_id, juror_id in counting:
        if application_id in covered:
            covered[application_id] += 1
        if juror_id in load and application_id in covered:
            load[juror_id] += 1

    conflicted = 0
    eligible: dict[int, list[Juror]] = {}
    for application in applications:
        free = []
        for juror in jurors:
            if (application.id, juror.id) in existing:
                continue
            if conflicts(
                juror.party,
                application.party,
                same_oblast=rules.same_oblast,
                same_community=rules.same_community,
            ):
                conflicted += 1
                continue
            free.append(juror)
        eligible[application.id] = free

    pairs: list[tuple[int, int]] = []
    short: dict[int, int] = {}
    if rules.per_application <= 0:
        wanted = min(rules.quorum, len(jurors))
        for application in applications:
            pairs += [(application.id, juror.id) for juror in eligible[application.id]]
            have = covered[application.id] + len(eligible[application.id])
            if have < wanted:
                short[application.id] = wanted - have
        return Plan(pairs, short, conflicted)

    order = sorted(applications, key=lambda a: (len(eligible[a.id]), a.id))
    for application in order:
        need = rules.per_application - covered[application.id]
        if need <= 0:
            continue
        chosen = least_loaded(application.id, eligible[application.id], load, need)
        for juror in chosen:
            pairs.append((application.id, juror.id))
            load[juror.id] += 1
        if len(chosen) < need:
            short[application.id] = need - len(chosen)
    return Plan(pairs, short, conflicted)


def least_loaded(
    application_id: int, candidates: Iterable[Juror], load: dict[int, int], count: int = 1
) -> list[Juror]:
    """Up to ``count`` of the ``candidates`` with the lightest ``load`` (juror id → load),
    equal loads in the order of a hash of (application, juror)."""
    ordered = sorted(
        candidates, key=lambda j: (load.get(j.id, 0), _tie_break(application_id, j.id))
    )
    return ordered[:count]
