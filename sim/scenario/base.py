"""What every scenario model shares: the frozen base, number types, time windows.

Conventions of the whole schema: capacities and loads in MW, energy in MWh,
durations in hours unless the name says otherwise (``_days``), times are local
wall-clock times in the scenario's ``timezone``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.vocab import LegalStatus

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
#: Slack allowed when shares or probabilities given in YAML must sum to 1 (decimal
#: fractions such as 0.1 + 0.2 are not exact in binary floating point).
SUM_TOLERANCE = 1e-6
#: A legal status as a scenario spells it: the values of :class:`sim.vocab.LegalStatus`
#: (a Literal of strings, so errors read "Input should be 'licensed' or 'grey'").
Status = Literal[LegalStatus.LICENSED.value, LegalStatus.GREY.value]


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys rejected."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
        populate_by_name=True,
    )


class Window(Frozen):
    """A time window in local time, ``start`` inclusive, ``end`` exclusive."""

    start: dt.datetime
    """Start of the window (local time)."""
    end: dt.datetime
    """End of the window (local time), after ``start``."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Duration(Frozen):
    """A gamma-distributed duration given by its mean and coefficient of variation."""

    mean_days: Positive
    """Mean, days."""
    cv: NonNegative = 0.5
    """Coefficient of variation (0: fixed)."""
