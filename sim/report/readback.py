"""Files of a run folder read back, whatever state they are in.

A run folder may have been edited, truncated by a full disk or replaced by
something else; each reader here either returns what gridshed wrote or raises a
:class:`ScenarioError` naming the file and what is wrong with it (exit status 2
on the command line), never a traceback. Files are read as regular files within
size limits (:mod:`sim.scenario.files`), the resolved YAML within the YAML
budgets (:mod:`sim.scenario.yamlsafe`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.files import MAX_RESULT_BYTES, MAX_YAML_BYTES, open_regular, read_bytes
from sim.scenario.schema import Scenario
from sim.scenario.yamlsafe import parse_yaml

#: Largest ``summary.json`` read back, bytes.
MAX_SUMMARY_BYTES = 50 * 2**20


def _text(path: Path, what: str, limit: int) -> str:
    try:
        return read_bytes(path, what, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(f"damaged {what}: not UTF-8 text (byte {exc.start})", path)) from None


def read_resolved(path: Path) -> Scenario:
    """The resolved scenario of a run folder."""
    _, data = parse_yaml(_text(path, "resolved scenario", MAX_YAML_BYTES), str(path))
    if not isinstance(data, dict):
        raise ScenarioError(Problem("damaged resolved scenario: empty or not a mapping of keys", path))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise ScenarioError(
            Problem(f"not a resolved scenario of this version: {where}: {first['msg']}", path)
        ) from None


def read_summary(path: Path) -> dict[str, Any]:
    """``summary.json`` of a run folder: a JSON object."""
    try:
        data = json.loads(_text(path, "summary", MAX_SUMMARY_BYTES))
    except json.JSONDecodeError as exc:
        raise ScenarioError(Problem(f"damaged summary: not JSON ({exc.msg})", path, exc.lineno)) from None
    except RecursionError:
        raise ScenarioError(Problem("damaged summary: nested too deeply", path)) from None
    if not isinstance(data, dict):
        raise ScenarioError(Problem("damaged summary: not a JSON object", path))
    return data


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet table of a run folder (an empty frame if the file is absent)."""
    if not path.exists():
        return pd.DataFrame()
    open_regular(path, "Parquet table", MAX_RESULT_BYTES).close()
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many kinds (ArrowInvalid, OSError, ...)
        raise ScenarioError(
            Problem(f"damaged Parquet table: cannot read it ({type(exc).__name__})", path)
        ) from None
