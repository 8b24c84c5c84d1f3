"""The SimPy model: charts, work queues, coders and physicians. No I/O here."""

from sim.model.department import coder_specs, simulate

__all__ = ["coder_specs", "simulate"]
