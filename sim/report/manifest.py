"""``manifest.json``: what made an output folder, enough to audit and repeat it.

Fields: ``gridshed_version``; ``command`` (run, compare, sweep, or ``python``
from the Python API); ``command_line`` (the command rebuilt from the options it
parsed, defaults left out: one string to paste into a shell) and ``argv`` (the
process's own); ``overrides`` (``--set``); ``seed`` and ``replications`` (of
every scenario run, by name); ``scenario_files``: every file read, with its
``role`` (``scenario``, ``extends`` for the parents of ``extends:`` chains,
``data`` for the CSV files the scenario reads) and ``sha256``; ``started`` and
``ended`` (UTC, ISO 8601 with offset: from the moment the output folder was
reserved, before anything ran, to the moment this file was written, after
every other file); ``machine`` (``platform``, ``python``, ``cpu_count``);
``executor``, ``workers`` and ``scheduler``.

On the command line the command's parameters are read from click's current
context (the commands pass nothing); from Python, :func:`write_run` and the
others take ``sources`` and ``overrides``, and without them the data files of
the resolved scenario are still hashed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.source import PATH_KEYS, apply_overrides, load_source

#: Name of the file in an output folder.
FILE = "manifest.json"
#: Parameters of the commands that name scenario files.
SCENARIO_PARAMS = ("scenario", "scenarios", "baseline")
#: Parameters of the commands that hold ``--set`` values.
OVERRIDE_PARAMS = ("overrides", "settings")


def version() -> str:
    """The installed gridshed's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("gridshed")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0+unknown"


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _data_files(data: Any) -> Iterable[str]:
    """Values of :data:`~sim.scenario.source.PATH_KEYS` anywhere in ``data``."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            if k in PATH_KEYS and isinstance(v, str):
                yield v
            else:
                yield from _data_files(v)
    elif isinstance(data, list | tuple):
        for v in data:
            yield from _data_files(v)


def scenario_files(path: str | Path, overrides: Sequence[str] = ()) -> list[dict[str, str]]:
    """Every file a scenario file reads: itself, its ``extends:`` parents and its
    data files (after ``overrides``), each ``{path, role, sha256}``."""
    src = load_source(path)
    with contextlib.suppress(ScenarioError):  # a bad override: the files without it
        apply_overrides(src, overrides)
    yaml_files = [Path(f) for f in src.files]
    roles = [("extends", f) for f in yaml_files[:-1]] + [("scenario", yaml_files[-1])]
    roles += [("data", Path(f)) for f in dict.fromkeys(_data_files(src.data))]
    return [{"path": str(f.resolve()), "role": role, "sha256": sha256(f)} for role, f in roles if f.is_file()]


def resolved_data_files(scenarios: Iterable[Scenario]) -> list[dict[str, str]]:
    """The data files named in resolved scenarios (absolute paths), hashed."""
    files = dict.fromkeys(f for sc in scenarios for f in _data_files(sc.model_dump(mode="json")))
    return [{"path": f, "role": "data", "sha256": sha256(Path(f))} for f in files if Path(f).is_file()]


def _command_line(ctx: Any) -> str:
    """The command rebuilt from the parameters click parsed (defaults left out)."""
    import click

    words = ["gridshed", ctx.info_name]
    for p in ctx.command.params:
        if p.name not in ctx.params or ctx.get_parameter_source(p.name) == click.core.ParameterSource.DEFAULT:
            continue
        value = ctx.params[p.name]
        values = list(value) if isinstance(value, list | tuple) else [value]
        if isinstance(p, click.Argument):
            words += [str(v) for v in values]
        elif getattr(p, "is_flag", False) and isinstance(value, bool):
            opts = p.opts if value or not p.secondary_opts else p.secondary_opts
            words.append(opts[-1])
        else:
            words += [w for v in values for w in (p.opts[-1], str(v))]
    return shlex.join(words)


def invocation() -> dict[str, Any]:
    """The command, its command line, ``--set`` values and scenario files, from
    click's current context; ``{"command": "python"}`` outside the command line."""
    try:
        import click

        ctx = click.get_current_context(silent=True)
    except ImportError:  # pragma: no cover - click is a dependency
        ctx = None
    if ctx is None or ctx.command is None:
        return {"command": "python"}
    params = ctx.params
    overrides = [s for k in OVERRIDE_PARAMS for s in (params.get(k) or ())]
    paths: list[Path] = []
    for k in SCENARIO_PARAMS:
        v = params.get(k)
        paths += [Path(p) for p in (v if isinstance(v, list | tuple) else [v]) if p is not None]
    return {
        "command": ctx.info_name,
        "command_line": _command_line(ctx),
        "overrides": overrides,
        "sources": paths,
        "executor": params.get("executor"),
        "workers": params.get("workers"),
    }


def manifest(
    scenarios: Sequence[Scenario],
    info: Mapping[str, Any],
    started: datetime | None = None,
    sources: Sequence[str | Path] = (),
    overrides: Sequence[str] = (),
    seed: int | None = None,
    replications: int | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """The manifest of an output folder of ``scenarios`` (their resolved form:
    seeds, replications) run as ``info`` says (``started``, ``executor``,
    ``workers``, ``scheduler`` of :attr:`EnsembleResult.info`). ``started``: when
    the command began (default ``info["started"]``). Without ``scenarios`` (a
    sweep keeps none), ``seed`` and ``replications`` of the runs called ``name``."""
    from sim.experiments.ensemble import default_workers

    call = invocation()
    executor, workers = call.pop("executor", None), call.pop("workers", None)
    sources = [*sources, *call.pop("sources", [])]
    overrides = [*overrides, *call.get("overrides", [])]
    sc_overrides = (
        [s for s in overrides if "," not in s.partition("=")[2]] if call["command"] == "sweep" else overrides
    )
    files: dict[str, dict[str, str]] = {}
    for path in sources:
        for f in scenario_files(path, sc_overrides):
            files.setdefault(f["path"], f)
    for f in resolved_data_files(scenarios):
        files.setdefault(f["path"], f)
    return {
        "gridshed_version": version(),
        **call,
        "command_line": call.get("command_line"),
        "argv": list(sys.argv),
        "overrides": overrides,
        "seed": {sc.name: sc.seed for sc in scenarios} if scenarios else {name: seed},
        "replications": {sc.name: sc.replications for sc in scenarios} if scenarios else {name: replications},
        "scenario_files": list(files.values()),
        "started": (started.isoformat() if started else info.get("started")),
        "ended": datetime.now(UTC).isoformat(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        },
        "executor": info.get("executor") or executor,
        "workers": info.get("workers") or workers or default_workers(),
        "scheduler": info.get("scheduler"),
    }
