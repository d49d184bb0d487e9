"""What the light commands import: ``gridshed --help``, ``validate`` and ``schema``
never load the simulation stack (its import is most of a run's fixed cost)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sim.cli import LAZY, SUMMARY, main

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
#: The simulation stack: none of these may be imported by the light commands.
HEAVY = ("pandas", "scipy", "matplotlib", "pyarrow", "dask", "distributed", "simpy", "sim.model")
#: Runs the command line in a fresh interpreter, then prints its exit status and
#: the heavy modules it imported.
PROBE = """
import json, sys
from sim.cli import main
try:
    main(sys.argv[1:], prog_name="gridshed")
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {h.split(".")[0] for h in HEAVY} and
               any(m == h or m.startswith(h + ".") for h in HEAVY))
print(json.dumps({"code": code, "heavy": heavy}), file=sys.__stderr__)
"""


def imported(*args: str, before: str = "") -> dict:
    """Exit status and heavy modules imported by ``gridshed ARGS`` in a new process
    (after running the code ``before``)."""
    code = f"HEAVY = {HEAVY!r}\n{before}\n" + PROBE
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [("--help",), ("schema",), ("validate", str(FLAGSHIP)), ("validate", "--help"), ("run", "--help")],
    ids=["help", "schema", "validate", "validate-help", "run-help"],
)
def test_light_commands_do_not_import_the_simulation_stack(args):
    got = imported(*args)
    assert got["code"] in (0, None)
    assert got["heavy"] == []


def test_the_probe_sees_heavy_imports_and_bad_input():
    """The probe itself works: it sees the stack when the runner is imported, and
    the exit status of bad input."""
    got = imported("validate", "--workers", "x", str(FLAGSHIP), before="import sim.experiments.ensemble")
    assert got["code"] == 2
    assert {"pandas", "simpy", "sim.model"} <= set(got["heavy"])


def test_the_summaries_are_the_commands_own():
    ctx = click.Context(main)
    assert set(SUMMARY) == set(LAZY)
    for name in LAZY:
        cmd = main.get_command(ctx, name)
        assert cmd.help.split("\n\n")[0] == SUMMARY[name]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_help_lists_the_commands_as_click_would_from_the_commands(width):
    """The list of ``--help``, from the summaries, is click's own from the
    imported commands."""
    ctx = click.Context(main)
    ours, clicks = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
    main.format_commands(ctx, ours)
    click.Group.format_commands(main, ctx, clicks)
    assert ours.getvalue() == clicks.getvalue()
    assert all(f"  {name} " in ours.getvalue() for name in LAZY)
