"""Interrupted runs: a checkpoint beside the per-chart files, and resuming from it.

A resumable run writes ``OUT.partial``; after each finished task its small
tables are saved there, so Ctrl-C keeps what was done and ``--resume`` ends
with the same bytes as a run never interrupted.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from sim.runs.chart_files import ChartFiles
from sim.runs.folders import Claim, claim, reclaim
from sim.runs.tasks import Chunk

CHECKPOINT = ".checkpoint"  # inside a partial run folder: the run's settings, finished tasks, journal


class RunInterrupted(Exception):
    """A partial run folder that cannot be resumed; the message is one line for the user."""


def resumable_folder(out: Path, partial: Path | None = None) -> Claim:
    """``OUT.partial`` while a run goes, renamed to ``out`` when complete.

    Interrupted (Ctrl-C), the partial folder stays, to be resumed; any other
    failure removes it, so no half-written folder is ever left as a result.
    A ``partial`` given (``--resume``) is taken over and kept whatever happens.
    """
    if partial is None:
        return claim(out, resumable=True)
    taken = reclaim(partial)
    taken.out = Path(out)
    return taken


class Checkpoint:
    """Makes a run resumable: after each finished task its small tables are saved beside the per-chart text.

    A journal line, written last, records the task and the size of each
    per-chart file after it; resuming trusts only journalled tasks and cuts
    the files back to the last line's sizes, so a task interrupted half-way
    is simply done again.
    """

    def __init__(self, folder: Path, settings: dict, stream: ChartFiles | None) -> None:
        self.folder = Path(folder)
        self.stream = stream
        self.render = stream.render if stream is not None else None
        self.dir = self.folder / CHECKPOINT
        self.dir.mkdir(exist_ok=True)
        settings_file = self.dir / "settings.pkl"
        if not settings_file.exists():
            _write_atomic(settings_file, pickle.dumps(settings))
        self.journal = self.dir / "journal.jsonl"
        self.count = len(self.journal.read_text().splitlines()) if self.journal.exists() else 0

    def __call__(self, chunk: Chunk) -> None:
        if self.stream is not None:
            self.stream(chunk)
        small = Chunk(chunk.variant, chunk.reps, chunk.replications, chunk.days, chunk.coder_days, warmup=chunk.warmup,
                      quantiles=chunk.quantiles, turnaround=chunk.turnaround)
        name = f"{self.count:06d}.pkl"
        _write_atomic(self.dir / name, pickle.dumps(small))
        sizes = self.stream.sizes() if self.stream is not None else {}
        with open(self.journal, "a", encoding="utf-8") as f:
            f.write(json.dumps({"task": name, "variant": chunk.variant, "reps": [chunk.reps.start, chunk.reps.stop],
                                "sizes": sizes}) + "\n")
        self.count += 1


def load_checkpoint(partial: Path) -> tuple[dict, list[Chunk]]:
    """The settings and finished tasks of an interrupted run; per-chart files cut back to the last task."""
    partial = Path(partial)
    where = partial / CHECKPOINT
    try:
        settings = pickle.loads((where / "settings.pkl").read_bytes())
        lines = (where / "journal.jsonl").read_text().splitlines() if (where / "journal.jsonl").exists() else []
        entries = [json.loads(line) for line in lines if line.strip()]
        chunks = [pickle.loads((where / e["task"]).read_bytes()) for e in entries]
    except FileNotFoundError as exc:
        raise RunInterrupted(f"--resume: {partial} is not an interrupted chartsim run ({Path(exc.filename).name} "
                             "missing)") from None
    except (pickle.UnpicklingError, json.JSONDecodeError, EOFError, KeyError, AttributeError) as exc:
        raise RunInterrupted(f"--resume: {partial}: its checkpoint cannot be read ({type(exc).__name__})") from None
    ChartFiles(partial, settings.get("charts_format", "csv"), settings.get("charts", False)).cut(
        entries[-1]["sizes"] if entries else {})
    return settings, chunks


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
