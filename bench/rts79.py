"""The IEEE Reliability Test System (1979) generation and load, single zone.

32 units of 12-400 MW (3,405 MW) with two-state Markov outages, and 8,736
hourly loads (52 weeks, peak 2,850 MW) from the RTS's weekly, daily and hourly
load factors (IEEE Committee Report, "IEEE Reliability Test System", IEEE
Trans. PAS-98(6), 1979, tables 1-3 and 6). Its published adequacy indices are
LOLE = 9.39 h/year and EUE = 1,176 MWh/year, which the bench reproduces as a
check that the two Monte Carlo codes it times model the same system.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

PEAK_MW = 2850.0
#: Units: (count, MW, MTTF h, MTTR h) (table 6).
UNITS = (
    (5, 12, 2940, 60),
    (4, 20, 450, 50),
    (6, 50, 1980, 20),
    (4, 76, 1960, 40),
    (3, 100, 1200, 50),
    (4, 155, 960, 40),
    (3, 197, 950, 50),
    (1, 350, 1150, 100),
    (2, 400, 1100, 150),
)
#: Weekly peak, % of the annual peak (table 1).
WEEKLY = (
    86.2, 90.0, 87.8, 83.4, 88.0, 84.1, 83.2, 80.6, 74.0, 73.7, 71.5, 72.7, 70.4,
    75.0, 72.1, 80.0, 75.4, 83.7, 87.0, 88.0, 85.6, 81.1, 90.0, 88.7, 89.6, 86.1,
    75.5, 81.6, 80.1, 88.0, 72.2, 77.6, 80.0, 72.9, 72.6, 70.5, 78.0, 69.5, 72.4,
    72.4, 74.3, 74.4, 80.0, 88.1, 88.5, 90.9, 94.0, 89.0, 94.2, 97.0, 100.0, 95.2,
)  # fmt: skip
#: Daily peak, % of the weekly peak, Monday first (table 2).
DAILY = (93, 100, 98, 96, 94, 77, 75)
#: Hourly load, % of the daily peak, from midnight (table 3): weekday, weekend.
HOURLY = {
    "winter": (
        (67, 63, 60, 59, 59, 60, 74, 86, 95, 96, 96, 95, 95, 95, 93, 94, 99, 100, 100, 96, 91, 83, 73, 63),
        (78, 72, 68, 66, 64, 65, 66, 70, 80, 88, 90, 91, 90, 88, 87, 87, 91, 100, 99, 97, 94, 92, 87, 81),
    ),
    "summer": (
        (64, 60, 58, 56, 56, 58, 64, 76, 87, 95, 99, 100, 99, 100, 100, 97, 96, 96, 93, 92, 92, 93, 87, 72),
        (74, 70, 66, 65, 64, 62, 62, 66, 81, 86, 91, 93, 93, 92, 91, 91, 92, 94, 95, 95, 100, 93, 88, 80),
    ),
    "spring_fall": (
        (63, 62, 60, 58, 59, 65, 72, 85, 95, 99, 100, 99, 93, 92, 90, 88, 90, 92, 96, 98, 96, 90, 80, 70),
        (75, 73, 69, 66, 65, 65, 68, 74, 83, 89, 92, 94, 91, 90, 90, 86, 85, 88, 92, 100, 97, 95, 90, 85),
    ),
}


def season(week: int) -> str:
    """Season of a week numbered from 0 (weeks 1-8 and 44-52 winter, 18-30 summer)."""
    w = week + 1
    if w <= 8 or w >= 44:
        return "winter"
    return "summer" if 18 <= w <= 30 else "spring_fall"


def hourly_load() -> np.ndarray:
    """The 8,736 hourly loads of the year (MW), from a Monday."""
    out = np.empty((52, 7, 24))
    for w in range(52):
        weekday, weekend = HOURLY[season(w)]
        for d in range(7):
            shape = np.asarray(weekend if d >= 5 else weekday, dtype=float)
            out[w, d] = PEAK_MW * WEEKLY[w] / 100 * DAILY[d] / 100 * shape / 100
    return out.reshape(-1)


def units() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacity (MW), MTTF (h) and MTTR (h) of the 32 units."""
    rows = np.repeat(np.asarray(UNITS, dtype=float), [u[0] for u in UNITS], axis=0)
    return rows[:, 1], rows[:, 2], rows[:, 3]


def write_scenario(folder: Path, replications: int = 200, seed: int = 1979) -> Path:
    """Write the system as a gridshed scenario (and its load CSV) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savetxt(folder / "rts79_load.csv", hourly_load(), fmt="%.6f", header="demand_mw", comments="")
    fleets = "\n".join(
        f"    - {{name: u{mw}, zone: Z, capacity_mw: {mw}, count: {n}, mttf_h: {f}, mttr_h: {r}}}"
        for n, mw, f, r in UNITS
    )
    text = f"""\
name: rts79
start: 2024-01-01
end: 2024-12-30
step_h: 1.0
timezone: UTC
seed: {seed}
replications: {replications}
zones:
  Z:
    demand:
      csv: rts79_load.csv
      column: demand_mw
generation:
  units:
{fleets}
enforcement:
  enabled: false
"""
    path = folder / "rts79.yaml"
    path.write_text(text, encoding="utf-8")
    return path
