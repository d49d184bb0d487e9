"""Tables of replications in both layouts, and the cleaning they share.

The wide table (``replications.parquet``) has one row per replication and one
column per metric, ``metric.zone`` for zone metrics and ``metric.link`` for
metrics of an outside link. The long table (``replications_long.parquet``) has
one row per replication and metric: ``replication, metric, zone, value``, where
``zone`` is the zone or outside link after the dot, or ``national``; columns
that say which run a row belongs to (``scenario``, ``role``, the swept keys)
come first in both. ``-0.0`` (a sum of zero terms with a negative sign, e.g. a
difference of equal loads) is written as ``0.0``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: ``zone`` of metrics without a zone or link.
NATIONAL = "national"


def without_negative_zeros(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``-0.0`` as ``0.0`` in its float columns (others untouched,
    the same frame if there is none)."""
    cols = [c for c in df.columns if pd.api.types.is_float_dtype(df[c].dtype)]
    bad = [c for c in cols if np.any((df[c].to_numpy() == 0) & np.signbit(df[c].to_numpy()))]
    if not bad:
        return df
    return df.assign(**{c: df[c] + 0.0 for c in bad})


def long_replications(wide: pd.DataFrame, ids: Sequence[str] = ("replication",)) -> pd.DataFrame:
    """The long table of a wide table of replications: ``ids`` (which run and
    replication), ``metric``, ``zone``, ``value`` (float), ordered by the rows of
    ``wide`` then its columns."""
    ids = [c for c in ids if c in wide.columns]
    metrics = [c for c in wide.columns if c not in ids]
    values = wide[metrics].to_numpy(dtype=float) if metrics else np.zeros((len(wide), 0))
    split = [m.split(".", 1) for m in metrics]
    n, k = values.shape
    out = {c: np.repeat(wide[c].to_numpy(), k) for c in ids}
    out["metric"] = np.tile(np.array([s[0] for s in split], dtype=object), n)
    out["zone"] = np.tile(np.array([s[1] if len(s) > 1 else NATIONAL for s in split], dtype=object), n)
    out["value"] = values.reshape(-1) + 0.0
    return pd.DataFrame(out)
