"""An interrupted ``chartsim plan``, resumed, decides exactly as one never interrupted.

Every batch of replications a plan receives is saved (``plan.checkpoint/`` in
``OUT.partial``) the moment the search takes it. Resuming does not hand the
saved batches back all at once — a plan holding replications the search had
not yet asked for would be judged on more data than an uninterrupted search
at the same point, and could take another path. Instead :class:`Replay`
stands in front of the executor and answers each batch from the journal when
the search asks for it again, simulating only the batches never finished.
"""

from __future__ import annotations

import json
import pickle
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.executor import Submitter, workers_of
from sim.runs.tasks import Chunk, simulate_chunk

CHECKPOINT = "plan.checkpoint"


class PlanInterrupted(Exception):
    """A folder that is not a resumable plan; the message is one line for the user."""


class PlanJournal:
    """Saves each batch a plan takes: (plan name, first replication) → its metrics table."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.dir = Path(folder) / CHECKPOINT
        self.dir.mkdir(exist_ok=True)
        if not (self.dir / "settings.pkl").exists():
            _write_atomic(self.dir / "settings.pkl", pickle.dumps(settings))
        self.journal = self.dir / "journal.jsonl"
        self.saved: set[tuple[str, int]] = set()
        self.count = 0
        if self.journal.exists():
            for line in self.journal.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                self.saved.add((entry["plan"], entry["first"]))
                self.count += 1

    def __call__(self, plan: str, first: int, table: pd.DataFrame) -> None:
        if (plan, first) in self.saved:  # replayed from the journal: already there
            return
        name = f"{self.count:06d}.pkl"
        _write_atomic(self.dir / name, pickle.dumps(table))
        with open(self.journal, "a", encoding="utf-8") as f:  # written last: a batch half-saved is done again
            f.write(json.dumps({"plan": plan, "first": first, "file": name}) + "\n")
        self.saved.add((plan, first))
        self.count += 1


def load_journal(partial: Path) -> tuple[dict[str, Any], dict[tuple[str, int], pd.DataFrame]]:
    """The settings and saved batches of an interrupted plan."""
    where = Path(partial) / CHECKPOINT
    try:
        settings = pickle.loads((where / "settings.pkl").read_bytes())
        lines = (where / "journal.jsonl").read_text(encoding="utf-8").splitlines() \
            if (where / "journal.jsonl").exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        batches = {(e["plan"], e["first"]): pickle.loads((where / e["file"]).read_bytes()) for e in entries}
    except FileNotFoundError as exc:
        raise PlanInterrupted(f"--resume: {partial} is not an interrupted chartsim plan ({Path(exc.filename).name} "
                              "missing)") from None
    except (pickle.UnpicklingError, json.JSONDecodeError, EOFError, KeyError, AttributeError) as exc:
        raise PlanInterrupted(f"--resume: {partial}: its checkpoint cannot be read ({type(exc).__name__})") from None
    return settings, batches


class Replay:
    """An executor that answers batches already in the journal and hands every other task on."""

    def __init__(self, executor: Submitter, batches: dict[tuple[str, int], pd.DataFrame]) -> None:
        self.executor = executor
        self.batches = batches
        self.workers = workers_of(executor)

    def submit(self, fn, /, *args):  # noqa: ANN001, ANN201 - the Submitter protocol
        if fn is simulate_chunk and (key := (args[0], args[3].start)) in self.batches:
            future: Future = Future()
            future.set_result(Chunk(args[0], args[3], self.batches[key], pd.DataFrame(), None))
            return future
        return self.executor.submit(fn, *args)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
