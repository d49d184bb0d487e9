"""The notebooks run top to bottom with papermill from any folder (so they never
rot and work outside the checkout), take their scenario and replications as
parameters, and are committed with their outputs cleared; the runner behind
``make notebooks``."""

from __future__ import annotations

import json
import shutil
import sys

import nbformat
import pytest
from conftest import ROOT

from sim.report.rundata import SCENARIOS_ENV
from tools import run_notebooks as notebooks

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FLAGSHIP = ROOT / "scenarios" / "kazakhstan_2021_22.yaml"
#: Parameters of the test runs: enough replications for each notebook's story
#: (notebook 03: the crackdown changes a few of 100 winters; at 20 it changes none).
TEST_PARAMETERS = {
    "01_demand_curves": {"replications": 40},
    "02_crackdown_relief": {"replications": 40},
    "03_shortage_scenarios": {"replications": 100, "library_replications": 8},
}
#: Seconds one notebook may take on a loaded machine (about 15 s each on an idle one).
BUDGET_S = 120


def _outputs(nb) -> str:
    """The text a notebook printed or displayed."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") or o.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


def test_the_three_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == list(TEST_PARAMETERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_parameterised_and_finds_its_scenario_without_the_checkout(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    (params,) = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert 'scenario = ""' in params.source and "replications = " in params.source
    text = "\n".join(c.source for c in code)
    assert "scenario_file(" in text and ".parents" not in text and "next(" not in text
    assert "float_format" not in text  # no global number format: each table rounds its own columns
    assert "/work/" not in text and "sim.model.replication" not in text and "sim.results.metrics" not in text
    assert set(TEST_PARAMETERS[path.stem]) <= {
        line.split("=")[0].strip()
        for line in params.source.splitlines()
        if "=" in line and not line.startswith("#")
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"
    assert "version" not in nb.metadata.get("language_info", {})  # no machine-specific Python version
    assert notebooks.clear(path) is False  # what `python -m tools.run_notebooks --clear` leaves


@pytest.mark.slow
def test_demand_notebook_runs_from_another_working_directory_with_the_shipped_scenario(tmp_path, monkeypatch):
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)
    path = ROOT / "notebooks" / "01_demand_curves.ipynb"
    out = tmp_path / "out.ipynb"
    seconds = notebooks.execute(path, parameters=TEST_PARAMETERS[path.stem], output=out, cwd=tmp_path)
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s"
    text = _outputs(nbformat.read(out, as_version=4))
    assert "kazakhstan_2021_22 (kazakhstan_2021_22.yaml): 40 replications" in text
    assert "Most of it in November 2021" in text  # the autumn repair campaign (issue 11)


@pytest.mark.slow
def test_a_notebook_copied_to_an_empty_folder_outside_the_checkout_runs_with_papermill(tmp_path, monkeypatch):
    """The relief notebook, alone in a new folder, given the scenario's path."""
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)
    copy = tmp_path / "02_crackdown_relief.ipynb"
    shutil.copy(ROOT / "notebooks" / copy.name, copy)
    params = {"scenario": str(FLAGSHIP), **TEST_PARAMETERS[copy.stem]}
    seconds = notebooks.execute(copy, parameters=params, cwd=tmp_path)
    assert seconds < BUDGET_S, f"{copy.name} took {seconds:.0f} s"
    nb = nbformat.read(copy, as_version=4)
    (injected,) = [c for c in nb.cells if notebooks.INJECTED in c.metadata.get("tags", [])]
    assert str(FLAGSHIP) in injected.source
    text = _outputs(nb)
    assert "kazakhstan_2021_22: 40 replications, seed 20220315; target 600 +- 100 MW by 15 Mar 2022" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]  # it wrote nothing else


@pytest.mark.slow
def test_shortage_notebook_tells_the_story_of_its_own_numbers(tmp_path):
    path = ROOT / "notebooks" / "03_shortage_scenarios.ipynb"
    out = tmp_path / path.name
    # In the notebooks' folder, as `make notebooks` runs it, but written elsewhere.
    seconds = notebooks.execute(path, parameters=TEST_PARAMETERS[path.stem], output=out)
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s"
    text = _outputs(nbformat.read(out, as_version=4))
    assert "It changed the unserved energy in " in text and " of 100 simulated winters" in text
    assert "It changed the unserved energy in 0 of" not in text  # the story needs a winter that changed
    assert "of the unserved energy without the crackdown falls in the months before the campaign" in text
    assert "Its effect is clearly above zero (95 % interval) in " in text


def _notebook(folder, name, *sources, parameters: str | None = None):
    nb = nbformat.v4.new_notebook()
    if parameters is not None:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_runner_executes_in_place_in_the_notebook_folder_with_this_interpreter(tmp_path):
    path = _notebook(tmp_path, "where.ipynb", "import os, sys\nprint(os.getcwd(), sys.executable)")
    assert notebooks.main([str(path)]) == 0
    (out,) = nbformat.read(path, as_version=4).cells[0].outputs
    assert out.text.split() == [str(tmp_path.resolve()), sys.executable]


def test_runner_injects_parameters_and_clear_removes_them(tmp_path):
    path = _notebook(tmp_path, "params.ipynb", "print(n * 2, label)", parameters="n = 1\nlabel = 'a'")
    assert notebooks.main([str(path), "-p", "n", "21", "-p", "label", "b c"]) == 0
    nb = nbformat.read(path, as_version=4)
    assert [c.metadata.get("tags") or [] for c in nb.cells] == [["parameters"], [notebooks.INJECTED], []]
    assert nb.cells[2].outputs[0].text == "42 b c\n"
    assert "papermill" in nb.metadata
    assert notebooks.clear(path) is True
    nb = nbformat.read(path, as_version=4)
    assert [c.source for c in nb.cells] == ["n = 1\nlabel = 'a'", "print(n * 2, label)"]
    assert "papermill" not in nb.metadata and not any("papermill" in c.metadata for c in nb.cells)
    assert all(not c.outputs for c in nb.cells)


def test_runner_reports_a_failing_notebook_and_exits_1(tmp_path, capsys):
    good = _notebook(tmp_path, "good.ipynb", "1 + 1")
    bad = _notebook(tmp_path, "bad.ipynb", "1 / 0")
    assert notebooks.main(["--check", str(bad), str(good)]) == 1
    out, err = capsys.readouterr()
    assert f"{bad}: FAILED" in err and "ZeroDivisionError" in err
    assert f"{good}: ok" in out
    assert "1/2 notebooks ran" in out
    # --check leaves the files as they were.
    assert not nbformat.read(good, as_version=4).cells[0].outputs


def test_clear_strips_outputs_and_counts(tmp_path):
    src = NOTEBOOKS[0]
    path = tmp_path / src.name
    shutil.copy(src, path)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    cell.execution_count = 3
    nbformat.write(nb, path)
    assert notebooks.main(["--clear", str(path)]) == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(c.get("outputs", []) == [] for c in data["cells"])
    assert all(c.get("execution_count") is None for c in data["cells"] if c["cell_type"] == "code")
    assert notebooks.clear(path) is False  # already clear
