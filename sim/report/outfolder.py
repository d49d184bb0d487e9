"""Output folders: reserved before a run, written whole, never replaced by surprise.

:func:`reserve` is called before anything is simulated. It creates the parent
folder if needed and proves it writable by creating the temporary folder the
results will be written into, and it takes a lock (``fcntl.flock`` on a hidden
``.NAME.lock`` file beside the folder) so that two runs never write one folder.
An existing folder is replaced only with ``overwrite``; otherwise the results go
to the first free name ``NAME-2``, ``NAME-3``, ... (also when another run holds
the lock). :meth:`Reservation.commit` fills the temporary folder and renames it;
:meth:`Reservation.release` (on every exit path, also an interrupt) removes the
temporary folder and the lock. Folders get the usual permissions (``0777`` less
the umask), not the ``0700`` of temporary folders.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sim.errors import Problem, ScenarioError

#: Names tried after ``NAME``: ``NAME-2`` to ``NAME-<MAX_SUFFIX>``.
MAX_SUFFIX = 999


def umask() -> int:
    """This process's umask (read without changing it where Linux allows)."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _lock(path: Path) -> int | None:
    """An exclusive lock on ``path`` (created if needed): its descriptor, or None
    if another process holds it."""
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:  # the holder before us may have removed the file: lock the current one
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _unlock(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    os.close(fd)


class Reservation:
    """A folder reserved for results: a lock on its name and a temporary folder."""

    def __init__(self, parent: Path, name: str, overwrite: bool) -> None:
        self.parent, self.name, self.overwrite = parent, name, overwrite
        self.started = datetime.now(UTC)
        """When the folder was reserved: before anything ran (for the manifest)."""
        self.path = parent / name
        """Where the results will be (``NAME`` or the first free ``NAME-k``)."""
        self.tmp: Path | None = None
        self._lock: tuple[Path, int] | None = None

    def _claim(self) -> None:
        """Lock the first usable name; with ``overwrite`` only ``NAME`` itself."""
        for k in range(1, MAX_SUFFIX + 1):
            name = self.name if k == 1 else f"{self.name}-{k}"
            lock = self.parent / f".{name}.lock"
            fd = _lock(lock)
            if fd is None:
                if self.overwrite:
                    raise ScenarioError(
                        Problem(
                            f"another gridshed run is writing {self.parent / name} "
                            f"(it holds {lock}); wait for it, or choose another --out",
                            self.parent / name,
                        )
                    )
                continue
            if self.overwrite or not os.path.lexists(self.parent / name):
                self._lock, self.path = (lock, fd), self.parent / name
                return
            _unlock(lock, fd)
        raise ScenarioError(
            Problem(f"{self.name} and {self.name}-2 to -{MAX_SUFFIX} exist; give --overwrite", self.parent)
        )

    def open(self) -> Reservation:
        """Create the parent folder, lock a name and create the temporary folder."""
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self._claim()
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.parent))
            self.tmp.chmod(0o777 & ~umask())
        except OSError as exc:
            self.release()
            raise ScenarioError(
                Problem(f"cannot write the results here ({exc.strerror or exc})", self.parent)
            ) from None
        except BaseException:
            self.release()
            raise
        return self

    def commit(self, fill: Callable[[Path], None]) -> Path:
        """``fill(tmp)``, then rename the temporary folder to :attr:`path` (moving an
        old folder aside and removing it only with ``overwrite``); returns the path."""
        assert self.tmp is not None, "commit() on a reservation that is not open"
        fill(self.tmp)
        if os.path.lexists(self.path):
            if not self.overwrite:  # made meanwhile by something that takes no lock
                self.release_lock()
                self._claim()
            else:
                old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".old", dir=self.parent))
                try:
                    self.path.rename(old / self.path.name)
                    self.tmp.rename(self.path)
                finally:
                    shutil.rmtree(old, ignore_errors=True)
                self.tmp = None
                return self.path
        self.tmp.rename(self.path)
        self.tmp = None
        return self.path

    def release_lock(self) -> None:
        if self._lock is not None:
            lock, self._lock = self._lock, None
            _unlock(*lock)

    def release(self) -> None:
        """Remove the temporary folder (if not committed) and the lock."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self.release_lock()


@contextlib.contextmanager
def reserve(parent: Path, name: str, overwrite: bool = False) -> Iterator[Reservation]:
    """A :class:`Reservation` of ``parent/name``, released on every exit path.

    Raises :class:`ScenarioError` (exit status 2 on the command line) if the
    folder cannot be written or, with ``overwrite``, another run is writing it.
    """
    r = Reservation(Path(parent), name, overwrite).open()
    try:
        yield r
    finally:
        r.release()


def write_atomic(dest: Path | Reservation, fill: Callable[[Path], None]) -> Path:
    """Create folder ``dest`` by ``fill(tmp)`` on a temporary folder beside it, then
    rename. On any error nothing is left behind. ``dest`` is a reservation made
    before a run, or a path: then an existing folder is replaced, once the new one
    is complete."""
    if isinstance(dest, Reservation):
        return dest.commit(fill)
    with reserve(dest.parent, dest.name, overwrite=True) as r:
        return r.commit(fill)
