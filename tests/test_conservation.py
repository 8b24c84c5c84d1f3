"""Property tests: no chart is lost, times are ordered, every paid minute is accounted for."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.department import simulate
from sim.scenario.config import parse_scenario

KINDS = ("inpatient", "outpatient", "surgical")


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True))
    chart_types = {
        k: {
            "coding_time": {"dist": "uniform", "low": draw(st.floats(1, 10)), "high": draw(st.floats(10, 40))},
            "query": {
                "probability": draw(st.floats(0, 1)),
                "completion_time": {"dist": "exponential", "mean": draw(st.floats(1, 10))},
            },
        }
        for k in kinds
    }
    shares = [draw(st.integers(1, 5)) for _ in kinds]
    start = draw(st.integers(0, 12))
    end = start + draw(st.integers(2, 11))
    breaks = [{"at": f"{start + 1:02d}:00", "minutes": 15}] if draw(st.booleans()) and end > start + 1 else []
    return {
        "days": draw(st.integers(1, 4)),
        "start_weekday": draw(st.sampled_from(["mon", "thu", "sat"])),
        "chart_types": chart_types,
        "arrivals": {
            "mix": {k: s / sum(shares) for k, s in zip(kinds, shares)},
            "at_login_per_coder": {"dist": "uniform_int", "low": 0, "high": draw(st.integers(0, 40))},
            "daily": {kinds[0]: {"count": {"dist": "poisson", "mean": draw(st.floats(0, 30))}}},
            "per_hour": {kinds[-1]: draw(st.floats(0, 5))},
        },
        "coders": {
            "count": draw(st.integers(1, 3)),
            "policy": draw(st.sampled_from(["oldest_first", "returns_first", "type_priority"])),
            "teams": {"specialists": {"count": draw(st.integers(0, 2)), "skills": [kinds[0]]}},
        },
        "shift": {"start": f"{start:02d}:00", "end": f"{end:02d}:00"},
        "breaks": breaks,
        "interruptions": {"per_day": draw(st.floats(0, 6))},
        "overtime": draw(st.sampled_from([None, {"backlog_threshold": 5, "minutes": 30}])),
        "queries": {"answer_delay": {"dist": "exponential", "mean": draw(st.floats(0.5, 48)), "unit": "hours"}},
    }


def ordered(*times: float) -> bool:
    seen = [t for t in times if not math.isnan(t)]
    return all(a <= b + 1e-9 for a, b in zip(seen, seen[1:]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_every_chart_is_coded_waiting_in_hand_or_on_hold(data: dict, seed: int) -> None:
    scenario = parse_scenario(data)
    records = simulate(scenario, seed, 0)
    states = {"coded": 0, "on_hold": 0, "in_hand": 0, "waiting": 0}
    for c in records.charts:
        assert c.arrived_at <= records.horizon
        assert ordered(c.arrived_at, c.started_at, c.query_sent_at, c.query_answered_at, c.resumed_at, c.coded_at)
        if not math.isnan(c.coded_at):
            states["coded"] += 1
            assert c.coder >= 0
        elif not math.isnan(c.query_sent_at) and math.isnan(c.query_answered_at):
            states["on_hold"] += 1
        elif not math.isnan(c.started_at) and (math.isnan(c.query_sent_at) or not math.isnan(c.resumed_at)):
            states["in_hand"] += 1
        else:
            states["waiting"] += 1
    assert sum(states.values()) == len(records.charts)
    # a coder holds at most one chart at a time
    assert states["in_hand"] <= scenario.n_coders
    coded = sum(sum(d.coded) for d in records.coder_days)
    assert coded == states["coded"]
    for d in records.coder_days:
        accounted = d.coding + d.query_writing + d.interrupted + d.on_break + d.idle
        assert accounted >= d.paid - 1e-6, "a paid minute is unaccounted for"
        assert min(d.coding, d.query_writing, d.interrupted, d.on_break, d.idle) >= -1e-9
