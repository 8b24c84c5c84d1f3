"""Time and count distributions, written in scenario files as data.

Every random time in chartsim is drawn by *inverse transform*: a chart owns a
fixed row of uniform numbers, and each distribution turns its uniform into a
time. Changing a distribution's parameters therefore moves every chart's time
monotonically instead of reshuffling the draws, which is what makes what-if
comparisons sharp (common random numbers).

Times carry a unit (minutes by default); ``minutes(u)`` always answers in
minutes, the model's clock unit. ``scale`` multiplies every draw, so a
what-if such as "computer-assisted coding cuts outpatient time by 30 %" is
``coding_time.scale: 0.7``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.calendar import DAY
from sim.scenario.schema import FrozenModel

if TYPE_CHECKING:  # numpy loads when a time is first drawn, so reading a scenario stays quick
    import numpy as np

MINUTES_PER = {"minutes": 1.0, "hours": 60.0, "days": DAY}

# Bounds that keep every draw finite: a time parameter is at most MAX_TIME in its
# unit (a million days is still far from float overflow, even scaled by 1000), a
# lognormal's or gamma's sd at most MAX_CV times its mean, a Weibull's shape at
# least MIN_WEIBULL_SHAPE (below it, too, the sd passes MAX_CV times the mean), an
# empirical weight at most MAX_WEIGHT.
MAX_TIME = 1_000_000.0
MAX_CV = 100.0
MIN_WEIBULL_SHAPE = 0.13
MAX_WEIGHT = 1e9

TimeValue = Annotated[float, Field(ge=0, le=MAX_TIME)]


class _Time(FrozenModel):
    unit: Literal["minutes", "hours", "days"] = "minutes"
    scale: float = Field(1.0, ge=0, le=1e3, description="multiplies every draw")

    @property
    def _factor(self) -> float:
        return MINUTES_PER[self.unit] * self.scale

    def minutes(self, u: np.ndarray) -> np.ndarray:
        """Times in minutes for uniforms ``u`` in [0, 1)."""
        factor = self._factor
        times = self._quantile(u)
        return times if factor == 1.0 else times * factor

    def mean_minutes(self) -> float:
        return self._mean() * self._factor

    def _quantile(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class Fixed(_Time):
    """Always the same value."""

    dist: Literal["fixed"]
    value: TimeValue

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        return np.full_like(u, self.value)

    def _mean(self) -> float:
        return self.value


class Uniform(_Time):
    """Equally likely anywhere in [low, high]: the seed-faithful reading of a documented range."""

    dist: Literal["uniform"]
    low: TimeValue
    high: TimeValue

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not be above high ({self.high})")
        return self

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def _mean(self) -> float:
        return (self.low + self.high) / 2


class Triangular(_Time):
    """A range with a most likely value: low ≤ mode ≤ high."""

    dist: Literal["triangular"]
    low: TimeValue
    mode: TimeValue
    high: TimeValue

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"needs low ≤ mode ≤ high (got {self.low}, {self.mode}, {self.high})")
        return self

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        a, c, b = self.low, self.mode, self.high
        if b == a:
            return np.full_like(u, a)
        cut = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < cut, left, right)

    def _mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Exponential(_Time):
    """Memoryless times with the given mean (queueing-theory checks use it)."""

    dist: Literal["exponential"]
    mean: float = Field(gt=0, le=MAX_TIME)

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        return -self.mean * np.log1p(-u)

    def _mean(self) -> float:
        return self.mean


class _MeanSd(_Time):
    """A right-skewed family given by its mean and standard deviation (not log-scale), sd ≤ MAX_CV × mean."""

    mean: float = Field(gt=0, le=MAX_TIME)
    sd: TimeValue

    @model_validator(mode="after")
    def _spread(self) -> _MeanSd:
        if self.sd > MAX_CV * self.mean:
            raise ValueError(f"sd must be at most {MAX_CV:g} times the mean (got sd {self.sd:g}, mean {self.mean:g})")
        return self

    def _mean(self) -> float:
        return self.mean


class Lognormal(_MeanSd):
    """Right-skewed times given by their mean and standard deviation (not log-scale)."""

    dist: Literal["lognormal"]

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np
        from scipy.special import ndtri  # loaded only when a lognormal time is drawn

        sigma2 = math.log1p((self.sd / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * ndtri(u))


class Gamma(_MeanSd):
    """Right-skewed times given by their mean and standard deviation, like the lognormal.

    Its right tail is thinner than the lognormal's (fewer very long charts at the
    same mean and sd). In textbook terms shape = (mean/sd)² and scale = sd²/mean;
    sd = mean is the exponential.
    """

    dist: Literal["gamma"]

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        cv = self.sd / self.mean
        if cv < 1e-100:  # no spread a float can show (and (1/cv)² would overflow): the mean
            return np.full_like(u, self.mean)
        from scipy.special import gammaincinv  # loaded only when a gamma time is drawn

        shape = cv**-2
        return self.mean * (gammaincinv(shape, u) / shape)


class Weibull(_Time):
    """Times given by their mean and a shape: 1 is the exponential, below 1 more very
    long times, above 1 the times bunch around the mean (about 3.5 looks normal).

    The textbook scale (the time 63 % of charts finish within) is mean / Γ(1 + 1/shape);
    the file gives the mean instead because ``scale`` already multiplies every draw.
    """

    dist: Literal["weibull"]
    mean: float = Field(gt=0, le=MAX_TIME)
    shape: float = Field(gt=0, le=MAX_TIME)

    @model_validator(mode="after")
    def _spread(self) -> Weibull:
        if self.shape < MIN_WEIBULL_SHAPE:
            raise ValueError(f"shape must be at least {MIN_WEIBULL_SHAPE:g}: a smaller one gives an sd over "
                             f"{MAX_CV:g} times the mean (got shape {self.shape:g})")
        return self

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        eta = self.mean / math.gamma(1 + 1 / self.shape)
        return eta * (-np.log1p(-u)) ** (1 / self.shape)

    def _mean(self) -> float:
        return self.mean


class Empirical(_Time):
    """Observed times, resampled with optional weights."""

    dist: Literal["empirical"]
    values: list[TimeValue] = Field(min_length=1, max_length=100_000)
    weights: list[Annotated[float, Field(ge=0, le=MAX_WEIGHT)]] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _cumulative(self) -> np.ndarray:
        import numpy as np

        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return np.cumsum(w) / w.sum()

    def _quantile(self, u: np.ndarray) -> np.ndarray:
        import numpy as np

        idx = np.searchsorted(self._cumulative(), u, side="right")
        return np.asarray(self.values)[np.minimum(idx, len(self.values) - 1)]

    def _mean(self) -> float:
        import numpy as np

        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return float(np.dot(self.values, w) / w.sum())


TimeDistribution = Annotated[
    Fixed | Uniform | Triangular | Exponential | Lognormal | Gamma | Weibull | Empirical,
    Field(discriminator="dist"),
]


# ---------------------------------------------------------------- counts


class _Count(FrozenModel):
    def draw(self, rng: np.random.Generator, factor: float = 1.0) -> int:  # pragma: no cover
        raise NotImplementedError

    def total(self, rng: np.random.Generator, n: int) -> int:
        """The sum of ``n`` independent draws (e.g. the login queues of n coders)."""
        return sum(self.draw(rng) for _ in range(n))

    def expected(self) -> float:  # pragma: no cover
        raise NotImplementedError


class FixedCount(_Count):
    """Exactly this many (times the day's factor, rounded)."""

    dist: Literal["fixed"]
    value: int = Field(ge=0, le=1_000_000)

    def draw(self, rng: np.random.Generator, factor: float = 1.0) -> int:
        return round(self.value * factor)

    def expected(self) -> float:
        return float(self.value)


class UniformCount(_Count):
    """A whole number equally likely from low to high inclusive (e.g. 25–40 charts at login)."""

    dist: Literal["uniform_int"]
    low: int = Field(ge=0, le=1_000_000)
    high: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _ordered(self) -> UniformCount:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not be above high ({self.high})")
        return self

    def draw(self, rng: np.random.Generator, factor: float = 1.0) -> int:
        return round((self.low + math.floor(rng.random() * (self.high - self.low + 1))) * factor)

    def total(self, rng: np.random.Generator, n: int) -> int:
        span = self.high - self.low + 1
        if n == 1:  # one coder's queue: the same draw without an array (a microsecond a replication)
            return self.low + math.floor(rng.random() * span)
        return n * self.low + sum(math.floor(u * span) for u in rng.random(n).tolist())

    def expected(self) -> float:
        return (self.low + self.high) / 2


class PoissonCount(_Count):
    """Independent arrivals: a Poisson number with this mean (times the day's factor)."""

    dist: Literal["poisson"]
    mean: float = Field(ge=0, le=1_000_000)

    def draw(self, rng: np.random.Generator, factor: float = 1.0) -> int:
        return int(rng.poisson(self.mean * factor))

    def expected(self) -> float:
        return self.mean


class NegativeBinomialCount(_Count):
    """Overdispersed counts: busier and quieter days than Poisson allows (a Poisson whose mean is gamma-distributed).

    ``dispersion`` k sets the extra spread: variance = mean + mean²/k, so a large k is nearly Poisson. The day's
    factor scales the mean and keeps k.
    """

    dist: Literal["negative_binomial"]
    mean: float = Field(ge=0, le=1_000_000)
    dispersion: float = Field(gt=0, le=1e9, description="k: variance = mean + mean²/k")

    def draw(self, rng: np.random.Generator, factor: float = 1.0) -> int:
        mean = self.mean * factor
        if mean <= 0:
            return 0
        return int(rng.negative_binomial(self.dispersion, self.dispersion / (self.dispersion + mean)))

    def expected(self) -> float:
        return self.mean

    def variance(self, factor: float = 1.0) -> float:
        mean = self.mean * factor
        return mean + mean * mean / self.dispersion


CountDistribution = Annotated[
    FixedCount | UniformCount | PoissonCount | NegativeBinomialCount, Field(discriminator="dist")
]
