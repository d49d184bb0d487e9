"""Stopping on SIGINT (Ctrl-C) and SIGTERM: clean up, one line, exit 130 or 143.

While a command runs, both signals raise :class:`Interrupted` in the main thread,
wherever it is (importing, loading, simulating, writing): the ``finally`` blocks
on the way out stop the worker processes and remove temporary folders, and the
command line prints one line and exits with ``128 + signal`` (130 for SIGINT,
143 for SIGTERM), never a traceback. Further signals are ignored during that
cleanup, which is bounded in time.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

#: The signals that stop a command.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal asked the command to stop (a BaseException, like KeyboardInterrupt,
    so that no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """``SIGINT`` or ``SIGTERM``."""
        return signal.Signals(self.signum).name

    @property
    def status(self) -> int:
        """Exit status: 128 + the signal's number."""
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    for s in SIGNALS:  # clean up undisturbed
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` inside the block (main
    thread only; elsewhere signals cannot be handled); restore the handlers after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _raise)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
