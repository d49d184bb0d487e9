"""The ``gridshed`` command line.

Bad input of any kind (scenario files, data files, flags) ends with one message
naming the file, the line, the key and what is expected, and exit status 2.
Each command lives in its own module and is imported only when used; options
shared by several commands are declared once in :mod:`sim.cli.options`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from sim.cli.stop import stop_early

stop_early()  # before the imports below, which take a while (only in the gridshed program)

import click  # noqa: E402

from sim.errors import ScenarioError  # noqa: E402

#: Exit status of bad input.
BAD_INPUT = 2
#: The subcommands, as ``module:attribute``, imported only when used.
LAZY = {
    "run": "sim.cli.run:run",
    "validate": "sim.cli.validate:validate",
    "schema": "sim.cli.validate:schema",
    "compare": "sim.cli.compare:compare_command",
    "sweep": "sim.cli.sweep:sweep_command",
    "plot": "sim.cli.plot:plot_command",
    "calibrate": "sim.cli.calibrate:calibrate_command",
    "sensitivity": "sim.cli.calibrate:sensitivity_command",
}
#: The first paragraph of each subcommand's help, for ``gridshed --help``, which so
#: lists the commands without importing them (and the simulation stack they
#: import); tests/cli/test_startup.py checks that they match the commands' own.
SUMMARY = {
    "calibrate": "Infer SCENARIO's unknowns from the records in CALIBRATION (ABC-SMC with pyabc).",
    "compare": "Run SCENARIOS with common random numbers and show them side by side.",
    "plot": "Draw the figures of a folder written by run, compare or sweep, into it.",
    "run": "Run SCENARIO's replications and write DIR/<name>/ (see --out).",
    "schema": "Print the JSON Schema of scenario files (for editor completion).",
    "sensitivity": "Global sensitivity of SCENARIO's outputs to the unknowns of CALIBRATION (SALib).",
    "sweep": "Run every combination of the --set values on SCENARIO with common random numbers.",
    "validate": "Check scenario FILES (after any --set); print one line per file and its run's size.",
}


class _Group(click.Group):
    """Turns :class:`ScenarioError` into a message and exit status 2; loads the
    subcommands of :data:`LAZY` on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY and name not in self.commands:
            import importlib

            module, attr = LAZY[name].split(":")
            try:
                return getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                return None
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands of ``--help``, from :data:`SUMMARY` for the lazy ones."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in LAZY and name not in self.commands:
                stub = click.Command(name, help=SUMMARY[name])  # shortened as click shortens
                rows.append((name, stub.get_short_help_str(limit)))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    #: Whether the last command was stopped by a signal.
    interrupted = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; SIGINT and SIGTERM end it with one line and 130 or 143."""
        from sim.cli.stop import Interrupted, stop_on_signals

        self.interrupted = False
        with stop_on_signals():
            try:
                return super().main(*args, **kwargs)
            except Interrupted as exc:
                self.interrupted = True
                click.echo(f"interrupted by {exc.name}; stopped", err=True)
                sys.exit(exc.status)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The program itself (not a test runner): after an interrupt, exit at once,
        without waiting for threads of the libraries at interpreter exit."""
        try:
            return self.main(*args, **kwargs)
        except SystemExit as exc:
            if self.interrupted:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(exc.code if isinstance(exc.code, int) else 1)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(BAD_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridshed")
def main() -> None:
    """gridshed: grid shortages, mining loads and load shedding, by Monte Carlo."""


if __name__ == "__main__":  # pragma: no cover
    main()
