"""What every scenario model shares: the frozen base, number types, time windows.

Conventions of the whole schema: capacities and loads in MW, energy in MWh,
durations in hours unless the name says otherwise (``_days``), times are local
wall-clock times in the scenario's ``timezone``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    model_validator,
)

from sim.vocab import LegalStatus

#: Largest magnitude of any number in a scenario (MW, hours, days, factors): every
#: product the model forms stays far from overflow.
BIG = 1e9
#: Most items a count may give (units of a fleet, facilities of a population).
MAX_COUNT = 10**9
#: Years a scenario's times may fall in (pandas represents 1677 to 2262).
FIRST_YEAR, LAST_YEAR = 1900, 2199
#: Longest scenario name (it names a folder).
MAX_NAME = 100
#: A scenario name: a plain folder name, not hidden, not an option.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _not_bool(value: Any) -> Any:
    """YAML reads ``yes``/``no``/``true``/``false`` as booleans: never a number."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean (true/false/yes/no)")
    return value


def _finite(value: Any) -> Any:
    """A number, not a boolean, not ``.inf`` or ``.nan`` (also written as text)."""
    value = _not_bool(value)
    try:
        x = float(value) if isinstance(value, str | int | float) else None
    except (ValueError, OverflowError):
        return value  # not a number: pydantic says so
    if x is not None and not math.isfinite(x):
        raise ValueError("expected a finite number, got infinity or NaN")
    return value


def _date_input(value: Any) -> Any:
    """A date is written as a date, never as a number (pydantic would read seconds since 1970)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(value, str):
        try:
            float(value)
            number = True
        except ValueError:
            pass
    if number:
        raise ValueError("expected a date such as 2022-01-01 or 2022-01-01 18:00, got a number")
    return value


def _local_time(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise ValueError("expected a local time without a UTC offset (times are in the scenario's timezone)")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a year from {FIRST_YEAR} to {LAST_YEAR}")
    return value


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an output folder, or None."""
    if len(name) > MAX_NAME:
        return f"a name has at most {MAX_NAME} characters, got {len(name)}"
    if not NAME_PATTERN.fullmatch(name):
        return "a name is letters, digits, '_', '.' and '-', and does not start with '.' or '-'"
    return None


def _folder_name(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


#: A finite number (no ``.inf``/``.nan``, no boolean) of magnitude at most :data:`BIG`.
Number = Annotated[float, BeforeValidator(_finite), Field(allow_inf_nan=False, ge=-BIG, le=BIG)]
Probability = Annotated[Number, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[Number, Field(ge=0.0)]
Positive = Annotated[Number, Field(gt=0.0)]
#: A fraction in [0, 1): a rate that must leave something.
Fraction = Annotated[Number, Field(ge=0.0, lt=1.0)]
#: A count of at least one (no boolean).
Count = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=MAX_COUNT)]
#: A whole number >= 0 (no boolean).
Whole = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=2**64 - 1)]
#: A month, 1 to 12.
Month = Annotated[int, BeforeValidator(_not_bool), Field(ge=1, le=12)]
#: A local wall-clock time: a date or date and time, without a UTC offset, not a number.
LocalTime = Annotated[dt.datetime, BeforeValidator(_date_input), AfterValidator(_local_time)]
#: A flag: ``true`` or ``false`` only.
Flag = StrictBool
#: A scenario name, which names its output folder.
Name = Annotated[str, AfterValidator(_folder_name)]
#: Slack allowed when shares or probabilities given in YAML must sum to 1 (decimal
#: fractions such as 0.1 + 0.2 are not exact in binary floating point).
SUM_TOLERANCE = 1e-6
#: Smallest coefficient of variation of a random duration (smaller: give 0).
MIN_CV = 0.001
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

    start: LocalTime
    """Start of the window (local time)."""
    end: LocalTime
    """End of the window (local time), after ``start``."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class Duration(Frozen):
    """A gamma-distributed duration given by its mean and coefficient of variation."""

    mean_days: Annotated[Number, Field(ge=0.001)]
    """Mean, days (at least 0.001, about 1.4 minutes)."""
    cv: Annotated[Number, Field(ge=0.0, le=10.0)] = 0.5
    """Coefficient of variation (0: fixed; else from 0.001 to 10)."""

    @model_validator(mode="after")
    def _cv(self) -> Self:
        if 0.0 < self.cv < MIN_CV:
            raise ValueError(f"cv must be 0 (a fixed duration) or at least {MIN_CV}")
        return self
