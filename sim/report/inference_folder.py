"""The folders of ``gridshed calibrate`` and ``gridshed sensitivity``, written
whole or not at all, and the posterior scenario file.

Calibration folder: ``summary.json``, ``calibration.md``, ``posterior.parquet``
(the last population), ``predictive.parquet`` (posterior predictive draws),
``prior_predictive.parquet``, ``history.db`` (pyabc's SQLite history),
``posterior.yaml`` (a scenario that ``extends:`` the original with the
posterior medians) and ``figures/``. Sensitivity folder: ``summary.json``,
``sensitivity.md``, ``points.parquet``, ``indices.parquet`` and ``figures/``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.report.comparison_folder import save_figure
from sim.report.inference_tables import calibration_markdown, sensitivity_block
from sim.report.outfolder import Reservation
from sim.report.runfolder import json_safe, write_atomic
from sim.scenario.source import PATH_KEYS, load_source, split_key


def _relative_paths(data: Any, folder: Path) -> Any:
    """Data files named relative to ``folder`` (the loader made them absolute)."""
    if isinstance(data, dict):
        out = {k: _relative_paths(v, folder) for k, v in data.items()}
        for k in PATH_KEYS & set(out):
            if isinstance(out[k], str):
                out[k] = os.path.relpath(out[k], folder)
        return out
    if isinstance(data, list):
        return [_relative_paths(v, folder) for v in data]
    return data


def _put(node: dict, parts: Sequence[Any], value: Any, base: Any, folder: Path) -> None:
    """Set ``parts`` in ``node``; a list on the way is copied whole from ``base``
    (``extends:`` replaces lists, so the file must give all of it)."""
    for k, part in enumerate(parts[:-1]):
        base = base.get(part) if isinstance(base, dict) else (base[part] if base is not None else None)
        if isinstance(node, dict) and part not in node:
            nxt = parts[k + 1]
            node[part] = _relative_paths(copy.deepcopy(base), folder) if isinstance(nxt, int) else {}
        node = node[part]
    node[parts[-1]] = value


def posterior_yaml(
    scenario: Path, folder: Path, settings: Sequence[str], values: Mapping[str, Any], name: str, header: str
) -> str:
    """A scenario file for ``folder`` that ``extends:`` ``scenario`` and sets the
    calibration's fixed ``settings`` (``KEY=VALUE``) and the posterior ``values``."""
    base = load_source(scenario).data
    parent = os.path.relpath(Path(scenario).resolve(), folder.resolve())
    data: dict[str, Any] = {"extends": parent, "name": name}
    pairs = [(k, yaml.safe_load(v)) for k, _, v in (s.partition("=") for s in settings)]
    for key, value in [*pairs, *values.items()]:
        _put(data, split_key(key), value, base, folder.resolve())
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return "".join(f"# {line}\n" for line in header.splitlines()) + body


def _figures(tmp: Path, figures: Mapping[str, Callable[[], Figure | None]]) -> None:
    (tmp / "figures").mkdir()
    for name, make in figures.items():
        fig = make()
        if fig is not None:
            save_figure(lambda fig=fig: fig, tmp / "figures" / f"{name}.png")


def write_json(path: Path, data: Any) -> None:
    """JSON with NaN as null, indented, newline-terminated."""
    path.write_text(json.dumps(json_safe(data), indent=2) + "\n", encoding="utf-8")


def write_calibration(
    folder: Path | Reservation,
    summary: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    history: Path,
    posterior_file: str,
    figures: Mapping[str, Callable[[], Figure | None]] | None = None,
) -> Path:
    """Write the calibration folder; ``tables`` are Parquet files by name, ``history``
    pyabc's database (moved in)."""

    def fill(tmp: Path) -> None:
        write_json(tmp / "summary.json", summary)
        (tmp / "calibration.md").write_text(calibration_markdown(summary), encoding="utf-8")
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "posterior.yaml").write_text(posterior_file, encoding="utf-8")
        shutil.copyfile(history, tmp / "history.db")
        if figures:
            _figures(tmp, figures)

    return write_atomic(folder if isinstance(folder, Reservation) else Path(folder), fill)


def write_sensitivity(
    folder: Path | Reservation,
    summary: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Callable[[], Figure | None]] | None = None,
) -> Path:
    """Write the sensitivity folder."""

    def fill(tmp: Path) -> None:
        write_json(tmp / "summary.json", summary)
        text = f"# Sensitivity of {summary['scenario']}\n\n{sensitivity_block(summary)}\n"
        (tmp / "sensitivity.md").write_text(text, encoding="utf-8")
        for name, frame in tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        if figures:
            _figures(tmp, figures)

    return write_atomic(folder if isinstance(folder, Reservation) else Path(folder), fill)
