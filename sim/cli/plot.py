"""``gridshed plot``: the figures of a run folder, written into it."""

from __future__ import annotations

from pathlib import Path

import click

from sim.errors import Problem, ScenarioError


def parse_reported(values: tuple[str, ...]) -> dict[str, float]:
    """``("KIND=COUNT", ...)`` -> reference closure counts by closure kind.

    Raises :class:`ScenarioError` for an item that is not ``KIND=COUNT`` or an unknown kind.
    """
    from sim.report.figures import normalise_reported

    out = {}
    for v in values:
        key, sep, count = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(count)
        except ValueError:
            raise ScenarioError(
                Problem(f"--reported needs KIND=COUNT, e.g. closed_voluntarily=55, not {v!r}")
            ) from None
    try:
        return normalise_reported(out)
    except ValueError as exc:
        raise ScenarioError(Problem(f"--reported: {exc}")) from None


@click.command("plot")
@click.argument("run_dir", type=click.Path(file_okay=True, path_type=Path))
@click.option(
    "--reported",
    multiple=True,
    metavar="KIND=COUNT",
    help="Reported closures drawn as reference lines, e.g. --reported closed_voluntarily=55 "
    "--reported disconnected_by_force=51.",
)
def plot_command(run_dir: Path, reported: tuple[str, ...]) -> None:
    """Write the figures of the run folder RUN_DIR into RUN_DIR/figures/."""
    from sim.report.figures import RunData, write_figures

    ref = parse_reported(reported)
    run = RunData.load(run_dir)
    try:
        paths = write_figures(run, run_dir / "figures", reported=ref)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        # The files read, but their content is not what gridshed writes (edited, mixed up).
        raise ScenarioError(
            Problem(
                f"damaged run folder: its tables do not hold what gridshed writes ({type(exc).__name__})",
                run_dir,
            )
        ) from None
    for path in paths:
        click.echo(str(path))
