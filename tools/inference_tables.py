"""The README's "Calibration by inference" blocks, from real runs.

``gridshed calibrate`` and ``gridshed sensitivity`` on the flagship with its
calibration file at their default settings write ``results/calibration_<name>/``
and ``results/sensitivity_<name>/`` (give them ``--overwrite`` to replace
earlier runs there). ``python -m tools.inference_tables`` copies
their summaries, figures and posterior scenario to ``docs/inference/`` (with the
calibration report rebuilt from its summary) (kept in the
repository) and rewrites the README blocks between the ``inference-*`` markers
from them, so the README always shows a real run; a test checks that it does.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.report.inference_tables import (
    calibration_markdown,
    heldout_block,
    posterior_table,
    sensitivity_block,
)
from tools.readme import replace_block

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs" / "inference"
SCENARIO = "scenarios/kazakhstan_2021_22.yaml"
CALIBRATION = "scenarios/calibration/kazakhstan_2021_22.yaml"
RESULTS = ROOT / "results"

#: README blocks: marker name -> (stored summary, how to render it).
BLOCKS: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "inference-posterior": ("calibration.json", posterior_table),
    "inference-heldout": ("calibration.json", heldout_block),
    "inference-sensitivity": ("sensitivity.json", sensitivity_block),
}


def stored(file: str) -> dict[str, Any]:
    """A summary kept in ``docs/inference/``."""
    return json.loads((DOCS / file).read_text(encoding="utf-8"))


def rendered(name: str) -> str:
    """What the README block ``name`` must hold."""
    file, render = BLOCKS[name]
    return render(stored(file))


def posterior_file() -> str:
    """The posterior scenario of the stored run, extending the flagship from docs/inference/."""
    from sim.experiments.inference.spec import read_calibration
    from sim.report.inference_folder import posterior_yaml

    cal, _ = read_calibration(ROOT / CALIBRATION)
    c = stored("calibration.json")
    header = (
        f"Posterior of {c['scenario']} (seed {c['seed']}): posterior medians of the run stored in\n"
        "calibration.json beside this file (python -m tools.inference_tables)."
    )
    name = f"{c['scenario']}_posterior"
    return posterior_yaml(ROOT / SCENARIO, DOCS, cal.set, c["posterior_scenario"], name, header)


def collect(calibration: Path, sensitivity: Path) -> None:
    """Copy the runs' summaries, reports and figures to ``docs/inference/``."""
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(calibration / "summary.json", DOCS / "calibration.json")
    (DOCS / "calibration.md").write_text(calibration_markdown(stored("calibration.json")), encoding="utf-8")
    (DOCS / "posterior.yaml").write_text(posterior_file(), encoding="utf-8")
    shutil.copyfile(sensitivity / "summary.json", DOCS / "sensitivity.json")
    for folder in (calibration, sensitivity):
        for png in sorted((folder / "figures").glob("*.png")):
            shutil.copyfile(png, DOCS / png.name)


def main(argv: list[str] | None = None) -> None:
    """``[CALIBRATION_FOLDER SENSITIVITY_FOLDER]``: collect the runs, rewrite the README."""
    argv = sys.argv[1:] if argv is None else argv
    name = "kazakhstan_2021_22"
    cal = Path(argv[0]) if argv else RESULTS / f"calibration_{name}"
    sens = Path(argv[1]) if len(argv) > 1 else RESULTS / f"sensitivity_{name}"
    collect(cal, sens)
    text = README.read_text(encoding="utf-8")
    for block in BLOCKS:
        text = replace_block(text, block, rendered(block))
    README.write_text(text, encoding="utf-8")
    print("\n\n".join(rendered(b) for b in BLOCKS))


if __name__ == "__main__":
    main()
