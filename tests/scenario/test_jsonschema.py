"""The JSON Schema that ``gridshed schema`` prints accepts every shipped
scenario, complete or variant, and still rejects misspelt keys."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ROOT

from sim.scenario.jsonschema import scenario_json_schema

#: Every scenario file shipped (calibration files are not scenarios: tests/tools checks them).
SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if "calibration" not in p.parts)


class _Plain(yaml.SafeLoader):
    """YAML as an editor's validator sees it: timestamps stay strings."""


_Plain.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Plain)


def test_there_are_variant_files_among_the_scenarios() -> None:
    assert any("extends" in _load(p) for p in SCENARIOS)
    assert any(any(str(k).endswith("+") for k in _load(p)) for p in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_scenario_is_valid(validator, path: Path) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_load(path))]
    assert errors == []


def test_a_misspelt_key_is_flagged_in_complete_and_variant_files(validator) -> None:
    base = _load(ROOT / "scenarios" / "examples" / "two_zones.yaml")
    base["enforcement"]["teamz"] = 3
    assert not validator.is_valid(base)
    assert not validator.is_valid({"extends": "x.yaml", "enforcement": {"teamz": 3}})
    assert validator.is_valid({"extends": "x.yaml", "enforcement": {"teams": 3}})


def test_a_complete_file_must_have_its_required_keys(validator) -> None:
    assert not validator.is_valid({"name": "x"})


def test_the_cli_prints_this_schema(cli) -> None:
    res = cli("schema")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == scenario_json_schema()
