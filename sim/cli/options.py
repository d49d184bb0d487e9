"""Options shared by several commands, each declared once, and small helpers.

Options whose help text depends on the command (one run or several) take it as
an argument; their name, type and default never change.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sim.errors import Problem, ScenarioError
from sim.scenario.base import name_problem
from sim.scenario.schema import Scenario
from sim.scenario.size import Size, combine, estimate

if TYPE_CHECKING:
    from sim.cli.progress import CommandBar
    from sim.report.outfolder import Reservation

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


def quiet(help: str = "Print only the output folder (errors still go to standard error).") -> Decorator:
    """``-q/--quiet``."""
    return click.option("-q", "--quiet", is_flag=True, help=help)


PROGRESS = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show one progress bar with the time left over the whole command, on standard error "
    "(default: when that is a terminal; never with -q).",
)

OVERWRITE = click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing output folder (default: write NAME-2, NAME-3, ... beside it).",
)
ALLOW_LARGE = click.option(
    "--allow-large",
    is_flag=True,
    help="Run even if the size estimate (steps, replications, facilities, events, memory) "
    "exceeds the limits; gridshed validate prints the estimate.",
)
WORKERS = click.option(
    "-w", "--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores)."
)
EXECUTOR = click.option(
    "--executor",
    type=click.Choice(["process", "dask"]),
    default="process",
    show_default=True,
    help="Where replications run: local worker processes, or a Dask cluster (a new local one "
    "unless --scheduler).",
)
CSV = click.option(
    "--csv",
    is_flag=True,
    help="Also write the tables as CSV (summary, replications wide and long, time series).",
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
    progress: bool | None
    allow_large: bool
    overwrite: bool

    def bar(self) -> CommandBar:
        """The command's progress bar (:func:`command_bar`)."""
        return command_bar(self.quiet, self.progress)

    def runner(self, bar: CommandBar) -> dict[str, Any]:
        """Keyword arguments of the runners (``compare``, ``run_variants``): progress
        on ``bar``, one line per run on standard error (none if quiet)."""
        given = {k: getattr(self, k) for k in ("replications", "seed", "workers", "executor")}
        return {**given, "progress": bar.counter(), "report": None if self.quiet else bar.echo}


def several_runs(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add the :class:`Runs` options to a command; it receives them as ``runs``."""

    @functools.wraps(f)
    def command(**kwargs: Any) -> Any:
        runs = Runs(**{k.name: kwargs.pop(k.name) for k in fields(Runs)})
        return f(runs=runs, **kwargs)

    return stack(replications(), seed(), WORKERS, out(), EXECUTOR, quiet(), PROGRESS, ALLOW_LARGE, OVERWRITE)(
        command
    )


def check_folder_name(name: str) -> None:
    """Raise :class:`ScenarioError` unless ``name`` is a plain folder name (``--name``),
    by the rule of scenario names."""
    problem = name_problem(name)
    if problem:
        message = f"--name must be a plain folder name ({problem}), got {name!r}"
        raise ScenarioError(Problem(message, "--name"))


def run_size(
    scenarios: Sequence[Scenario],
    replications: int | None,
    workers: int | None,
    keep: bool = False,
) -> Size:
    """The estimated size of running ``scenarios`` one after the other (``workers``
    default: all cores, as the runners; ``keep``: every time series kept in memory)."""
    from sim.experiments.workers import default_workers

    n = default_workers() if workers is None else workers
    return combine(estimate(sc, replications, n, keep) for sc in scenarios)


def check_size(size: Size, allow_large: bool, where: str | Path | None = None) -> None:
    """Raise :class:`ScenarioError` if ``size`` exceeds the limits and ``allow_large``
    is not given; the message lists what is too large and the whole estimate."""
    problems = size.problems()
    if problems and not allow_large:
        raise ScenarioError(
            Problem(
                f"too large to run: {'; '.join(problems)} (estimate: {size.describe()}); "
                "give --allow-large to run it anyway",
                where,
            )
        )


@contextlib.contextmanager
def output_folder(parent: Path, name: str, overwrite: bool, quiet: bool = False) -> Iterator[Reservation]:
    """Reserve ``parent/name`` before a run (:func:`sim.report.outfolder.reserve`);
    say so on standard error when the results go to another name (unless ``quiet``:
    the folder printed at the end says it)."""
    from sim.report.outfolder import reserve

    with reserve(parent, name, overwrite) as folder:
        if folder.path.name != name and not quiet:
            click.echo(
                f"note: {parent / name} exists or is being written; writing to {folder.path} "
                "(--overwrite replaces it)",
                err=True,
            )
        yield folder


def series_file(folder: Reservation) -> Path:
    """Where a run writes every replication's series while it runs (in the
    reserved folder's temporary folder, renamed with it)."""
    from sim.experiments.seriesfile import FILE

    assert folder.tmp is not None
    return folder.tmp / FILE


def command_bar(quiet: bool, progress: bool | None, guesses: dict[str, float] | None = None) -> CommandBar:
    """The one progress bar of a command (:class:`sim.cli.progress.CommandBar`):
    none with ``quiet``, else as ``--progress/--no-progress`` says (default: if
    standard error is a terminal), in its set-up phase; ``guesses``: the phases
    that follow, as :meth:`~sim.cli.progress.CommandBar.for_command` takes them."""
    from sim.cli.progress import CommandBar

    return CommandBar.for_command(False if quiet else progress, guesses)


def finish(bar: CommandBar, folder: Path, quiet: bool, text: Callable[[], str]) -> None:
    """End a command: close its bar; then print the output folder alone (``quiet``)
    or ``text()`` (tables and the whole command's time)."""
    bar.close()
    click.echo(str(folder) if quiet else text())
