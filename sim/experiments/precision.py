"""Precision targets: how narrow a headline metric's 95 % interval must be.

``--precision eue_mwh=50`` asks for a half-width of at most 50 MWh,
``--precision eue_mwh=5%`` for at most 5 % of the mean's magnitude. The half-width
is half the length of the interval the run reports (:meth:`EnsembleResult.estimate
<sim.experiments.result.EnsembleResult.estimate>`: Student t for signed metrics, BCa
bootstrap for non-negative ones), so a met target is what the summary shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.results.stats import Estimate
from sim.vocab import HEADLINE, METRICS

#: Relative precision worse than this (half-width / |mean|) is worth a warning.
LOOSE = 0.10
#: Where problems with a precision target are reported.
FLAG = "--precision"


@dataclass(frozen=True)
class Precision:
    """A target on one metric's 95 % half-width: absolute (in the metric's unit)
    or relative (a fraction of the mean's magnitude)."""

    metric: str
    value: float
    relative: bool = False

    def met(self, e: Estimate) -> bool:
        """Whether the interval of ``e`` is narrow enough (never with fewer than two replications)."""
        half = half_width(e)
        if not math.isfinite(half):
            return False
        if self.relative:
            return half <= self.value * abs(e.mean)
        return half <= self.value

    def __str__(self) -> str:
        if self.relative:
            return f"{self.metric}={100 * self.value:g}%"
        return f"{self.metric}={self.value:g}"


def half_width(e: Estimate) -> float:
    """Half the length of the 95 % interval of ``e`` (NaN without one)."""
    return (e.ci95_high - e.ci95_low) / 2


def relative_half_width(e: Estimate) -> float:
    """Half-width over the mean's magnitude (infinite for a zero mean with a
    non-zero width, 0 for a zero-width interval, NaN without an interval)."""
    half = half_width(e)
    if not math.isfinite(half):
        return float("nan")
    if half == 0:
        return 0.0
    return half / abs(e.mean) if e.mean else math.inf


def parse_precision(text: str) -> Precision:
    """``METRIC=VALUE`` or ``METRIC=VALUE%`` (a bare ``VALUE`` is ``relief_mw=VALUE``),
    METRIC a headline metric (:data:`sim.vocab.HEADLINE`), VALUE > 0.

    Raises :class:`ScenarioError` naming ``--precision`` and what is expected.
    """
    expected = (
        f"expected METRIC=VALUE (in the metric's unit) or METRIC=VALUE% (of the mean), "
        f"METRIC one of {', '.join(HEADLINE)}, VALUE > 0"
    )
    key, sep, value = text.partition("=")
    if not sep:
        key, value = "relief_mw", text
    key, value = key.strip(), value.strip()
    if key not in HEADLINE:
        hint = did_you_mean(key, HEADLINE) or (
            f"; {key!r} is not a headline metric" if key in METRICS else f"; unknown metric {key!r}"
        )
        raise ScenarioError(Problem(f"got {text!r}{hint} ({expected})", FLAG))
    relative = value.endswith("%")
    try:
        number = float(value.removesuffix("%"))
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ScenarioError(Problem(f"got {text!r}: {value!r} is not a number > 0 ({expected})", FLAG))
    return Precision(key, number / 100 if relative else number, relative)
