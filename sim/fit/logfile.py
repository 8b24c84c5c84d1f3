"""Opening a log: a regular file of bounded size, read as a stream.

``chartsim fit`` reads only a regular file of at most ``MAX_LOG_BYTES``. A
pipe, device, socket or directory is refused at once, before a byte is read
(it is opened non-blocking, so a FIFO with no writer cannot hang the
command), and a file is never read past the bound, even if it grows while it
is read. A year of a large department (100 coders, 30 sessions a day each)
is about 120 MB of CSV.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

MAX_LOG_BYTES = 512 * 1024**2

_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
)


class LogFileError(ValueError):
    """A path that is not a log file chartsim will read; the message is one line."""


class _Bounded(io.RawIOBase):
    """A binary stream that refuses to read past ``limit`` bytes."""

    def __init__(self, raw: io.BufferedReader, path: Path, limit: int) -> None:
        self.raw, self.path, self.limit, self.seen = raw, path, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)
        self.seen += n or 0
        if self.seen > self.limit:
            raise LogFileError(f"{self.path}: grew past {self.limit:,} bytes while being read; a log must be at most "
                               f"{self.limit:,} bytes")
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_log(path: Path, limit: int | None = None) -> io.BufferedReader:
    """The log as a bounded binary stream; raises LogFileError for anything but a regular file within the bound."""
    limit = MAX_LOG_BYTES if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise LogFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LogFileError(f"{path}: is a directory, not a regular file; a log is a CSV or Parquet file") from None
    except OSError as exc:
        raise LogFileError(f"{path}: cannot open it ({exc.strerror or type(exc).__name__})") from None
    info = os.fstat(fd)
    kind = next((name for test, name in _NOT_REGULAR if test(info.st_mode)),
                None if stat.S_ISREG(info.st_mode) else "not a plain file")
    if kind is None and info.st_size > limit:
        kind = f"{info.st_size:,} bytes"
        os.close(fd)
        raise LogFileError(f"{path}: the file is {kind}; a log must be at most {limit:,} bytes "
                           "(split it by date, or keep the columns fit reads)")
    if kind is not None:
        os.close(fd)
        raise LogFileError(f"{path}: is {kind}, not a regular file; a log is a CSV or Parquet file")
    os.set_blocking(fd, True)
    return io.BufferedReader(_Bounded(io.FileIO(fd, "rb", closefd=True), path, limit))  # type: ignore[arg-type]
