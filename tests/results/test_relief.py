"""Relief three ways (accounting, before and after, counterfactual) on a small
scenario with a known answer: licensed miners limited to half from 10 January,
ample generation (nothing shed or curtailed), no campaign."""

from __future__ import annotations

import json

import pytest
import yaml

from sim.model.replication import prepare, simulate
from sim.results.metrics import evaluate
from sim.scenario.schema import Scenario

BASE = {
    "name": "relief",
    "start": "2022-01-01",
    "end": "2022-02-01",
    "seed": 5,
    "replications": 3,
    "zones": {"A": {"demand": {"peak_mw": 100}}},
    "generation": {"units": [{"name": "big", "zone": "A", "capacity_mw": 10_000, "mttf_h": 1e9}]},
    "mining": {
        "populations": [
            {"zone": "A", "legal_status": "licensed", "count": 10},
            {"zone": "A", "legal_status": "grey", "count": 10},
        ]
    },
}


def data(lasting: bool, definition: str = "before_after") -> dict:
    return {
        **BASE,
        "operator": {
            "orders": [{"name": "limit", "start": "2022-01-10", "licensed_limit": 0.5, "lasting": lasting}]
        },
        "target": {"relief_mw": 50, "by": "2022-01-20", "definition": definition, "reference": "2022-01-05"},
    }


def summary(d: dict) -> tuple[dict, float]:
    static = prepare(Scenario.model_validate(d))
    raw = simulate(static, 0)
    t = raw.facilities
    return evaluate(static, raw).summary, float(t.load_mw[t.licensed].sum())


@pytest.mark.parametrize("lasting", [True, False])
def test_before_and_after_measures_the_fall_whatever_its_cause(lasting):
    s, licensed = summary(data(lasting))
    assert s["relief_before_after_mw"] == pytest.approx(0.5 * licensed)
    assert s["relief_mw"] == s["relief_before_after_mw"]
    # Accounting counts only lasting limits (and closures, here none).
    assert s["relief_accounting_mw"] == pytest.approx(0.5 * licensed if lasting else 0.0)
    grey = s["mining_at_target_mw"] - 0.5 * licensed
    assert grey == pytest.approx(s["mining_mw"] - licensed)


def test_the_default_definition_keeps_the_accounting_relief():
    s, licensed = summary(data(False, "accounting"))
    assert s["relief_mw"] == s["relief_accounting_mw"] == 0.0
    assert s["relief_before_after_mw"] == pytest.approx(0.5 * licensed)


def test_before_and_after_without_a_reference_or_campaign_is_refused():
    d = data(True)
    d["target"] = {**d["target"], "reference": None}
    with pytest.raises(ValueError, match=r"before_after needs target\.reference or a campaign"):
        Scenario.model_validate(d)


def test_run_counterfactual_reports_the_three_reliefs(cli, tmp_path):
    path = tmp_path / "relief.yaml"
    path.write_text(yaml.safe_dump(data(True)), encoding="utf-8")
    result = cli("run", path, "--out", tmp_path, "--no-figures", "--workers", "1", "--counterfactual")
    assert result.exit_code == 0, result.output
    s = json.loads((tmp_path / "relief" / "summary.json").read_text())
    r = s["relief"]
    assert r["definition"] == s["target"]["definition"] == "before_after"
    assert r["reference"].startswith("2022-01-05")
    # Without the crackdown the lasting limit goes: the load it holds back is the
    # counterfactual relief, replication by replication.
    assert r["counterfactual"]["mean"] == pytest.approx(r["accounting"]["mean"])
    assert r["counterfactual"]["n"] == 3 and r["counterfactual"]["mean"] > 0
    assert r["before_after"]["mean"] == pytest.approx(s["relief_mw"]["mean"])
    for line in ("before and after (verdict)", "accounting", "counterfactual", "share of MW"):
        assert line in result.stdout
    both = cli("run", path, "--out", tmp_path, "--counterfactual", "--baseline", path)
    assert both.exit_code == 2 and "not both" in both.output
