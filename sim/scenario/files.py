"""Files named by a user, read safely: regular files only, bounded in size.

A scenario may name any path (``extends:``, ``csv:``), so nothing here trusts
it: a directory, a FIFO or a device (``/dev/zero``) is refused before a byte is
read, a file over its size limit is refused by its size, and every read stops at
the limit whatever the file claims (``/proc`` files, decompressed data).
Compressed data is read only where the scenario says so; a compressed file that
the scenario does not declare is refused with a hint. Problems never quote the
file's content.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from sim.errors import Problem, ScenarioError

#: Largest scenario file (YAML), bytes: 300 times the flagship scenario, and read by
#: a pure-Python parser in about a second.
MAX_YAML_BYTES = 2 * 2**20
#: Largest data file (CSV), bytes, after decompression.
MAX_CSV_BYTES = 100 * 2**20
#: Largest run-folder file read back (``summary.json``, Parquet tables), bytes.
MAX_RESULT_BYTES = 2 * 2**30
#: Compression formats a data file may declare (``compression:``).
Compression = Literal["gzip", "bz2", "xz"]
#: First bytes of compressed formats, to refuse undeclared compressed files.
MAGIC: dict[str, bytes] = {
    "gzip": b"\x1f\x8b",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zip": b"PK\x03\x04",
    "zstd": b"\x28\xb5\x2f\xfd",
}
_OPENERS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),  # type: ignore[dict-item]
    "bz2": lambda f: bz2.BZ2File(f, mode="rb"),  # type: ignore[dict-item]
    "xz": lambda f: lzma.LZMAFile(f, mode="rb"),  # type: ignore[dict-item]  # noqa: SIM115
}
#: Errors a decompressor raises on damaged data.
DECOMPRESS_ERRORS = (OSError, EOFError, lzma.LZMAError, ValueError)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _mb(n: float) -> str:
    return f"{n / 2**20:.3g} MB"


class TooLarge(Exception):
    """A read went past its limit (raised inside readers such as pandas')."""


class _Limited(io.RawIOBase):
    """A raw stream that fails with :class:`TooLarge` after ``limit`` bytes."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner, self.left = inner, limit + 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer)
        data = self.inner.read(min(len(view), self.left))
        n = len(data)
        self.left -= n
        if self.left <= 0:
            raise TooLarge
        view[:n] = data
        return n


def open_regular(path: Path, what: str, limit: int, missing: str | None = None) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file of at most ``limit`` bytes.

    Raises :class:`ScenarioError` (the file, no line) for a missing file, one that
    cannot be opened, a directory, FIFO, device or socket, or a file over the limit.
    FIFOs are opened without blocking, so a pipe nobody writes to cannot hang.
    ``missing``: the message for a missing file (default ``<what> not found: <path>``).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ScenarioError(Problem(missing or f"{what} not found: {path}", path)) from None
    except OSError as exc:
        raise ScenarioError(Problem(f"cannot open the {what} ({exc.strerror})", path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError(Problem(f"{what} is {_kind(st.st_mode)}, not a regular file", path))
        if st.st_size > limit:
            raise ScenarioError(
                Problem(f"{what} is too large ({_mb(st.st_size)}; the limit is {_mb(limit)})", path)
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, what: str, limit: int, missing: str | None = None) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes."""
    with open_regular(path, what, limit, missing) as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise ScenarioError(Problem(f"cannot read the {what} ({exc.strerror})", path)) from None
    if len(data) > limit:
        raise ScenarioError(Problem(f"{what} is too large (over {_mb(limit)})", path))
    return data


@contextlib.contextmanager
def data_stream(
    path: Path, what: str, compression: Compression | None = None, limit: int = MAX_CSV_BYTES
) -> Iterator[io.TextIOWrapper]:
    """A text stream of a data file, decompressed if ``compression`` says so, that
    fails with :class:`TooLarge` past ``limit`` bytes of (decompressed) data.

    Raises :class:`ScenarioError` for a file that :func:`open_regular` refuses and
    for compressed data the scenario does not declare.
    """
    raw = open_regular(path, what, limit)
    try:
        head = raw.read(8)
        raw.seek(0)
        if compression is None:
            found = next((name for name, magic in MAGIC.items() if head.startswith(magic)), None)
            if found is not None:
                hint = f"; say so with compression: {found}" if found in _OPENERS else ""
                raise ScenarioError(Problem(f"{what} is compressed ({found}){hint}", path))
            inner: BinaryIO = raw
        else:
            inner = _OPENERS[compression](raw)
        text = io.TextIOWrapper(io.BufferedReader(_Limited(inner, limit)), encoding="utf-8", newline="")
        yield text
    finally:
        raw.close()
