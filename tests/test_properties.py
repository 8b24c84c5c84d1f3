"""Invariants over random valid scenarios (hypothesis): what must hold on every day of every run.

Each example is a small department over a few days — random shifts, breaks,
overtime, billing questions, queries, physician hours, policies — run for two
replications; the tables it produces must agree with each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.scenario.calendar import DAY, WEEKDAYS, clock_minutes
from sim.scenario.config import parse_scenario

TIME_USE = ["coding_minutes", "query_minutes", "interrupted_minutes", "break_minutes", "idle_minutes"]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def scenarios(draw: st.DrawFn, policy: str | None = None, teams: bool = False) -> dict:
    """A small random department; ``teams`` adds a second team of another level coding only some types,
    and may narrow the main team's types too (as departments with specialists are: some types then
    share coders and some do not, and a type may wait for a coder who never comes)."""
    n_types = draw(st.integers(1, 3))
    kinds = ["inpatient", "outpatient", "surgical"][:n_types]
    chart_types = {}
    for k in kinds:
        low = draw(st.integers(2, 30))
        coding = draw(st.sampled_from([
            {"dist": "uniform", "low": low, "high": low + draw(st.integers(0, 20))},
            {"dist": "exponential", "mean": low},
            {"dist": "fixed", "value": low},
        ]))
        chart_types[k] = {"coding_time": coding, "query": {"probability": draw(st.sampled_from([0, 0.1, 0.5, 1.0]))}}
    round_the_clock = draw(st.booleans()) and draw(st.booleans())
    if round_the_clock:
        shift = {"start": "00:00", "end": "24:00", "workdays": list(WEEKDAYS)}
        start, end = 0, 1440
    else:
        start = draw(st.integers(6 * 4, 10 * 4)) * 15
        end = min(start + draw(st.integers(4 * 4, 10 * 4)) * 15, 1440)
        workdays = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
        shift = {"start": _clock(start), "end": _clock(end), "workdays": workdays}
    shift["after_shift_pay_factor"] = draw(st.sampled_from([1.0, 1.5]))
    breaks = [
        {"at": _clock(start + draw(st.integers(0, (end - start - 1) // 15)) * 15), "minutes": draw(st.integers(5, 40))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    mix = {k: 1 / n_types for k in kinds}
    data: dict = {
        "days": draw(st.integers(1, 6)),
        "start_weekday": draw(st.sampled_from(WEEKDAYS)),
        "chart_types": chart_types,
        "arrivals": {
            "mix": mix,
            "at_login_per_coder": {"dist": "uniform_int", "low": 0, "high": draw(st.integers(0, 25))},
            "daily": {k: {"count": {"dist": "poisson", "mean": draw(st.integers(0, 15))}} for k in kinds},
            "per_hour": {kinds[0]: draw(st.sampled_from([0, 0.5, 2.0]))},
        },
        "coders": {"count": draw(st.integers(1, 3)),
                   "policy": policy or draw(st.sampled_from(["oldest_first", "returns_first", "type_priority"]))},
        "shift": shift,
        "breaks": breaks,
        "interruptions": {"per_day": draw(st.sampled_from([0, 1, 4])),
                          "duration": {"dist": "uniform", "low": 1, "high": draw(st.integers(2, 30))}},
        "queries": {"answer_delay": {"dist": "exponential", "mean": draw(st.integers(1, 48)), "unit": "hours"}},
    }
    if teams:
        subset = st.lists(st.sampled_from(kinds), min_size=1, max_size=n_types, unique=True)
        if draw(st.booleans()):
            data["coders"]["skills"] = draw(subset)
        data["coders"]["allow_uncoded_types"] = True  # a type nobody codes waits (the schema asks for the flag)
        data["coders"]["teams"] = {"specialists": {"count": draw(st.integers(1, 2)),
                                                   "level": draw(st.sampled_from(["entry", "experienced"])),
                                                   "skills": draw(subset)}}
    if draw(st.booleans()):
        data["overtime"] = {"backlog_threshold": draw(st.integers(0, 30)), "minutes": draw(st.integers(10, 90))}
    if draw(st.booleans()):
        data["queries"]["physician_hours"] = {"start": "08:00", "end": "17:00"}
    return data


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _run(data: dict, seed: int):
    scenario = parse_scenario(data)
    return scenario, sim.run(scenario, reps=2, seed=seed)


@SETTINGS
@given(scenarios(), st.integers(0, 2**31))
def test_tables_agree(data: dict, seed: int) -> None:
    _tables_agree(data, seed)


@SETTINGS
@given(scenarios(teams=True), st.integers(0, 2**31))
def test_tables_agree_with_teams_of_other_skills(data: dict, seed: int) -> None:
    _tables_agree(data, seed)


def _tables_agree(data: dict, seed: int) -> None:
    scenario, results = _run(data, seed)
    charts, cd, days = results.charts, results.coder_days, results.days
    kinds = list(scenario.chart_types)

    # every chart counted once, and coded charts per type equal in both tables
    assert not charts.duplicated(["replication", "chart_id"]).any()
    coded = charts.dropna(subset=["coded_at"]).groupby(["replication", "chart_type"], observed=False).size()
    for kind in kinds:
        per_rep = cd.groupby("replication")[f"coded_{kind}"].sum()
        for rep in results.replications["replication"]:
            assert per_rep.get(rep, 0) == coded.get((rep, kind), 0), (rep, kind)
    assert (cd["charts_coded"] == cd[[f"coded_{k}" for k in kinds]].sum(axis=1)).all()

    # time use adds up to the paid minutes, exactly as recorded
    np.testing.assert_allclose(cd[TIME_USE].sum(axis=1), cd["paid_minutes"], rtol=0, atol=1e-6)
    assert (cd[TIME_USE + ["after_shift_minutes", "overtime_minutes"]] >= -1e-9).all().all()
    # overtime and after-shift time are parts of the time at work, each counted on one day only
    assert (cd["overtime_minutes"] + cd["after_shift_minutes"] <= cd["paid_minutes"] + 1e-6).all()

    # the last day's backlog is every chart not coded; on hold is every query not yet answered
    last = days.loc[days["day"] == scenario.days - 1].set_index("replication")
    for rep, group in charts.groupby("replication"):
        assert last.at[rep, "backlog"] == group["coded_at"].isna().sum()
        held = group["query_sent_at"].notna() & group["query_answered_at"].isna()
        assert last.at[rep, "on_hold"] == held.sum()
    arrived = charts.groupby("replication").size().reindex(last.index, fill_value=0)
    assert (days.groupby("replication")["arrived"].sum() == arrived).all()

    # overtime is the same for every coder of a day
    assert (cd.groupby(["replication", "day"])["overtime_minutes"].nunique() <= 1).all()


@SETTINGS
@given(scenarios(), st.integers(0, 2**31))
def test_billing_questions_belong_to_their_day(data: dict, seed: int) -> None:
    """A question comes within its own day's shift and is answered then, not at a later login."""
    scenario, results = _run(data, seed)
    q = results.activities.loc[results.activities["activity"] == "billing_question"]
    start, end = clock_minutes(scenario.shift.start), clock_minutes(scenario.shift.end)
    assert (q["arrived_at"] >= q["day"] * DAY + start).all()
    assert (q["arrived_at"] < q["day"] * DAY + end).all()
    assert (q["start"] >= q["arrived_at"] - 1e-9).all()
    # answered before the coder logged out that day, and counted on that coder-day
    cd = results.coder_days.set_index(["replication", "day", "coder"])
    counts = q.groupby(["replication", "day", "coder"]).size()
    assert (cd["interruptions"].reindex(counts.index) == counts).all()
    assert cd["interruptions"].sum() == len(q)
    minutes = q.groupby(["replication", "day", "coder"])["minutes"].sum()
    np.testing.assert_allclose(cd["interrupted_minutes"].reindex(minutes.index), minutes, atol=1e-6)


@SETTINGS
@given(scenarios(policy="oldest_first"), st.integers(0, 2**31))
def test_oldest_first_never_skips_an_older_chart(data: dict, seed: int) -> None:
    """Whenever a coder takes a chart, no chart earlier in queue order was waiting."""
    _, results = _run(data, seed)
    for _, ch in results.charts.groupby("replication"):
        parts = pd.concat([
            pd.DataFrame({"id": ch["chart_id"], "ready": ch["arrived_at"], "taken": ch["started_at"]}),
            pd.DataFrame({"id": ch["chart_id"], "ready": ch["query_answered_at"], "taken": ch["resumed_at"]}),
        ]).dropna(subset=["ready"])
        taken = parts["taken"].fillna(np.inf).to_numpy()
        ready, ids = parts["ready"].to_numpy(), parts["id"].to_numpy()
        for i, t in zip(ids[np.isfinite(taken)], taken[np.isfinite(taken)]):
            skipped = (ids < i) & (ready < t) & (taken > t)
            assert not skipped.any(), f"chart {i} taken at {t} while {ids[skipped][:3]} waited"


def _records(rec) -> tuple:
    """Everything a replication recorded, as plain values (NaN as None, so equal runs compare equal)."""
    charts = tuple(
        tuple(None if v != v else v for v in getattr(rec.charts, name))
        for name in ("kind", "started_at", "query_sent_at", "query_answered_at", "resumed_at", "coded_at", "coder",
                     "started_by")
    )
    days = tuple((d.day, d.coder, d.login, d.logout, d.coding, d.idle, d.on_break, d.interrupted, tuple(d.coded))
                 for d in rec.coder_days)
    return charts, days, tuple(rec.activities)


@SETTINGS
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_lookahead_changes_nothing_but_the_events(data: dict, seed: int) -> None:
    """A coder skipping timeouts nothing could come before (sim.model.clock) gives the very same run, to the bit."""
    from sim.model.department import Department

    scenario = parse_scenario(data)
    with_skips = list(Department(scenario, lookahead=True).replications(seed, [0, 1]))
    every_event = list(Department(scenario, lookahead=False).replications(seed, [0, 1]))
    assert [_records(r) for r in with_skips] == [_records(r) for r in every_event]


@SETTINGS
@given(data=scenarios(teams=True), seed=st.integers(0, 2**32 - 1))
def test_shared_queues_change_nothing(data: dict, seed: int) -> None:
    """Types coded by the same coders share a queue (sim.model.worklist.queue_slots): the run equals one with a
    queue per type, to the bit, whatever the teams' skills and the policy."""
    from sim.model.department import Department

    scenario = parse_scenario(data)
    shared = Department(scenario)
    apart = Department(scenario)
    apart.slots = tuple(range(apart.n_types))
    assert [_records(r) for r in shared.replications(seed, [0, 1])] == [
        _records(r) for r in apart.replications(seed, [0, 1])]
