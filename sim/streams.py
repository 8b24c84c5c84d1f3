"""Named random streams: (seed, replication, name) → an independent generator.

Each random process (the arrivals of one chart type, the draws of one chart
type, one coder's interruptions, …) has a stream of its own, derived from
``SeedSequence([seed, replication, key(name)])``. Replication r therefore sees
the same draws in every scenario and variant (common random numbers), results
do not depend on which worker process runs it, and adding a stream never
shifts the draws of the existing ones.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4096)
def stream_key(name: str) -> int:
    """A stable 64-bit number for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def _words(value: int) -> list[int]:
    """A non-negative integer as little-endian 32-bit words, as SeedSequence reads a Python int."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


@lru_cache(maxsize=4096)
def _key_words(name: str) -> tuple[int, ...]:
    return tuple(_words(stream_key(name)))


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named random process in one replication.

    Equal to ``SeedSequence([seed, replication, stream_key(name)])``; the entropy
    is handed over as 32-bit words, which spares SeedSequence its slow path
    for large Python integers.
    """
    entropy = np.array([*_words(seed), *_words(replication), *_key_words(name)], dtype=np.uint32)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
