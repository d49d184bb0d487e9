"""Tidy frames of one replication's records: events and facilities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.replication import Raw, Static
from sim.vocab import DEPARTURES, FacilityState, LegalStatus, UnitEvent


def events_frame(static: Static, raw: Raw) -> pd.DataFrame:
    """Facility events and unit outages of one replication, with local timestamps."""
    ev = raw.events
    zones = np.asarray(static.zones, dtype=object)
    fac = pd.DataFrame(
        {
            "t_h": ev["t_h"],
            "entity": "facility",
            "id": ev["entity"],
            "zone": zones[ev["zone"]] if ev["zone"].size else np.zeros(0, object),
            "event": ev["event"],
            "mw": ev["mw"],
            "devices_seized": ev["count"],
            "criminal_case": ev["flag"].astype(bool),
        }
    )
    u = raw.outage_unit
    units = pd.DataFrame(
        {
            "t_h": raw.outage_t,
            "entity": "unit",
            "id": u,
            "zone": zones[static.units.zone[u]] if u.size else np.zeros(0, object),
            "event": np.where(raw.outage_up, UnitEvent.REPAIRED.value, UnitEvent.FAILED.value),
            "mw": np.where(raw.outage_up, 1.0, -1.0) * static.units.capacity_mw[u],
            "devices_seized": 0,
            "criminal_case": False,
        }
    )
    df = pd.concat([fac, units], ignore_index=True).sort_values("t_h", kind="stable", ignore_index=True)
    df.insert(0, "replication", raw.replication)
    df.insert(2, "time", _timestamps(static, df["t_h"].to_numpy()))
    return df


def facilities_frame(static: Static, raw: Raw) -> pd.DataFrame:
    """One row per facility of one replication, with its final state."""
    t = raw.facilities
    ev = raw.events
    state = np.where(
        t.connect_h <= static.clock.horizon_h, FacilityState.OPERATING.value, FacilityState.PENDING.value
    ).astype(object)
    closed_at = np.full(t.n, np.nan)
    for i, e, th in zip(ev["entity"], ev["event"], ev["t_h"], strict=True):
        state[i] = e
        if e in DEPARTURES:
            closed_at[i] = th
        elif e == FacilityState.RECONNECTED:
            closed_at[i] = np.nan
    return pd.DataFrame(
        {
            "replication": raw.replication,
            "facility": np.arange(t.n),
            "zone": np.asarray(static.zones, dtype=object)[t.zone],
            "legal_status": np.where(t.licensed, LegalStatus.LICENSED.value, LegalStatus.GREY.value),
            "capacity_mw": t.capacity_mw,
            "load_mw": t.load_mw,
            "devices": t.devices,
            "connect_h": np.maximum(t.connect_h, 0.0),
            "state": state,
            "closed_at_h": closed_at,
        }
    )


def _timestamps(static: Static, t_h: np.ndarray) -> pd.DatetimeIndex:
    start = static.clock.index[0] if static.clock.n_steps else pd.Timestamp(static.scenario.start)
    return start + pd.to_timedelta(t_h, unit="h")
