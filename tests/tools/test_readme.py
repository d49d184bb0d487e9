"""The README's generated blocks (tools/readme.py)."""

from __future__ import annotations

import pytest

from tools import readme


def test_replace_block_keeps_the_rest():
    start, end = readme.markers("x")
    out = readme.replace_block(f"a\n{start}\nold\n{end}\nb\n", "x", "new")
    assert out == f"a\n{start}\nnew\n{end}\nb\n" and readme.current_block(out, "x") == "new"
    with pytest.raises(ValueError, match="no <!-- y:start -->"):
        readme.replace_block(out, "y", "z")


def test_a_missing_block_reads_as_empty():
    assert readme.current_block("no markers here", "x") == ""


def test_every_generated_block_is_in_the_readme():
    text = readme.README.read_text(encoding="utf-8")
    for name in (
        "calibration",
        "history",
        "inference-posterior",
        "inference-heldout",
        "inference-sensitivity",
    ):
        start, end = readme.markers(name)
        assert text.count(start) == 1 and text.count(end) == 1, name
