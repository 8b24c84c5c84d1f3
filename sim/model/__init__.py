"""The SimPy model: charts, work queues, coders and physicians. No I/O here."""

from sim.model.department import Department, coder_specs, simulate

__all__ = ["Department", "coder_specs", "simulate"]
