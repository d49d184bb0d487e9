"""The one error type for bad input, caught once by the command line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

#: Longest key path shown in a problem (a hostile file may have megabyte-long keys).
MAX_KEY_CHARS = 120
#: A key path in scenario data: ``("links", 0, "capacity_mw")``.
KeyPath = tuple[str | int, ...]


class ScenarioError(Exception):
    """Bad input: a scenario file, a data file or a command-line value.

    Every problem names the file, the line where known, the key path and what is
    expected. The CLI prints ``str(error)`` without a traceback and exits 2.
    """

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(p.render() for p in self.problems))


class Problem:
    """One problem: where it is and what is wrong.

    ``key`` is the key path, as text (``links[0].to``, a column name) or as parts
    (``("links", 0, "to")``); given as parts, they are kept in ``path`` so that the
    loader can find the problem's line in the scenario file.
    """

    __slots__ = ("file", "key", "line", "message", "path")

    def __init__(
        self,
        message: str,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | KeyPath = "",
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.path: KeyPath | None = key if isinstance(key, tuple) else None
        self.key = format_path(key) if isinstance(key, tuple) else key

    def render(self) -> str:
        """``file:line: key: message``, leaving out what is unknown."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        text = self.key if len(self.key) <= MAX_KEY_CHARS else f"{self.key[: MAX_KEY_CHARS - 3]}..."
        key = f" {text}:" if self.key else ""
        return f"{where}:{key} {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.render()!r})"


def format_path(path: KeyPath) -> str:
    """``zones.North.demand`` / ``links[0].capacity_mw``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(name: str, choices: Iterable[str], otherwise: str = "") -> str:
    """A hint for a name that is not one of ``choices``.

    ``; did you mean 'X'?`` for the closest of ``choices`` (difflib's ratio >= 0.6,
    a typo); else ``; <otherwise>`` (e.g. ``expected one of [...]``), or nothing.
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; {otherwise}" if otherwise else ""
