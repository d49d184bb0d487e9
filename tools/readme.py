"""Generated blocks of README.md: the text between ``<!-- name:start -->`` and
``<!-- name:end -->`` is written by a tool from a real run, and a test checks
that it still matches one (tools.calibration_table, tools.history,
tools.inference_tables)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def markers(name: str) -> tuple[str, str]:
    """``<!-- name:start -->`` and ``<!-- name:end -->``."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_block(text: str, name: str, block: str) -> str:
    """``text`` with the block ``name`` replaced by ``block``."""
    start, end = markers(name)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {start} ... {end} block")
    return pattern.sub(lambda _: f"{start}\n{block}\n{end}", text)


def current_block(text: str, name: str) -> str:
    """The text now between the markers of ``name``."""
    start, end = markers(name)
    m = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    return m.group(1) if m else ""


def rewrite(name: str, block: str, readme: Path = README) -> None:
    """Replace the block ``name`` of ``readme`` by ``block``."""
    readme.write_text(replace_block(readme.read_text(encoding="utf-8"), name, block), encoding="utf-8")
