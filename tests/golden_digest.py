"""Digests of a run folder: the bytes of every file and, for Parquet files, the
content (values, columns and dtypes), so that a pyarrow upgrade that changes the
bytes but not the data is told apart from a change of behaviour.

``python tests/golden_digest.py FOLDER`` prints the digests of every run folder
in FOLDER as JSON (how ``tests/data/golden_hashes.json`` was made).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow

#: Files whose content changes from run to run by design (times, machine).
VARYING = ("manifest.json",)


def digest(folder: Path) -> dict[str, dict[str, str]]:
    """Byte and content digests of the files of one run folder (but :data:`VARYING`)."""
    out = {}
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name in VARYING:
            continue
        out[f.name] = {"bytes": hashlib.sha256(f.read_bytes()).hexdigest()}
        if f.suffix == ".parquet":
            df = pd.read_parquet(f)
            h = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).values.tobytes())
            h.update(repr(list(df.columns)).encode())
            h.update(repr([str(t) for t in df.dtypes]).encode())
            out[f.name]["content"] = h.hexdigest()
    return out


def digests(root: Path) -> dict:
    """Digests of every run folder below ``root``, with the pyarrow version."""
    runs = {d.name: digest(d) for d in sorted(root.iterdir()) if d.is_dir()}
    return {"pyarrow": pyarrow.__version__, "runs": runs}


if __name__ == "__main__":
    print(json.dumps(digests(Path(sys.argv[1])), indent=1))
