"""Claiming an output folder before anything is simulated.

A bad ``--out`` is refused at once, and a second run to the same ``--out``
finds the first's folder taken (its process id inside, locked while it
lives) rather than clashing with it hours later. A run writes into a
temporary folder (``OUT.partial`` or the hidden ``.OUT.chartsim-tmp``) that
is renamed into place only when complete, so a failed run never leaves a
half-written folder behind. Temporary folders of runs that were killed are
swept away by the next run beside them.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no flock; an owner is then taken to be alive
    fcntl = None  # type: ignore[assignment]


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
