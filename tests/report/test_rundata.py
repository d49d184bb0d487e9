"""RunData: the tables of a run from memory or a run folder, the loads, the
replications' series (``keep_timeseries``), loss of load and EUE by month, and
where notebooks find the scenario files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from sim.dispatch.balance import EPS_MW
from sim.errors import ScenarioError
from sim.experiments.ensemble import run_ensemble
from sim.report import figures as plots
from sim.report.rundata import SCENARIOS_ENV, scenario_file

pytest_plugins = ["report.figdata"]


def test_run_data_from_a_run_folder_matches_the_in_memory_run(run_folder, example):
    loaded = plots.RunData.load(run_folder)
    mem = plots.RunData.from_result(run_ensemble(example, replications=4, workers=1, progress=False))
    assert loaded.name == mem.name == "two_zones"
    assert loaded.zones == mem.zones == ("North", "South")
    assert loaded.timezone == "Asia/Almaty"
    assert loaded.milestones() == mem.milestones()
    pd.testing.assert_frame_equal(loaded.loads("South"), mem.loads("South"), check_freq=False)
    assert loaded.estimate("lole_h", "South") == pytest.approx(mem.estimate("lole_h", "South"))
    assert not loaded.has_replication_series and not mem.has_replication_series
    pd.testing.assert_frame_equal(loaded.eue_by_month(), mem.eue_by_month())


def test_loads_split_licensed_mining_into_drawn_and_held_back(run):
    for zone in ("national", *run.zones):
        d = run.loads(zone)
        np.testing.assert_allclose(d.licensed_drawn + d.held_back, d.licensed, atol=1e-6)
        assert (d[["ordinary", "grey", "licensed_drawn", "held_back", "shed"]] >= -1e-9).all().all()
    national = run.loads("national")
    np.testing.assert_allclose(national.grey, sum(run.loads(z).grey for z in run.zones))
    # The cut-off of licensed miners (24 Jan - 6 Feb) holds all of their load back.
    cut = national.loc["2022-01-26":"2022-02-05"]
    assert (cut.licensed_drawn < 1e-6).all() and (cut.held_back > 0).all()


def test_unknown_zone_is_refused(run, run_series):
    with pytest.raises(ValueError, match="unknown zone 'East'; zones: North, South"):
        run.loads("East")
    with pytest.raises(ValueError, match="unknown zone 'East'; zones: North, South"):
        run_series.replication_series("shed_mw", "East")


def test_milestones_come_from_the_scenario_orders_campaign_and_target(run):
    assert [(t.strftime("%Y-%m-%d"), s) for t, s in run.milestones()] == [
        ("2022-01-24", "licensed cut-off, 24 Jan - 6 Feb 2022"),
        ("2022-01-25", "inspection campaign starts, 25 Jan 2022"),
        ("2022-02-25", "target date, 25 Feb 2022 (80 MW)"),
    ]
    assert all(str(t.tz) == "Asia/Almaty" for t, _ in run.milestones())
    orders = {"orders": [{"name": "rationing", "start": "2022-02-10T00:00:00", "licensed_limit": 0.5}]}
    moved = dataclasses.replace(
        run, scenario=run.scenario.model_validate({**run.scenario.model_dump(), "operator": orders})
    )
    assert [s for _, s in moved.milestones()] == [
        "inspection campaign starts, 25 Jan 2022",
        "rationing, 10 Feb 2022",
        "target date, 25 Feb 2022 (80 MW)",
    ]


def test_replication_series_are_there_only_with_keep_timeseries(run, run_series, example_result):
    assert run.replication_series("shed_mw", "South") is None
    assert run_series.has_replication_series
    south = run_series.replication_series("shed_mw", "South")
    assert south.shape == (example_result.n, len(run_series.index))
    # Their mean is the ensemble mean of the time series; national is the sum of the zones.
    np.testing.assert_allclose(south.mean(axis=0), run_series.series("shed_mw", "South")["mean"], atol=1e-9)
    national = run_series.replication_series("shed_mw")
    np.testing.assert_allclose(national, sum(run_series.replication_series("shed_mw", z) for z in run.zones))
    relief = run_series.replication_series("relief_mw")
    assert relief.shape == south.shape
    at_target = run.index.get_loc(run.local(run.scenario.target.by))
    np.testing.assert_allclose(relief[:, at_target], example_result.replications["relief_mw"])


def test_loss_of_load_probability_sums_to_the_lole(run, run_series):
    reps = run.replications
    for zone in run.zones:
        for data in (run, run_series):
            lolp = data.loss_of_load(zone)
            assert lolp.between(0, 1).all()
            assert lolp.sum() * data.step_h == pytest.approx(reps[f"lole_h.{zone}"].mean())
    # National: the share of replications in which any zone sheds (exact with the series).
    exact = run_series.loss_of_load("national")
    assert exact.sum() * run.step_h == pytest.approx(reps["lole_h"].mean())
    shed = np.stack([run_series.replication_series("shed_mw", z) for z in run.zones])
    np.testing.assert_allclose(exact, (shed > EPS_MW).any(axis=0).mean(axis=0))
    # Without them, the sum over zones (an upper bound).
    assert (run.loss_of_load("national") >= exact - 1e-12).all()


def test_eue_by_month_adds_up_to_the_mean_eue_and_per_replication_to_each_replication(run, run_series):
    months = run.eue_by_month()
    assert [m.strftime("%Y-%m") for m in months.index] == ["2022-01", "2022-02"]
    assert list(months.columns) == ["North", "South"]
    for zone in run.zones:
        assert months[zone].sum() == pytest.approx(run.replications[f"eue_mwh.{zone}"].mean())
    assert run.eue_by_month_per_replication() is None
    per_rep = run_series.eue_by_month_per_replication()
    assert per_rep.shape == (len(run.replications), 2)
    np.testing.assert_allclose(per_rep.sum(axis=1), run.replications["eue_mwh"], rtol=1e-9)
    np.testing.assert_allclose(per_rep.mean(axis=0), months.sum(axis=1), rtol=1e-9)
    south = run_series.eue_by_month_per_replication("South")
    np.testing.assert_allclose(south.sum(axis=1), run.replications["eue_mwh.South"], rtol=1e-9)


def test_scenario_files_are_found_from_the_package_or_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)
    assert scenario_file() == ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
    assert scenario_file("shortages/cold_snap.yaml").is_file()
    (tmp_path / "mine.yaml").write_text("name: mine\n", encoding="utf-8")
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path))
    assert scenario_file("mine.yaml") == tmp_path / "mine.yaml"
    with pytest.raises(ScenarioError) as err:
        scenario_file()
    assert str(err.value) == (
        f"{tmp_path / 'kazakhstan_2021_22.yaml'}: no scenario file 'kazakhstan_2021_22.yaml' in {tmp_path}: "
        f"set {SCENARIOS_ENV} to the folder of the scenarios, or give the scenario's path"
    )
