"""Options shared by several commands, each declared once, and small helpers.

Options whose help text depends on the command (one run or several) take it as
an argument; their name, type and default never change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import click

from sim.errors import Problem, ScenarioError
from sim.scenario.base import name_problem

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def stack(*options: Decorator) -> Decorator:
    """Apply ``options`` to a command in the order listed (as if written above it)."""

    def apply(f: Callable[..., Any]) -> Callable[..., Any]:
        for opt in reversed(options):
            f = opt(f)
        return f

    return apply


def replications(help: str = "Replications per run (default: the scenario's).") -> Decorator:
    """``-n/--replications``."""
    return click.option("-n", "--replications", type=click.IntRange(min=1), help=help)


def seed(help: str = "Root seed shared by all runs (default: the scenario's).") -> Decorator:
    """``--seed``."""
    return click.option("--seed", type=click.IntRange(min=0), help=help)


def out(help: str = "Parent folder of the output folder.") -> Decorator:
    """``--out`` (default ``results``)."""
    return click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("results"),
        show_default=True,
        help=help,
    )


def overrides(help: str) -> Decorator:
    """``--set KEY=VALUE`` (repeatable), passed as ``overrides``."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=help)


def baseline(help: str) -> Decorator:
    """``--baseline FILE``: a scenario to subtract."""
    return click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), help=help)


def figures(help: str) -> Decorator:
    """``--figures/--no-figures`` (default on)."""
    return click.option("--figures/--no-figures", default=True, show_default=True, help=help)


def quiet(help: str = "No progress and no table.") -> Decorator:
    """``-q/--quiet``."""
    return click.option("-q", "--quiet", is_flag=True, help=help)


WORKERS = click.option(
    "-w", "--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores)."
)
EXECUTOR = click.option(
    "--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True
)
SCHEDULER = click.option(
    "--scheduler", metavar="ADDRESS", help="Dask scheduler address (implies --executor dask)."
)


@dataclass(frozen=True)
class Runs:
    """The options of commands that run several scenarios or variants (compare, sweep)."""

    replications: int | None
    seed: int | None
    workers: int | None
    out: Path
    executor: str
    quiet: bool

    def runner(self) -> dict[str, Any]:
        """Keyword arguments of the runners (``compare``, ``run_variants``)."""
        given = {k: getattr(self, k) for k in ("replications", "seed", "workers", "executor")}
        return {**given, "progress": progress(self.quiet), "report": reporter(self.quiet)}


def several_runs(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the :class:`Runs` options to a command; it receives them as ``runs``."""

    @functools.wraps(f)
    def command(**kwargs: Any) -> Any:
        runs = Runs(**{k.name: kwargs.pop(k.name) for k in fields(Runs)})
        return f(runs=runs, **kwargs)

    return stack(replications(), seed(), WORKERS, out(), EXECUTOR, quiet())(command)


def check_folder_name(name: str) -> None:
    """Raise :class:`ScenarioError` unless ``name`` is a plain folder name (``--name``),
    by the rule of scenario names."""
    problem = name_problem(name)
    if problem:
        message = f"--name must be a plain folder name ({problem}), got {name!r}"
        raise ScenarioError(Problem(message, "--name"))


def progress(quiet: bool) -> bool | None:
    """The ``progress`` argument of the runners: a bar unless ``quiet``."""
    return False if quiet else None


def reporter(quiet: bool) -> Callable[[str], None] | None:
    """Where the runners report one line per run: standard error unless ``quiet``."""
    if quiet:
        return None

    def echo_err(line: str) -> None:
        click.echo(line, err=True)

    return echo_err
