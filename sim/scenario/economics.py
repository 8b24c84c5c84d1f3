"""The scenario sections with a price: charts sent to a coding vendor, and what the department costs.

Both are off unless the scenario sets them, so a scenario without them keeps
its numbers and its files. ``outsourcing`` sends a share of each chart type
to an outside coding vendor when the chart arrives: the vendor returns it
coded (and billable) after its own turnaround, charges a fee per chart and
makes errors at its own rate; its charts never reach a coder's queue, so they
count in turnaround, DNFB and cost but not in coder productivity. ``costs``
adds what the coders' pay leaves out: the vendor's fees, a
computer-assisted-coding (CAC) licence per coder, the one-off cost of a hire
spread over a stated horizon, and optionally the carrying cost of the DNFB
dollars; with it a run reports ``total_cost`` per working day (sim.runs.cost_metrics).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from sim.scenario.distributions import TimeDistribution
from sim.scenario.schema import FrozenModel as _Frozen


def _by_type(limit: float, unit: str):
    """A validator for ``{chart type: number}`` with every number between 0 and ``limit``."""

    def check(cls, v: dict[str, float]) -> dict[str, float]:  # noqa: ARG001 - pydantic passes the class
        for k, x in v.items():
            if not 0 <= x <= limit:
                raise ValueError(f"{unit} for {k} must be between 0 and {limit:g} (got {x})")
        return v

    return classmethod(check)


class Outsourcing(_Frozen):
    """A coding vendor: a share of each chart type sent to it at arrival, its fee, turnaround and accuracy."""

    share: dict[str, float] = Field(
        min_length=1, description="share of each chart type's arrivals sent to the vendor (a type left out: none)"
    )
    fee_per_chart: dict[str, float] = Field(
        default_factory=dict, description="the vendor's fee per chart by type, $ (a type left out: $0)"
    )
    turnaround: TimeDistribution = Field(
        default_factory=lambda: {"dist": "uniform", "low": 1, "high": 3, "unit": "days"},
        description="from arrival to the chart coded and returned by the vendor (then billable); calendar time",
    )
    error_rate: float = Field(
        0.0, ge=0, le=1,
        description="share of the vendor's charts returned with an error (reworked by the vendor at its own cost)",
    )

    _shares = field_validator("share")(_by_type(1, "share"))
    _fees = field_validator("fee_per_chart")(_by_type(100_000, "fee"))

    def fee(self, kind: str) -> float:
        return self.fee_per_chart.get(kind, 0.0)


class Costs(_Frozen):
    """What a plan costs beyond the coders' pay (which labour_cost and cost_per_chart already count)."""

    cac_licence_per_coder_year: float = Field(
        0.0, ge=0, le=1_000_000, description="computer-assisted-coding licence, $ per coder on staff per year"
    )
    hire_cost: float = Field(
        0.0, ge=0, le=10_000_000, description="one-off cost of each hire (recruiting, onboarding, training), $"
    )
    hire_horizon_years: float = Field(
        3.0, gt=0, le=50, description="years over which a hire's one-off cost is spread"
    )
    staff_now: dict[str, int] = Field(
        default_factory=dict,
        description="coders on staff today by team ('coders' = the main team); coders beyond these are hires. "
        "Empty: nobody is a hire (chartsim plan takes the scenario's own counts)",
    )
    dnfb_annual_rate: float | None = Field(
        None, ge=0, le=1, description="annual carrying cost of the DNFB dollars (e.g. 0.05); needs revenue"
    )

    @field_validator("staff_now")
    @classmethod
    def _counts(cls, v: dict[str, int]) -> dict[str, int]:
        for team, n in v.items():
            if not 0 <= n <= 10_000:
                raise ValueError(f"coders on staff in {team} must be between 0 and 10000 (got {n})")
        return v


def check_sections(scenario) -> None:  # noqa: ANN001 - a Scenario; imported by it
    """Cross-section checks: chart types and teams named exist, DNFB carrying needs revenue."""
    kinds = scenario.chart_types
    if (out := scenario.outsourcing) is not None:
        for field, names in (("share", out.share), ("fee_per_chart", out.fee_per_chart)):
            for kind in names:
                if kind not in kinds:
                    raise ValueError(
                        f"outsourcing.{field}: {kind!r} is not a chart type (chart types: {', '.join(kinds)})"
                    )
    if (costs := scenario.costs) is not None:
        teams = ["coders", *scenario.coders.teams]
        for team in costs.staff_now:
            if team not in teams:
                raise ValueError(f"costs.staff_now: {team!r} is not a team (teams: {', '.join(teams)})")
        if costs.dnfb_annual_rate is not None and scenario.revenue is None:
            raise ValueError("costs.dnfb_annual_rate: the carrying cost of DNFB dollars needs revenue (set revenue.per_chart)")


def team_counts(scenario) -> dict[str, int]:  # noqa: ANN001
    """Coders in each team, by the names ``costs.staff_now`` uses ('coders' = the main team)."""
    return {name.removeprefix("coders.teams."): t.count for name, t in scenario.all_teams()}


def hires(scenario) -> int:  # noqa: ANN001
    """Coders beyond ``costs.staff_now``, team by team (0 without costs or with staff_now empty)."""
    if scenario.costs is None or not scenario.costs.staff_now:
        return 0
    now = scenario.costs.staff_now
    return sum(max(0, n - now.get(team, n)) for team, n in team_counts(scenario).items())
