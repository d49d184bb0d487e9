"""gridshed: grid shortages, crypto-mining loads, enforcement and load shedding,
simulated by Monte Carlo over a SimPy discrete-event model.

The public API, imported lazily so that ``import sim`` stays cheap::

    import sim

    sc = sim.load_scenario("scenarios/kazakhstan_2021_22.yaml", ["replications=100"])
    result = sim.run_ensemble(sc, workers=2)
    result.summary()["relief_mw"]

- :func:`load_scenario`: read, validate and resolve a scenario file;
- :func:`run_ensemble`: run its replications and aggregate them;
- :func:`compare`: several scenarios side by side, paired with a baseline;
- :func:`sweep`: a grid of variants of one scenario;
- :class:`RunData`: read a run folder back (for figures and notebooks);
- :func:`write_run`: write a run folder.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_API = {
    "load_scenario": "sim.scenario.load",
    "run_ensemble": "sim.experiments.ensemble",
    "compare": "sim.experiments.compare",
    "sweep": "sim.experiments.sweep",
    "RunData": "sim.report.rundata",
    "write_run": "sim.report.runfolder",
    "ScenarioError": "sim.errors",
}
__all__ = [
    "RunData",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "run_ensemble",
    "sweep",
    "write_run",
]

if TYPE_CHECKING:
    from sim.errors import ScenarioError
    from sim.experiments.compare import compare
    from sim.experiments.ensemble import run_ensemble
    from sim.experiments.sweep import sweep
    from sim.report.rundata import RunData
    from sim.report.runfolder import write_run
    from sim.scenario.load import load_scenario


def _version() -> str:
    """The installed version (importlib.metadata is slow to import: only when asked,
    so that the command line starts, and handles Ctrl-C, at once)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gridshed")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
