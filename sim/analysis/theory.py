"""Queueing theory the simulator must reproduce (validation references).

M/M/c: Poisson arrivals at rate λ, exponential service at rate μ per server,
c servers, offered load a = λ/μ, utilisation ρ = a/c < 1. Erlang's C formula
gives the probability that an arrival waits (Gross & Harris, *Fundamentals of
Queueing Theory*, 4th ed., §2.3):

    C(c, a) = [a^c / c! · 1/(1−ρ)] / [Σ_{k<c} a^k/k! + a^c / c! · 1/(1−ρ)]

and the mean wait in queue Wq = C(c, a) / (c μ − λ).
"""

from __future__ import annotations


def erlang_c(servers: int, arrival_rate: float, service_rate: float) -> float:
    """P(an arrival waits) in an M/M/c queue."""
    a = arrival_rate / service_rate
    rho = a / servers
    if rho >= 1:
        raise ValueError(f"unstable queue: utilisation {rho:.3f} ≥ 1")
    # Erlang B by the stable recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = a * b / (k + a * b)
    return b / (1 - rho * (1 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue Wq of an M/M/c queue (same time unit as the rates)."""
    return erlang_c(servers, arrival_rate, service_rate) / (servers * service_rate - arrival_rate)
