"""Named random streams: (seed, replication, name) → an independent generator.

Each random process (the arrivals of one chart type, the draws of one chart
type, one coder's interruptions, …) has a stream of its own: a PCG64
generator whose whole 256-bit state (position and increment) is the BLAKE2b
hash of the seed, the replication and the stream's name. Replication r
therefore sees the same draws in every scenario and variant (common random
numbers), results do not depend on which worker process runs it, and adding a
stream never shifts the draws of the existing ones.

Hashing straight into the state costs a microsecond where building a
``SeedSequence`` costs twenty, and the model asks for a few streams per
replication: :class:`Streams` re-seeds one generator in place for the hot
path, :func:`stream` builds a fresh one with the same draws for everything else.
Where numpy keeps the state as checked below (64-bit little-endian builds),
:class:`Streams` writes the hash's bytes straight into it, skipping the state
dictionary and its setter (a few microseconds a stream).
"""

from __future__ import annotations

import ctypes
import hashlib
import sys
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=4096)
def stream_key(name: str) -> int:
    """A stable 64-bit number for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def pcg64_state(seed: int, replication: int, name: str) -> dict:
    """The PCG64 state of one stream: BLAKE2b(seed, replication, name) as position and (odd) increment."""
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must not be negative")
    digest = hashlib.blake2b(
        seed.to_bytes(16, "little") + replication.to_bytes(8, "little") + stream_key(name).to_bytes(8, "little"),
        digest_size=32,
    ).digest()
    return {
        "bit_generator": "PCG64",
        "state": {"state": int.from_bytes(digest[:16], "little"), "inc": int.from_bytes(digest[16:], "little") | 1},
        "has_uint32": 0,
        "uinteger": 0,
    }


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """A fresh generator for one named random process in one replication."""
    bits = np.random.PCG64(0)
    bits.state = pcg64_state(seed, replication, name)
    return np.random.Generator(bits)


_STATE_BYTES = ctypes.c_char * 32  # array types made once: each made anew would be a reference cycle
_BUFFERED_BYTES = ctypes.c_char * 8


def _state_memory(bits: np.random.PCG64) -> tuple[memoryview, memoryview] | None:
    """Views of a PCG64's state in memory: its 32 bytes (position, increment) and its 8 of buffered 32-bit draw.

    numpy's ``pcg64_state`` struct holds a pointer to the 128-bit position and
    increment, then ``has_uint32`` and ``uinteger``. Only on a 64-bit
    little-endian build, and only if a state set the documented way reads back
    as those bytes, are the views returned; otherwise None (use the setter).
    """
    if sys.byteorder != "little" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    address = bits.ctypes.state_address
    state = memoryview(_STATE_BYTES.from_address(ctypes.c_void_p.from_address(address).value)).cast("B")
    buffered = memoryview(_BUFFERED_BYTES.from_address(address + 8)).cast("B")
    position, increment, uinteger = (1 << 127) + 12345, (1 << 100) + 6789, 0xDEADBEEF
    bits.state = {"bit_generator": "PCG64", "state": {"state": position, "inc": increment},
                  "has_uint32": 1, "uinteger": uinteger}
    expected = position.to_bytes(16, "little") + increment.to_bytes(16, "little")
    if bytes(state) != expected or bytes(buffered) != (1).to_bytes(4, "little") + uinteger.to_bytes(4, "little"):
        return None
    return state, buffered


_NOTHING_BUFFERED = bytes(8)  # has_uint32 = 0, uinteger = 0


class Streams:
    """The streams of one seed, for the simulation loop: one generator, re-seeded per request.

    ``get`` returns the same generator object each time, set to the start of
    the named stream: read a stream fully before asking for the next. The
    state is written as raw bytes where :func:`_state_memory` allows, else
    through the state setter: the draws are the same either way.
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError("seed and replication must not be negative")
        self.seed = seed
        self._seed = seed.to_bytes(16, "little")
        self._keys: dict[str, bytes] = {}  # stream name → its key's 8 bytes
        self._bits = np.random.PCG64(0)
        self._rng = np.random.Generator(self._bits)
        self._memory = _state_memory(self._bits)

    def __reduce__(self) -> tuple[type[Streams], tuple[int]]:
        """Pickled as its seed (memory views do not pickle): ``get`` sets the whole state anyway."""
        return Streams, (self.seed,)

    def get(self, replication: int, name: str) -> np.random.Generator:
        if self._memory is None:
            self._bits.state = pcg64_state(self.seed, replication, name)
            return self._rng
        if replication < 0:
            raise ValueError("seed and replication must not be negative")
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = stream_key(name).to_bytes(8, "little")
        state, buffered = self._memory
        state[:] = hashlib.blake2b(self._seed + replication.to_bytes(8, "little") + key, digest_size=32).digest()
        state[16] |= 1  # the increment is odd, as pcg64_state makes it
        buffered[:] = _NOTHING_BUFFERED
        return self._rng
