"""Choosing jurors for applications: the pure rules of ``scoring.judging.assignment``."""

from collections import Counter

import hypothesis
from hypothesis import strategies as st

from scoring.judging.assignment import (
    Applicant,
    Juror,
    Party,
    Rules,
    conflicts,
    least_loaded,
    plan_assignments,
)
from scoring.judging.operations import party as party_of

examples = hypothesis.settings(max_examples=80, deadline=None, database=None)


def _applications(count: int, oblast: str = "UA-14") -> list[Applicant]:
    return [
        Applicant(100 + i, Party(organisation_id=1000 + i, oblast=oblast, community_code=f"C{i}"))
        for i in range(count)
    ]


def _jurors(count: int) -> list[Juror]:
    return [Juror(i + 1, Party(oblast="UA-30")) for i in range(count)]


def _loads(pairs, jurors) -> Counter:
    load = Counter({j.id: 0 for j in jurors})
    load.update(juror for _application, juror in pairs)
    return load


def test_with_zero_per_application_every_juror_scores_every_application():
    applications, jurors = _applications(4), _jurors(3)
    plan = plan_assignments(applications, jurors, Rules(per_application=0))
    assert sorted(plan.pairs) == sorted((a.id, j.id) for a in applications for j in jurors)
    assert plan.short == {} and plan.conflicts == 0


def test_n_per_application_spreads_the_load_evenly():
    applications, jurors = _applications(10), _jurors(5)
    plan = plan_assignments(applications, jurors, Rules(per_application=2))
    per_application = Counter(application for application, _juror in plan.pairs)
    assert all(per_application[a.id] == 2 for a in applications)
    assert len(set(plan.pairs)) == 20  # no juror twice on one application
    assert set(_loads(plan.pairs, jurors).values()) == {4}
    assert plan.short == {}


def test_uneven_totals_differ_by_at_most_one():
    applications, jurors = _applications(7), _jurors(3)
    plan = plan_assignments(applications, jurors, Rules(per_application=2))
    assert sorted(_loads(plan.pairs, jurors).values()) == [4, 5, 5]


def test_the_plan_is_the_same_on_every_run_and_whatever_the_input_order():
    applications, jurors = _applications(9), _jurors(4)
    first = plan_assignments(applications, jurors, Rules(per_application=2))
    again = plan_assignments(applications[::-1], jurors[::-1], Rules(per_application=2))
    assert first == again


def test_a_juror_is_never_assigned_to_their_own_organisation():
    applications = _applications(6)
    insider = Juror(1, Party(organisation_id=applications[2].party.organisation_id))
    jurors = [insider, *_jurors(4)[1:]]
    for per_application in (0, 2, 3):
        plan = plan_assignments(applications, jurors, Rules(per_application=per_application))
        assert (applications[2].id, insider.id) not in plan.pairs
        assert plan.conflicts == 1
    every = plan_assignments(applications, jurors, Rules(per_application=0))
    assert len(every.pairs) == 6 * 4 - 1


KHARKIV = "UA63120270000028556"  # Харківська міська територіальна громада
POKROVSK_DNIPRO = "UA12080090000039979"  # Покровська міська, Дніпропетровська область
POKROVSK_DONETSK = "UA14160210000011148"  # Покровська міська, Донецька область


def test_oblast_and_community_conflicts_apply_only_when_the_contest_asks():
    applicant = Applicant(1, Party(organisation_id=9, oblast="UA-63", community_code=KHARKIV))
    neighbour = Juror(7, Party(oblast="UA-63", community_code=KHARKIV))
    assert plan_assignments([applicant], [neighbour], Rules()).pairs == [(1, 7)]
    by_oblast = plan_assignments([applicant], [neighbour], Rules(same_oblast=True))
    assert by_oblast.pairs == [] and by_oblast.conflicts == 1
    by_community = plan_assignments([applicant], [neighbour], Rules(same_community=True))
    assert by_community.pairs == []
    assert conflicts(neighbour.party, applicant.party, same_oblast=True, same_community=True) == [
        "oblast",
        "community",
    ]
    assert conflicts(Party(), applicant.party, same_oblast=True, same_community=True) == []


def test_communities_are_compared_by_their_katottg_codes_not_their_names():
    # Issue 13: the same name in two oblasts was flagged, a spelling of the same hromada
    # was missed. Codes decide; a party's oblast, when missing, is its hromada's.
    in_dnipro = party_of(None, "UA-12", POKROVSK_DNIPRO)
    in_donetsk = party_of(9, "UA-14", POKROVSK_DONETSK)
    assert conflicts(in_dnipro, in_donetsk, same_oblast=True, same_community=True) == []
    from_the_code_alone = party_of(None, None, POKROVSK_DONETSK)
    assert from_the_code_alone.oblast == "UA-14"
    assert conflicts(from_the_code_alone, in_donetsk, same_oblast=True, same_community=True) == [
        "oblast",
        "community",
    ]
    assert conflicts(party_of(None, None, ""), in_donetsk, same_community=True) == []


def test_existing_pairs_are_kept_and_count_towards_the_jurors_and_the_load():
    applications, jurors = _applications(3), _jurors(3)
    existing = {(applications[0].id, 1), (applications[0].id, 2), (applications[1].id, 1)}
    plan = plan_assignments(applications, jurors, Rules(per_application=2), existing=existing)
    assert not set(plan.pairs) & existing
    everything = [*existing, *plan.pairs]
    per_application = Counter(application for application, _juror in everything)
    assert all(per_application[a.id] == 2 for a in applications)
    assert sorted(_loads(everything, jurors).values()) == [2, 2, 2]


def test_a_recusal_does_not_count_and_the_recused_juror_is_not_assigned_again():
    applications, jurors = _applications(1), _jurors(3)
    recusal = (applications[0].id, 1)
    plan = plan_assignments(
        applications,
        jurors,
        Rules(per_application=2),
        existing={recusal, (applications[0].id, 2)},
        recused={recusal},
    )
    assert plan.pairs == [(applications[0].id, 3)]


def test_an_application_without_enough_jurors_is_reported():
    applications = _applications(2)
    jurors = [
        Juror(1, Party(organisation_id=applications[0].party.organisation_id)),
        *_jurors(3)[1:],
    ]
    plan = plan_assignments(applications, jurors, Rules(per_application=3))
    assert plan.short == {applications[0].id: 1}
    assert Counter(a for a, _j in plan.pairs) == {applications[0].id: 2, applications[1].id: 3}
    every = plan_assignments(applications, jurors[:2], Rules(per_application=0, quorum=2))
    assert every.short == {applications[0].id: 1}


def test_applications_with_the_fewest_eligible_jurors_are_served_first():
    # Only juror 1 may score application 4; application 3 could take anyone, and the
    # tie-break would give it juror 1 too if it were served first (as its id suggests).
    free = Applicant(3, Party(oblast="UA-63"))
    constrained = Applicant(4, Party(oblast="UA-14"))
    jurors = [
        Juror(1, Party(oblast="UA-30")),
        Juror(2, Party(oblast="UA-14")),
        Juror(3, Party(oblast="UA-14")),
    ]
    assert least_loaded(free.id, jurors, {}, 1)[0].id == 1
    plan = plan_assignments([free, constrained], jurors, Rules(1, same_oblast=True))
    assert (4, 1) in plan.pairs and plan.short == {}
    assert max(_loads(plan.pairs, jurors).values()) == 1


def test_least_loaded_picks_the_lightest_and_breaks_ties_by_a_stable_hash():
    jurors = _jurors(4)
    assert [j.id for j in least_loaded(5, jurors, {1: 3, 2: 1, 3: 2, 4: 1}, 1)] in ([2], [4])
    assert {j.id for j in least_loaded(5, jurors, {1: 3, 2: 1, 3: 2, 4: 1}, 2)} == {2, 4}
    picks = {least_loaded(a, jurors, {}, 1)[0].id for a in range(40)}
    assert len(picks) > 1  # equal loads do not always favour the same juror


@examples
@hypothesis.given(
    applications=st.integers(0, 25),
    jurors=st.integers(1, 8),
    per_application=st.integers(1, 8),
)
def test_property_without_conflicts_loads_differ_by_at_most_one(
    applications, jurors, per_application
):
    apps, people = _applications(applications), _jurors(jurors)
    plan = plan_assignments(apps, people, Rules(per_application=per_application))
    loads = _loads(plan.pairs, people).values()
    assert max(loads) - min(loads) <= 1
    assert len(set(plan.pairs)) == len(plan.pairs)
    expected = min(per_application, jurors)
    assert Counter(a for a, _j in plan.pairs) == {a.id: expected for a in apps if expected}
    assert plan.short == (
        {a.id: per_application - jurors for a in apps} if per_application > jurors else {}
    )


party = st.builds(
    Party,
    organisation_id=st.one_of(st.none(), st.integers(1, 4)),
    oblast=st.sampled_from([None, "UA-14", "UA-63"]),
    community_code=st.sampled_from([None, KHARKIV, POKROVSK_DNIPRO, POKROVSK_DONETSK]),
)


@examples
@hypothesis.given(
    applicant_parties=st.lists(party, max_size=12),
    juror_parties=st.lists(party, min_size=1, max_size=6),
    per_application=st.integers(0, 4),
    same_oblast=st.booleans(),
    same_community=st.booleans(),
    existing_share=st.integers(0, 3),
)
def test_property_never_a_conflicted_pair_never_a_pair_twice(
    applicant_parties, juror_parties, per_application, same_oblast, same_community, existing_share
):
    apps = [Applicant(i + 1, p) for i, p in enumerate(applicant_parties)]
    people = [Juror(i + 1, p) for i, p in enumerate(juror_parties)]
    existing = {(a.id, j.id) for a in apps for j in people if (a.id + j.id) % 4 < existing_share}
    rules = Rules(per_application, same_oblast, same_community)
    plan = plan_assignments(apps, people, rules, existing=existing)
    parties = {j.id: j.party for j in people}
    applicants = {a.id: a.party for a in apps}
    for application_id, juror_id in plan.pairs:
        assert not conflicts(
            parties[juror_id],
            applicants[application_id],
            same_oblast=same_oblast,
            same_community=same_community,
        )
    assert len(set(plan.pairs)) == len(plan.pairs)
    assert not set(plan.pairs) & existing
    if per_application:
        everything = Counter(a for a, _j in [*existing, *plan.pairs])
        for application in apps:
            have = everything[application.id]
            assert (
                have >= per_application or plan.short.get(application.id) == per_application - have
            )
            # never more new jurors than the application needed
            added = sum(1 for a, _j in plan.pairs if a == application.id)
            existing_count = sum(1 for a, _j in existing if a == application.id)
            assert added <= max(0, per_application - existing_count)
