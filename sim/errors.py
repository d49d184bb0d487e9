"""The one error type for bad input, caught once by the command line."""

from __future__ import annotations

from pathlib import Path


class ScenarioError(Exception):
    """Bad input: a scenario file, a data file or a command-line value.

    Every problem names the file, the line where known, the key path and what is
    expected. The CLI prints ``str(error)`` without a traceback and exits 2.
    """

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(p.render() for p in self.problems))


class Problem:
    """One problem: where it is and what is wrong."""

    __slots__ = ("file", "key", "line", "message")

    def __init__(
        self, message: str, file: str | Path | None = None, line: int | None = None, key: str = ""
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key

    def render(self) -> str:
        """``file:line: key: message``, leaving out what is unknown."""
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.render()!r})"
