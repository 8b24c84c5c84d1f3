"""Candidate distributions for observed times, compared by AIC.

Each sample (coding minutes of one chart type, completion minutes, answer
delays in hours) is fitted by maximum likelihood with scipy.stats:
lognormal, gamma and Weibull with location fixed at 0, and triangular on the
sample's range; the empirical distribution is kept beside them. The family
with the lowest AIC (2k − 2 log L) among the parametric ones is chosen; the
Kolmogorov–Smirnov statistic says how far each is from the data.

The winner is written as itself: lognormal and gamma by their mean and sd,
Weibull by its mean and shape, triangular by low, mode and high (four
significant figures). Only if the scenario schema refuses the rounded
parameters (a spread over its bounds) does the scenario get the sample's
percentiles as an empirical distribution; ``Choice.note`` then says so.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from sim.scenario.distributions import TimeDistribution

EMPIRICAL_POINTS = 100  # percentiles kept for an empirical distribution (when the schema refuses the winner)


@dataclass(frozen=True)
class Candidate:
    """One family fitted to the sample."""

    family: str
    params: dict[str, float]
    mean: float
    sd: float
    aic: float  # NaN for the empirical distribution
    ks: float
    frozen: object  # the scipy frozen distribution (None for empirical)


@dataclass(frozen=True)
class Choice:
    """The candidates, the best by AIC, and what the scenario gets."""

    n: int
    candidates: list[Candidate]
    best: Candidate
    dist: dict  # a scenario time distribution
    note: str  # how dist relates to the best fit (for the comment)
    sample: np.ndarray

    def table(self) -> pd.DataFrame:
        best_aic = self.best.aic
        return pd.DataFrame([{
            "family": c.family, "mean": c.mean, "sd": c.sd, "AIC": c.aic,
            "ΔAIC": c.aic - best_aic, "KS": c.ks, "parameters": ", ".join(f"{k}={v:.4g}" for k, v in c.params.items()),
        } for c in self.candidates])

    def comment(self) -> str:
        return f"n={self.n}, {self.best.family} AIC {self.best.aic:.1f}, KS {self.best.ks:.3f}{self.note}"


def fit_candidates(sample: np.ndarray) -> list[Candidate]:
    """Lognormal, gamma, Weibull, triangular (MLE) and empirical fits of a positive sample."""
    x = np.asarray(sample, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s, _, scale = stats.lognorm.fit(x, floc=0)
        out.append(_candidate("lognormal", stats.lognorm(s, 0, scale), x, {"sigma": s, "median": scale}, 2))
        a, _, scale = stats.gamma.fit(x, floc=0)
        out.append(_candidate("gamma", stats.gamma(a, 0, scale), x, {"shape": a, "scale": scale}, 2))
        c, _, scale = stats.weibull_min.fit(x, floc=0)
        out.append(_candidate("weibull", stats.weibull_min(c, 0, scale), x, {"shape": c, "scale": scale}, 2))
        out.append(_triangular(x))
    out.append(Candidate("empirical", {}, float(x.mean()), float(x.std(ddof=1)), math.nan, 0.0, None))
    return out


def _candidate(family: str, dist, x: np.ndarray, params: dict[str, float], k: int) -> Candidate:
    loglik = float(np.sum(dist.logpdf(x)))
    aic = 2 * k - 2 * loglik if math.isfinite(loglik) else math.inf
    ks = float(stats.kstest(x, dist.cdf).statistic)
    return Candidate(family, {k_: float(v) for k_, v in params.items()}, float(dist.mean()), float(dist.std()),
                     aic, ks, dist)


def _triangular(x: np.ndarray) -> Candidate:
    """Triangular on [min − ε, max + ε] with the mode by maximum likelihood (a 1-D search)."""
    span = x.max() - x.min()
    low, high = max(0.0, x.min() - span / len(x)), x.max() + span / len(x)
    if high <= low:
        high = low + 1e-9
    modes = low + np.linspace(0, 1, 201)[:, None] * (high - low)
    with np.errstate(divide="ignore", invalid="ignore"):
        left = np.log(2 * (x - low)) - np.log((high - low) * (modes - low))
        right = np.log(2 * (high - x)) - np.log((high - low) * (high - modes))
        loglik = np.where(x < modes, left, right).sum(axis=1)
    best = float(np.linspace(0, 1, 201)[int(np.nanargmax(np.where(np.isnan(loglik), -np.inf, loglik)))])
    dist = stats.triang(best, low, high - low)
    return _candidate("triangular", dist, x, {"low": low, "mode": low + best * (high - low), "high": high}, 3)


def choose(sample: np.ndarray, unit: str = "minutes") -> Choice:
    """Fit every candidate and pick the scenario distribution (see the module docstring)."""
    x = np.asarray(sample, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    candidates = fit_candidates(x)
    parametric = [c for c in candidates if c.family != "empirical"]
    best = min(parametric, key=lambda c: c.aic)
    unit_key = {} if unit == "minutes" else {"unit": unit}
    dist = {**_written(best), **unit_key}
    try:
        TypeAdapter(TimeDistribution).validate_python(dist)
    except ValidationError as e:
        reason = e.errors()[0]["msg"].removeprefix("Value error, ")
        values = np.quantile(x, (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS)
        note = (f"; the scenario schema refuses this {best.family} ({reason}): "
                f"the sample's {EMPIRICAL_POINTS} percentiles, resampled")
        return Choice(len(x), candidates, best, {"dist": "empirical", "values": [_r(v) for v in values], **unit_key},
                      note, x)
    return Choice(len(x), candidates, best, dist, "", x)


def _written(best: Candidate) -> dict:
    """The best fit as a scenario distribution, in the parameters the schema takes."""
    p = best.params
    if best.family == "triangular":
        return {"dist": "triangular", "low": _r(p["low"]), "mode": _r(p["mode"]), "high": _r(p["high"])}
    if best.family == "weibull":
        return {"dist": "weibull", "mean": _r(best.mean), "shape": _r(p["shape"])}
    return {"dist": best.family, "mean": _r(best.mean), "sd": _r(best.sd)}  # lognormal, gamma


def _r(v: float) -> float:
    """Four significant figures: enough for a time, short in a file."""
    return float(f"{v:.4g}")
