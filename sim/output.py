"""Writing a run folder: raw tables, summary, resolved scenario and manifest.

A run folder describes itself: the scenario as it was resolved sits beside
its results, so a report can be made later without re-running anything.
Files are written into a temporary folder that is renamed into place only
when complete, so a failed run never leaves a half-written folder behind.

The folder is claimed before anything is simulated: a bad ``--out`` is
refused at once, and a second run to the same ``--out`` finds the first's
folder taken (its process id inside, locked while it lives) rather than
clashing with it hours later. Temporary folders of runs that were killed are
swept away by the next run beside them.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import platform
import shutil
import time
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from sim import chart_files
from sim.analysis import quantile_intervals, warmup_table
from sim.chart_files import ChartFiles
from sim.chunk import Chunk
from sim.runner import PILOT_REPS, Results
from sim.scenario import Scenario

try:
    import fcntl
except ImportError:  # not POSIX: no flock; an owner is then taken to be alive
    fcntl = None  # type: ignore[assignment]

# None: pandas writes each float as Python's shortest repr, which reads back to the
# same float (a minute time on day 3000 keeps its seconds). Rounding happens on
# screen, in the report and in the workbook, never in the data.
FLOAT_FORMAT: str | None = None


def versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    out = {"python": platform.python_version()}
    for pkg in ("chartsim", "simpy", "numpy", "pandas", "scipy", "pydantic"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def manifest(results: Results) -> dict:
    return {
        "scenario": results.scenario.name,
        "seed": results.seed,
        "replications": results.reps,
        "workers": results.workers,
        "warmup_days": results.warmup,
        "warmup_method": (f"MSER-5 on the mean daily backlog of the base's first {PILOT_REPS} replications"
                          if results.scenario.warmup_days == "auto" else "set"),
        "streams": results.streams,
        "variants": list(results.variants),
        "random_generator": "numpy PCG64, one stream per (seed, replication, process name), state = BLAKE2b of the three",
        "versions": versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine()},
        "wall_seconds": round(results.wall_seconds, 3),
    }


# ------------------------------------------------------------------ claiming an output folder

OWNER = ".chartsim-owner"  # in a folder being written: the writer's process id, locked (flock) while it lives
TEMP_SUFFIX = ".chartsim-tmp"  # .OUT.chartsim-tmp: the hidden folder a non-resumable run writes before it is OUT
NAME_MAX = 255  # bytes in one file name, where the file system cannot say


class OutputError(Exception):
    """An output folder that cannot be used; the message is one line for the user, naming the option."""


def check_out(out: Path, option: str = "--out") -> None:
    """Refuse an output path that cannot become a new folder: it exists, its parent is no folder or
    cannot be written, or a name in it is too long."""
    out = Path(out)
    if os.path.lexists(out):
        raise OutputError(f"{option}: {out} already exists; choose a new folder")
    above = out.parent
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    if not above.is_dir():
        raise OutputError(f"{option}: {above} is not a folder")
    limit = _name_max(above)
    longest = max(out.parts, key=lambda part: len(os.fsencode(part)))
    if len(os.fsencode(longest)) + len(TEMP_SUFFIX) + 1 > limit:  # the temporary name must fit too
        raise OutputError(f"{option}: the name {longest[:16]}… is too long ({len(os.fsencode(longest))} bytes; "
                          f"at most {limit - len(TEMP_SUFFIX) - 1})")
    if not os.access(above, os.W_OK | os.X_OK):
        raise OutputError(f"{option}: cannot write in {above} (permission denied)")


def claim(out: Path, resumable: bool = False, option: str = "--out") -> Claim:
    """Check ``out`` and take the folder the run will write, before anything is simulated.

    ``OUT.partial`` for a resumable run, else the hidden ``.OUT.chartsim-tmp``;
    either is made with one ``mkdir``, so of two runs to the same ``out`` the
    second is refused at once. Missing parent folders are made (and removed
    again if the run fails).
    """
    out = Path(out)
    check_out(out, option)
    partial, temp = _partial(out), _temp(out)
    if os.path.isdir(out.parent):
        sweep(out.parent)
    for folder in (partial, temp):
        _refuse_taken(out, folder, option)
    made = _make_parents(out.parent, option)
    folder = partial if resumable else temp
    try:
        folder.mkdir()
    except FileExistsError:
        _remove_empty(made)
        _refuse_taken(out, folder, option)
        raise OutputError(f"{option}: {folder} appeared meanwhile; choose a new folder") from None
    except OSError as exc:
        _remove_empty(made)
        raise OutputError(f"{option}: cannot create {out} ({exc.strerror})") from None
    try:
        lock = _own(folder, option, wait=1.0)
    except OutputError:
        _remove_empty(made)
        raise
    return Claim(out, folder, lock, made, keep="interrupt" if resumable else "never")


def reclaim(partial: Path, option: str = "--resume") -> Claim:
    """Take over an interrupted run's ``OUT.partial`` (refused while another run is writing it).

    Its ``out`` is set by the caller, from the checkpoint; the folder is kept
    however the run ends.
    """
    partial = Path(partial)
    if not partial.is_dir():
        raise OutputError(f"{option}: {partial} is not a folder")
    lock = _own(partial, option, wait=0.0)
    return Claim(None, partial, lock, [], keep="always")


class Claim:
    """A folder this process writes: on success renamed to ``out``; on failure removed or kept.

    ``keep``: "never" (a failed or interrupted run leaves nothing), "interrupt"
    (Ctrl-C keeps it, to be resumed) or "always" (a resumed run's folder).
    """

    def __init__(self, out: Path | None, folder: Path, lock: int | None, made: list[Path], keep: str) -> None:
        self.out, self.folder, self.lock, self.made, self.keep = out, folder, lock, made, keep

    def __enter__(self) -> Path:
        return self.folder

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if kind is None:
            self.finish()
        elif self.keep == "always" or (self.keep == "interrupt" and issubclass(kind, KeyboardInterrupt)):
            self.release()
        else:
            self.discard()

    def release(self) -> None:
        """Stop owning the folder, leaving it where it is."""
        if self.lock is not None:
            _unlink(self.folder / OWNER)
            os.close(self.lock)
            self.lock = None

    def discard(self) -> None:
        """Remove the folder, and the parent folders made for it if they are empty."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.release()
        _remove_empty(self.made)

    def finish(self) -> None:
        """The folder becomes ``out``."""
        assert self.out is not None, "the folder's out is set before it is finished"
        self.release()
        try:
            self.folder.rename(self.out)
        except OSError as exc:  # someone made ``out`` meanwhile: the results stay where they are
            raise OutputError(f"--out: cannot rename {self.folder} to {self.out} ({exc.strerror}); "
                              f"the results are in {self.folder}") from None


def sweep(parent: Path) -> list[Path]:
    """Remove the temporary folders beside ``out`` left by chartsim runs that were killed.

    Only a hidden ``.NAME.chartsim-tmp`` folder whose owner file names a process
    that no longer holds it goes; anything else, chartsim's or not, stays.
    """
    gone = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return gone
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        if entry.is_dir(follow_symlinks=False) and _owner(Path(entry.path)) == "dead":
            shutil.rmtree(entry.path, ignore_errors=True)
            gone.append(Path(entry.path))
    return gone


def _partial(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def _temp(out: Path) -> Path:
    return out.with_name(f".{out.name}{TEMP_SUFFIX}")


def _refuse_taken(out: Path, folder: Path, option: str) -> None:
    """Refuse ``out`` while ``folder`` (its partial or temporary folder) exists."""
    if not os.path.lexists(folder):
        return
    state = _owner(folder)
    if isinstance(state, int):
        raise OutputError(f"{option}: another chartsim run (process {state}) is writing {out}; "
                          "wait for it or choose another folder")
    if folder == _partial(out):
        raise OutputError(f"{option}: {folder}: an interrupted run is there; continue it with --resume {folder} "
                          "or delete it")
    raise OutputError(f"{option}: {folder} is in the way; delete it or choose another folder")


def _owner(folder: Path) -> int | str:
    """Who writes ``folder``: the live owner's process id, "dead" (owner gone), or "none" (no owner file).

    The owner holds an exclusive flock on the owner file, so the test cannot be
    fooled by a reused process id; an unlocked file still empty is one being
    made ("none"). Without flock (not POSIX) an owner is taken to be alive.
    """
    try:
        fd = os.open(folder / OWNER, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return "none"
    try:
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        pid = int(text) if text.isdigit() else 0
        if fcntl is None:
            return pid or "none"
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return pid or "none"
        return "dead" if pid else "none"
    finally:
        os.close(fd)


def _own(folder: Path, option: str, wait: float) -> int | None:
    """Write this process's id into ``folder``'s owner file and hold its lock (retrying for ``wait`` seconds)."""
    try:
        fd = os.open(folder / OWNER, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OutputError(f"{option}: cannot write in {folder} ({exc.strerror})") from None
    if fcntl is not None:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    text = os.read(fd, 32).decode("ascii", "replace").strip()
                    os.close(fd)
                    who = f"process {text}" if text.isdigit() else "another process"
                    raise OutputError(f"{option}: another chartsim run ({who}) is writing {folder}; "
                                      "wait for it") from None
                time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _make_parents(parent: Path, option: str) -> list[Path]:
    """Make the missing folders above the output; the ones made, deepest first."""
    missing = []
    while not os.path.lexists(parent) and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    made: list[Path] = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_empty(made)
            raise OutputError(f"{option}: cannot create {folder} ({exc.strerror})") from None
        made.insert(0, folder)
    return made


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def new_folder(out: Path) -> Claim:
    """A temporary folder beside ``out`` that becomes ``out`` only when the block completes.

    Claimed at once (see :func:`claim`); a failed or interrupted write leaves
    nothing behind; ``out`` must be new.
    """
    return claim(out)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """A table as CSV, floats at full precision (round-trip exact), NaN as an empty field."""
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT)


def write_scenario(scenario: Scenario, path: Path) -> None:
    """The scenario as resolved, so a folder describes itself."""
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


def write_tables(results: Results, folder: Path) -> None:
    """Write every table of ``results`` into an existing folder (per-chart tables if kept)."""
    tables = {
        "days": results.days,
        "replications": results.replications,
        "summary": results.summary,
        "comparison": None if results.comparison.empty else results.comparison,
        "warmup": warmup_table(results.days, results.warmup),
        "percentiles": None if results.coder_day_quantiles is None else quantile_intervals(results.coder_day_quantiles),
        "precision": results.precision,
    }
    for name, frame in tables.items():
        if frame is not None:
            write_table(frame, folder / f"{name}.csv")
    for name, frame in (("charts", results.charts), ("activities", results.activities),
                        ("coder_days", results.coder_days)):
        if frame is not None:  # kept in memory: the same bytes as when streamed (sim.chart_files)
            chart_files.write_csv(frame, folder / f"{name}.csv")
    write_scenario(results.scenario, folder / "scenario.yaml")
    (folder / "manifest.json").write_text(json.dumps(manifest(results), indent=2) + "\n")


def write_run(results: Results, out: Path) -> Path:
    """Write every table of ``results`` into the new folder ``out``."""
    with new_folder(out) as tmp:
        write_tables(results, tmp)
    return Path(out)


# ------------------------------------------------------------------ interrupted runs

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
                      quantiles=chunk.quantiles)
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
