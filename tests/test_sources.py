"""The repository carries its own sources: docs/sources.md.

Every fact key that a scenario or a README cites (``M16``, ``P8``, ranges such
as ``E7-E9``), every note ("note 9") and every default table ("3.2") must be
defined in docs/sources.md, and no tracked file may point to the calibration or
design notes that users do not have.
"""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
READMES = [ROOT / "README.md", ROOT / "scenarios" / "shortages" / "README.md"]

# Built from parts so that this file does not contain the names it looks for.
GONE = ["FACTS" + ".md", "DESIGN" + ".md"]

KEY = re.compile(r"\b([PFZEML])(\d{1,2})\b")
RANGE = re.compile(r"\b([PFZEML])(\d{1,2})\s*[-\u2013]\s*([PFZEML])(\d{1,2})\b")
NOTE = re.compile(r"\bnotes? (\d{1,2})\b")
# "3.2" names a default table; "~3.6 MW" or "3.25" is a number.
TABLE = re.compile(r"(?<![\d.,~])3\.([1-5])(?![\d.,]\d|\d|\s*(?:[kMGT]W|%))")
DEFINED_ROW = re.compile(r"^\|\s*([PFZEML]\d{1,2})\s*\|", re.MULTILINE)
ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>')


def scenario_files() -> list[Path]:
    return sorted((ROOT / "scenarios").rglob("*.yaml"))


def yaml_comments(text: str) -> str:
    """The comments of a YAML file: a '#' at a line's start or after blank, outside quotes."""
    out = []
    for line in text.splitlines():
        quote = None
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{:,"):
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                out.append(line[i + 1 :])
                break
    return "\n".join(out)


def cited_text(path: Path) -> str:
    """What a file says about its sources: YAML comments and description, or Markdown prose."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".yaml":
        return re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    data = yaml.safe_load(text) or {}
    description = data.get("description", "") if isinstance(data, dict) else ""
    return yaml_comments(text) + "\n" + str(description or "")


def cited_keys(text: str) -> set[str]:
    keys = {a + b for a, b in KEY.findall(text)}
    for first, lo, second, hi in RANGE.findall(text):
        if first == second and int(lo) <= int(hi):
            keys |= {f"{first}{n}" for n in range(int(lo), int(hi) + 1)}
    return keys


def citing_files() -> list[Path]:
    return scenario_files() + [p for p in READMES if p.exists()]


def defined_keys() -> set[str]:
    return set(DEFINED_ROW.findall(SOURCES.read_text(encoding="utf-8")))


def anchors() -> set[str]:
    return set(ANCHOR.findall(SOURCES.read_text(encoding="utf-8")))


def test_sources_define_keys():
    keys = defined_keys()
    for group in "PFZEML":
        assert f"{group}1" in keys, f"docs/sources.md defines no {group} keys"


def test_sources_define_each_key_once():
    rows = DEFINED_ROW.findall(SOURCES.read_text(encoding="utf-8"))
    twice = sorted({k for k in rows if rows.count(k) > 1})
    assert not twice, f"keys defined more than once in docs/sources.md: {twice}"


def test_scenarios_cite_keys():
    # Guards the collection itself: the flagship cites the headline facts.
    flagship = cited_keys(cited_text(ROOT / "scenarios" / "kazakhstan_2021_22.yaml"))
    assert {"M16", "M17", "P8", "Z2"} <= flagship


@pytest.mark.parametrize("path", citing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_key_is_defined(path):
    missing = sorted(cited_keys(cited_text(path)) - defined_keys())
    assert not missing, f"{path.relative_to(ROOT)} cites keys docs/sources.md lacks: {missing}"


@pytest.mark.parametrize("path", citing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_note_and_table_exists(path):
    text = cited_text(path)
    wanted = {f"note-{n}" for n in NOTE.findall(text)}
    if path.suffix == ".yaml":  # "3.2" is a default table only in scenario comments
        comments = yaml_comments(path.read_text(encoding="utf-8"))
        wanted |= {f"defaults-3-{n}" for n in TABLE.findall(comments)}
    missing = sorted(wanted - anchors())
    assert not missing, f"{path.relative_to(ROOT)} cites sections docs/sources.md lacks: {missing}"


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_reference_to_missing_notes():
    offenders = []
    for path in tracked_files():
        if not path.is_file():
            continue
        lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            if any(name in line for name in GONE):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "point to docs/sources.md or docs/architecture.md instead:\n" + "\n".join(offenders)
