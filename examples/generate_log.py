"""Make a synthetic coding productivity log from a known scenario.

One replication of the scenario is simulated and its per-chart table turned
into the sessions a coding system would have logged: the first review from
``started_at`` to the query (``query_sent_at``) or to ``coded_at``, the
completion from ``resumed_at`` to ``coded_at``. The first ``--lead-in`` days
are cut, so the log starts with a queue and charts on query hold, as a real
one does; what happened after the horizon is not known to the log.

    python examples/generate_log.py [--scenario S] [--out LOG.csv] [--seed N] [--lead-in DAYS]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import sim

HERE = Path(__file__).resolve().parent
DAY0 = pd.Timestamp("2025-12-29")  # a Monday: day 0 of the simulation; the log starts --lead-in days later


def sessions_from(charts: pd.DataFrame, levels: dict[int, str], lead_in: int, days: int) -> pd.DataFrame:
    """Per-chart times (run minutes) → one row per session, inside the log's window."""
    first_end = charts["query_sent_at"].fillna(charts["coded_at"])
    first = pd.DataFrame({"chart": charts.index, "coder": charts["started_by"],
                          "start": charts["started_at"], "end": first_end})
    done = charts[charts["resumed_at"].notna()]
    completion = pd.DataFrame({"chart": done.index, "coder": done["coder"],
                               "start": done["resumed_at"], "end": done["coded_at"]})
    s = pd.concat([first, completion]).dropna(subset=["start", "end"])
    start, end = lead_in * 1440.0, days * 1440.0
    s = s[(s["start"] >= start) & (s["end"] <= end)]
    c = charts.loc[s["chart"]]

    def stamp(minutes: pd.Series) -> pd.Series:
        t = DAY0 + pd.to_timedelta(minutes.to_numpy(), unit="min")
        return pd.Series(t.round("s").strftime("%Y-%m-%d %H:%M:%S"), index=minutes.index).where(minutes.notna().to_numpy(), "")

    answered = c["query_answered_at"].where(c["query_answered_at"] <= end)
    log = pd.DataFrame({
        "chart_id": [f"A{i:06d}" for i in c["chart_id"]],
        "chart_type": c["chart_type"].astype(str).to_numpy(),
        "coder": [f"C{int(k):02d}" for k in s["coder"]],
        "coder_level": [levels[int(k)] for k in s["coder"]],
        "started_at": stamp(s["start"]).to_numpy(),
        "ended_at": stamp(s["end"]).to_numpy(),
        "discharged_at": stamp(c["arrived_at"]).to_numpy(),
        "query_sent_at": stamp(c["query_sent_at"]).to_numpy(),
        "query_answered_at": stamp(answered).to_numpy(),
    })
    return log.sort_values(["started_at", "coder"]).reset_index(drop=True)


def make_log(scenario: sim.Scenario, seed: int = 1, lead_in: int = 7) -> pd.DataFrame:
    """Simulate one replication and return its log."""
    results = sim.run(scenario, reps=1, seed=seed, workers=1, keep_charts=True)
    charts = results.charts.reset_index(drop=True)
    levels = results.coder_days.drop_duplicates("coder").set_index("coder")["level"].to_dict()
    return sessions_from(charts, {int(k): str(v) for k, v in levels.items()}, lead_in, scenario.days)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=HERE / "department_scenario.yaml")
    parser.add_argument("--out", type=Path, default=HERE / "department_log.csv")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lead-in", type=int, default=7)
    args = parser.parse_args()
    log = make_log(sim.load_scenario(args.scenario), args.seed, args.lead_in)
    log.to_csv(args.out, index=False)
    print(f"{args.out}: {len(log)} sessions, {log['chart_id'].nunique()} charts, "
          f"{log['started_at'].min()[:10]}..{log['ended_at'].max()[:10]}")


if __name__ == "__main__":
    main()
