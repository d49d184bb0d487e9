"""Comparisons, paired differences, sweeps and the shortage library (sim/compare.py).

Directions that must hold are tested as one-sided tests on paired differences
under common random numbers: "X never lowers Y" fails only if the 95 % interval
of (Y with more X) - (Y with less X) lies wholly below zero. Runs are seeded, so
the tests are deterministic; the replication counts are modest, to keep the file
well under a minute on two cores.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import EXAMPLE, ROOT

from sim.errors import ScenarioError
from sim.experiments.compare import compare, enough_table, paired_differences, without_crackdown
from sim.experiments.ensemble import run_ensemble
from sim.experiments.sweep import sweep
from sim.experiments.variants import parse_grid, split_values
from sim.report.figures.heatmap import sweep_heatmap
from sim.report.sweep_folder import write_sweep
from sim.scenario.load import load_scenario
from sim.vocab import DIFFERENCES as DIFF_METRICS

FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
NO_CRACKDOWN = ROOT / "scenarios" / "kazakhstan_2021_22_no_crackdown.yaml"
SHORTAGES = ROOT / "scenarios" / "shortages"
SHORTAGE_FILES = sorted(SHORTAGES.glob("*.yaml"))
EXPECTED = {
    "cold_snap",
    "south_islanding",
    "no_russian_imports",
    "outages_2021",
    "grey_low",
    "grey_high",
    "exodus",
    "no_crackdown",
}
#: Replications for the direction tests on the flagship.
N = 40


def run(sc, n: int = N, **kw):
    return run_ensemble(sc, replications=n, workers=2, progress=False, **kw)


def not_lower(diff: pd.DataFrame, metric: str) -> pd.Series:
    """The row of ``metric``, asserting its interval is not wholly below zero."""
    r = diff.set_index("metric").loc[metric]
    assert r["ci95_high"] >= 0, (
        f"{metric} is significantly lower: {r['mean']:+.1f} [{r['ci95_low']:+.1f}, {r['ci95_high']:+.1f}]"
    )
    return r


@pytest.fixture(scope="module")
def flagship():
    return load_scenario(FLAGSHIP)


@pytest.fixture(scope="module")
def flagship_run(flagship):
    return run(flagship)


# ------------------------------------------------------------ paired differences


def test_paired_differences_are_the_mean_and_t_interval_of_per_replication_differences(example):
    a = run(example, 12)
    b = run(
        example.model_copy(update={"enforcement": example.enforcement.model_copy(update={"teams": 1})}), 12
    )
    d = paired_differences(a, b, ["relief_mw", "eue_mwh"]).set_index("metric")
    x = a.replications["relief_mw"].to_numpy() - b.replications["relief_mw"].to_numpy()
    from scipy import stats

    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    assert d.loc["relief_mw", "mean"] == pytest.approx(x.mean())
    assert d.loc["relief_mw", "ci95_low"] == pytest.approx(x.mean() - half)
    assert d.loc["relief_mw", "ci95_high"] == pytest.approx(x.mean() + half)
    assert d.loc["relief_mw", "mean_a"] == pytest.approx(a.replications["relief_mw"].mean())
    assert d.loc["relief_mw", "n"] == 12
    assert bool(d.loc["relief_mw", "common_random_numbers"])
    # The same run against itself: exactly zero, no direction.
    same = paired_differences(a, a, DIFF_METRICS)
    assert (same["mean"] == 0).all() and (same["ci95_high"] == 0).all()
    assert set(same["direction"]) == {"no clear difference"}


def test_paired_differences_reject_unknown_metrics_and_disjoint_replications(example):
    a = run(example, 4)
    with pytest.raises(ValueError, match=r"unknown metric\(s\) \['eue'\]"):
        paired_differences(a, a, ["eue"])
    b = run(example, 4)
    b.replications["replication"] += 100
    with pytest.raises(ValueError, match="share no replication index"):
        paired_differences(a, b)


# ----------------------------------------------------- directions on the flagship


def test_more_inspection_teams_never_lower_relief_by_the_target_date(flagship, flagship_run):
    def teams(k):
        return flagship.model_copy(
            update={"enforcement": flagship.enforcement.model_copy(update={"teams": k})}
        )

    few, many = run(teams(3)), run(teams(12))
    assert (
        not_lower(paired_differences(flagship_run, few, ["relief_mw"]), "relief_mw")["direction"] == "higher"
    )
    assert (
        not_lower(paired_differences(many, flagship_run, ["relief_mw"]), "relief_mw")["direction"] == "higher"
    )


def test_a_colder_snap_never_lowers_eue(flagship_run):
    snap = run(load_scenario(SHORTAGES / "cold_snap.yaml"))
    colder = run(load_scenario(SHORTAGES / "cold_snap.yaml", ["shocks.0.delta_c=-25"]))
    not_lower(paired_differences(snap, flagship_run, ["eue_mwh"]), "eue_mwh")
    r = not_lower(paired_differences(colder, snap, ["eue_mwh", "peak_shortfall_mw"]), "eue_mwh")
    assert r["mean"] > 0


def test_cutting_imports_never_lowers_eue(flagship_run):
    cut = run(load_scenario(SHORTAGES / "no_russian_imports.yaml"))
    d = paired_differences(cut, flagship_run, ["eue_mwh", "eue_mwh.North", "eue_mwh.West"])
    for m in ("eue_mwh", "eue_mwh.North", "eue_mwh.West"):
        not_lower(d, m)
    assert d.set_index("metric").loc["eue_mwh", "direction"] == "higher"


def test_no_crackdown_never_gives_less_eue_than_the_crackdown(flagship_run):
    off = run(load_scenario(NO_CRACKDOWN))
    d = paired_differences(off, flagship_run, ["eue_mwh", "lole_h", "peak_shortfall_mw", "relief_mw"])
    for m in ("eue_mwh", "lole_h", "peak_shortfall_mw"):
        not_lower(d, m)
    assert d.set_index("metric").loc["relief_mw", "direction"] == "lower"


def test_without_crackdown_builds_the_no_crackdown_file(flagship):
    made = without_crackdown(flagship).model_dump(exclude={"name", "description"})
    assert made == load_scenario(NO_CRACKDOWN).model_dump(exclude={"name", "description"})


# ------------------------------------------------------------ the South islanded


def test_south_islanding_keeps_about_1500_mw_sheds_about_1800_mw_and_recovers_within_hours(flagship):
    """25 January 2022 (E8, E9): the South kept ~1,500 MW of its generation and
    shed ~1,800 MW; back to normal at 16:00. From the mechanism (the infeed lost,
    under-frequency stages, a share of units tripping): in most replications the
    worst hour keeps 1.3-1.7 GW and sheds 1,500-2,100 MW; a blackout (a deficit
    past the last stage) is rare."""
    isl = run(load_scenario(SHORTAGES / "south_islanding.yaml"), N, keep_timeseries=True)
    base = run(flagship, N, keep_timeseries=True)
    idx = isl.static.clock.index
    south = isl.static.zones.index("South")
    day = (idx >= pd.Timestamp("2022-01-25", tz=idx.tz)) & (idx < pd.Timestamp("2022-01-26", tz=idx.tz))
    hours = idx[day].hour
    worst, kept, span = [], [], []
    for s_isl, s_base in zip(isl.series, base.series, strict=True):
        shed = s_isl["shed_mw"][south, day]
        extra = shed - s_base["shed_mw"][south, day]
        k = int(np.argmax(shed))
        worst.append(shed[k])
        kept.append(s_isl["generation_mw"][south, day][k])
        assert 12 <= hours[k] <= 15  # the worst hour is inside the cut
        # Recovery: nothing shed because of the islanding once the links are back at 16:00 (E9).
        assert np.all(np.abs(extra[hours >= 16]) < 1e-6)
        span.append(int((extra > 1e-6).sum()))
    worst, kept = np.array(worst), np.array(kept)
    as_reported = (worst >= 1500) & (worst <= 2100) & (kept >= 1300) & (kept <= 1700)
    assert as_reported.mean() >= 0.8, np.round([worst, kept])
    assert 1500 <= np.median(worst) <= 2100 and 1300 <= np.median(kept) <= 1700
    assert (kept < 100).mean() <= 0.15  # blackouts
    assert max(span) <= 5  # hours of islanding shedding: ~4 h (E9)


# ------------------------------------------------------------------ the library


@pytest.mark.parametrize("path", SHORTAGE_FILES, ids=lambda p: p.stem)
def test_shortage_file_extends_the_flagship_and_cites_its_sources(path):
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^extends: \.\./kazakhstan_2021_22(_no_crackdown)?\.yaml$", text, re.M)
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    assert re.search(r"\b[A-Z]\d{1,2}\b", comments), "comments must cite sources keys"
    sc = load_scenario(path)
    assert sc.name == path.stem and sc.description


def test_the_library_has_every_shortage():
    assert {p.stem for p in SHORTAGE_FILES} == EXPECTED


# ---------------------------------------------------------------------- compare


@pytest.fixture
def colder_example(write):
    return write(
        "colder.yaml",
        f"""\
        extends: {EXAMPLE}
        name: colder
        shocks+:
          - {{type: cold_snap, start: 2022-02-01, end: 2022-02-06, delta_c: -15}}
        """,
    )


def test_compare_api_pairs_every_scenario_with_the_baseline(example, colder_example):
    cmp = compare([example, load_scenario(colder_example)], example, replications=6, workers=1)
    assert list(cmp.table["scenario"]) == ["two_zones", "colder", "two_zones"]
    assert list(cmp.table["role"]) == ["scenario", "scenario", "baseline"]
    assert {"relief_mw.ci95_low", "verdict", "eue_mwh.South", "peak_shortfall_mw.North"} <= set(cmp.table)
    same = cmp.differences[cmp.differences["scenario"] == "two_zones"]
    assert (same["mean"] == 0).all()  # common random numbers: identical runs
    assert set(cmp.differences["metric"]) >= set(DIFF_METRICS)
    assert cmp.seed == example.seed and cmp.replications == 6


def test_compare_rejects_two_scenarios_with_one_name(example, cli):
    with pytest.raises(ScenarioError, match=r"scenario name\(s\) \['two_zones'\] given more than once"):
        compare([example, example])
    res = cli("compare", EXAMPLE, EXAMPLE, "-n", 2)
    assert res.exit_code == 2
    assert "scenario name 'two_zones' is also the name of" in res.stderr


def test_compare_cli_writes_tables_and_figure(cli, colder_example, tmp_path):
    out = tmp_path / "out"
    res = cli(
        "compare",
        EXAMPLE,
        colder_example,
        "--baseline",
        EXAMPLE,
        "--counterfactual",
        "-n",
        6,
        "-w",
        1,
        "--out",
        out,
        "-q",
    )
    assert res.exit_code == 0, res.output
    folder = out / "compare"
    files = {p.name for p in folder.iterdir()}
    assert files == {
        "comparison.csv",
        "comparison.md",
        "differences.csv",
        "enough.csv",
        "replications.parquet",
        "replications_long.parquet",
        "summary.json",
        "manifest.json",
        "comparison.png",
    }
    assert [p.name for p in out.iterdir()] == ["compare"]  # no temporary folder left
    table = pd.read_csv(folder / "comparison.csv")
    assert list(table["role"]) == ["scenario", "scenario", "baseline"]
    diffs = pd.read_csv(folder / "differences.csv")
    assert set(diffs["kind"]) == {"vs_baseline", "crackdown_effect"}
    md = (folder / "comparison.md").read_text()
    assert "Paired differences, scenario - baseline (two_zones)" in md and "Crackdown effect" in md
    assert (folder / "comparison.png").stat().st_size > 10_000
    reps = pd.read_parquet(folder / "replications.parquet")
    assert len(reps) == 6 * 5  # 2 scenarios, 2 counterfactuals, 1 baseline


def test_compare_cli_reports_a_bad_file_and_exits_2(cli, tmp_path):
    res = cli("compare", tmp_path / "missing.yaml", "-n", 2)
    assert res.exit_code == 2
    assert "missing.yaml: file not found" in res.stderr


# ------------------------------------------------------------------------ sweep


def test_split_values_keeps_lists_and_quoted_commas_together():
    assert split_values("2, 4,8") == ["2", "4", "8"]
    assert split_values("[1, 2],[3]") == ["[1, 2]", "[3]"]
    assert split_values("'a,b',c") == ["'a,b'", "c"]
    assert parse_grid(["enforcement.teams=2,4", "mining.grey_scale=1"]) == {
        "enforcement.teams": ["2", "4"],
        "mining.grey_scale": ["1"],
    }


def test_a_sweep_of_nine_variants_gives_a_long_table_and_a_labelled_heatmap(tmp_path):
    grid = parse_grid(["enforcement.teams=1,2,4", "mining.grey_scale=0.5,1,1.5"])
    sw = sweep(EXAMPLE, grid, replications=4, workers=1)
    t = sw.table
    assert len(t) == 9
    assert list(t.columns[:3]) == ["variant", "enforcement.teams", "mining.grey_scale"]
    assert t["enforcement.teams"].tolist() == [1, 1, 1, 2, 2, 2, 4, 4, 4]
    assert {"probability_within", "probability_within.ci95_low", "relief_mw", "eue_mwh"} <= set(t)
    assert len(sw.replications_table) == 9 * 4
    fig = sweep_heatmap(sw, "probability_within")
    heat = fig.axes[0]
    assert heat.get_xlabel() == "enforcement.teams" and heat.get_ylabel() == "mining.grey_scale"
    assert "P(relief within 80 ± 20 MW by 25 Feb 2022)" in fig._suptitle.get_text()
    assert heat.images[0].colorbar is not None
    assert heat.images[0].colorbar.ax.get_ylabel() == "probability (share of replications)"
    assert len(heat.texts) == 9  # every cell annotated
    folder = write_sweep(sw, tmp_path / "sweep")
    assert {p.name for p in folder.iterdir()} == {
        "sweep.csv",
        "sweep.parquet",
        "sweep.md",
        "replications.parquet",
        "replications_long.parquet",
        "manifest.json",
        "heatmap.png",
    }
    assert pd.read_parquet(folder / "sweep.parquet").shape[0] == 9


def test_sweep_cli_writes_the_folder(cli, tmp_path):
    res = cli(
        "sweep", EXAMPLE, "--set", "enforcement.teams=1,3", "-n", 3, "-w", 1, "--out", tmp_path, "--name", "s"
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s" / "heatmap.png").exists()
    assert "2 variants" in res.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("enforcement.teamz=2,4", "--set: enforcement.teamz: unknown key 'teamz'; did you mean 'teams'?"),
        ("zones.Nort.temperature_sensitivity_mw_per_c=1,2", "--set: zones.Nort: unknown key 'Nort'; "
         "did you mean 'North'?"),
        ("shocks.3.delta_c=1,2", "--set: shocks[3]: no item 3 to set; the list has 1"),
        ("enforcement.teams=0,2", "--set: enforcement.teams: Input should be greater than or equal to 1 "
         "(got 0) (from --set enforcement.teams=0)"),
        ("enforcement.teams=abc", "Input should be a valid integer, unable to parse string as an integer "
         "(got 'abc') (from --set enforcement.teams=abc)"),
        ("links.0.capacity_mw=-5,100", "links[0].capacity_mw: Input should be greater than or equal to 0 "
         "(got -5) (from --set links.0.capacity_mw=-5)"),
        ("enforcement.teams", "--set: expected KEY=V1,V2,..., got 'enforcement.teams'"),
        ("enforcement.teams=2,,4", "--set: enforcement.teams: empty value in '2,,4' "
         "(values are separated by commas)"),
        ("mining.grey_scale=1,1", "--set: mining.grey_scale: value(s) ['1'] given more than once"),
    ],
)  # fmt: skip
def test_a_bad_set_exits_2_with_a_clear_message(cli, tmp_path, setting, message):
    res = cli("sweep", EXAMPLE, "--set", setting, "-n", 2, "-w", 1, "--out", tmp_path)
    assert res.exit_code == 2
    assert message in res.stderr
    assert "Traceback" not in res.output
    assert not any(tmp_path.iterdir())  # nothing was run or written


def test_sweep_rejects_a_key_given_twice_and_a_probability_without_target(cli, write):
    res = cli("sweep", EXAMPLE, "--set", "enforcement.teams=1,2", "--set", "enforcement.teams=3")
    assert res.exit_code == 2
    assert "enforcement.teams: key given twice; list all its values in one --set KEY=V1,V2" in res.stderr
    notarget = write("notarget.yaml", f"extends: {EXAMPLE}\nname: notarget\ntarget: null\n")
    res = cli("sweep", notarget, "--set", "enforcement.teams=1,2")
    assert res.exit_code == 2
    assert "the scenario has no target, so there is no probability of reaching it" in res.stderr


def test_sweep_variants_share_random_numbers(tmp_path):
    # A key that changes nothing the model draws from gives identical variants.
    sw = sweep(EXAMPLE, {"description": ["a", "b"]}, replications=3, workers=1)
    reps = sw.replications_table
    a = reps[reps["description"] == "a"].drop(columns=["variant", "description"]).reset_index(drop=True)
    b = reps[reps["description"] == "b"].drop(columns=["variant", "description"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------ was it enough?


def test_was_it_enough_pairs_the_crackdown_with_its_counterfactual(flagship_run):
    """Relief needed is the deepest shortfall after the campaign start without the
    crackdown; with common random numbers the crackdown (load taken off) never
    deepens it, replication by replication, and P(enough) is the share of
    replications with nothing shed after the start."""
    off = run(load_scenario(NO_CRACKDOWN))
    on, cf = flagship_run.replications, off.replications
    assert (on["shortfall_after_campaign_mw"] <= cf["shortfall_after_campaign_mw"] + 1e-6).all()
    assert ((on["enough"] == 1) == (on["lole_after_campaign_h"] == 0)).all()
    e = flagship_run.enough(off)
    assert e["probability"]["mean"] == pytest.approx(on["enough"].mean())
    assert e["relief_needed_mw"]["national"]["mean"] == pytest.approx(
        cf["shortfall_after_campaign_mw"].mean()
    )
    zones = [cf[f"shortfall_after_campaign_mw.{z}"] for z in flagship_run.scenario.zones]
    assert (np.maximum.reduce(zones) <= cf["shortfall_after_campaign_mw"] + 1e-6).all()
    table = enough_table({"flagship": flagship_run}, {"flagship": off})
    assert len(table) == 1
    row = table.set_index("scenario").loc["flagship"]
    assert row["relief_needed_mw"] == pytest.approx(e["relief_needed_mw"]["national"]["mean"])
    assert row["probability.ci95_low"] <= row["probability"] <= row["probability.ci95_high"]
