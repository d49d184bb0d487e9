"""Writing a run folder cheaply writes the same values: the time-series frame
built in one piece equals one frame per series concatenated, and a long table
goes to Parquet as a single row group with the content ``to_parquet`` gives.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.experiments.ensemble import run_ensemble
from sim.report.runfolder import write_parquet
from sim.results.metrics import LINK_SERIES, RELIEF_SERIES, ZONE_SERIES
from sim.results.stats import t_quantile


def frame_per_series(result) -> pd.DataFrame:
    """The time-series frame built the plain way: one small frame per series."""
    idx, n = result.static.clock.index, result.n
    frames = []
    rows = [(zone, name, name, z) for name in ZONE_SERIES for z, zone in enumerate(result.static.zones)]
    rows += [("national", name, name, None) for name in RELIEF_SERIES]
    links = [lk.name for lk in result.scenario.links]
    for name in LINK_SERIES:
        var = name.removeprefix("link_")
        names = links if var == "flow_mw" else result.static.outside.names
        rows += [("national", f"{var}.{link}", name, j) for j, link in enumerate(names)]
    for zone, name, moment, z in rows:
        m = result.moments[moment]
        mean, std = (m.mean, m.std) if z is None else (m.mean[z], m.std[z])
        half = t_quantile(n) * std / math.sqrt(n)
        frames.append(
            pd.DataFrame(
                {
                    "time": idx,
                    "zone": zone,
                    "variable": name,
                    "mean": mean,
                    "std": std,
                    "ci95_low": mean - half,
                    "ci95_high": mean + half,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_the_time_series_frame_in_one_piece_equals_one_frame_per_series(example, example_static):
    result = run_ensemble(example, replications=30, workers=1, progress=False, static=example_static)
    got, want = result.timeseries(), frame_per_series(result)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    # Built once: a second call gives the same frame, which a caller may change freely.
    got["mean"] = 0.0
    pd.testing.assert_frame_equal(result.timeseries(), want, check_exact=True)


def test_a_long_table_is_written_as_one_row_group_with_the_same_content(tmp_path):
    n = 1_300_000  # more than pyarrow's default row group (1 Mi rows)
    df = pd.DataFrame(
        {"x": np.arange(n) * 0.5, "zone": pd.Series(["North", "South"] * (n // 2), dtype="str")}
    )
    write_parquet(df, tmp_path / "one.parquet")
    df.to_parquet(tmp_path / "plain.parquet", index=False)
    assert pq.ParquetFile(tmp_path / "one.parquet").metadata.num_row_groups == 1
    assert pq.ParquetFile(tmp_path / "plain.parquet").metadata.num_row_groups > 1
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "one.parquet"),
        pd.read_parquet(tmp_path / "plain.parquet"),
        check_exact=True,
    )
