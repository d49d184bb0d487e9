"""The calibration file: priors over a scenario's unknowns, the reported figures
to fit (with their uncertainty) and those held out, the verdicts, the settings.

It is read like a scenario (:func:`sim.scenario.source.read_yaml`: every key
with its line) and validated by a frozen pydantic schema; every problem is a
:class:`~sim.errors.Problem` at ``file:line: key: message`` (exit status 2).
Checks against the scenario (keys exist, columns are outputs) are in
:mod:`sim.experiments.inference.particles`, which knows the scenario.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.errors import Problem, ScenarioError, did_you_mean
from sim.experiments.inference.expr import Expression
from sim.scenario.base import Frozen, Positive
from sim.scenario.source import Source, read_yaml

#: An unknown's name: it names a column of the posterior and may appear in ``derived``.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PRIORS = ("uniform", "integer", "lognormal", "normal", "beta")
#: Parameters each prior needs (the others must be left out).
NEEDS = {
    "uniform": ("low", "high"),
    "integer": ("low", "high"),
    "lognormal": ("median", "sigma"),
    "normal": ("mean", "sd"),
    "beta": ("a", "b"),
}
SHAPE = ("median", "sigma", "mean", "sd", "a", "b")


class Unknown(Frozen):
    """An unknown of the scenario and its prior."""

    key: str | None = None
    """Scenario key it sets (dotted, as ``--set``); none: it only feeds ``derived``."""
    prior: Literal["uniform", "integer", "lognormal", "normal", "beta"]
    """``uniform`` (low, high), ``integer`` (low, high, both included), ``lognormal``
    (median, sigma of the log), ``normal`` (mean, sd), ``beta`` (a, b; scaled to
    [low, high], default [0, 1]); low and high truncate the others."""
    low: float | None = None
    high: float | None = None
    median: Positive | None = None
    sigma: Positive | None = None
    mean: float | None = None
    sd: Positive | None = None
    a: Positive | None = None
    b: Positive | None = None
    label: str = ""
    """Human label for tables and figures (default: the name)."""
    source: str = ""
    """Where the prior comes from (keys of docs/sources.md)."""

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        needs = NEEDS[self.prior]
        missing = [k for k in needs if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.prior} prior needs {' and '.join(missing)}")
        extra = [k for k in SHAPE if k not in needs and getattr(self, k) is not None]
        if extra:
            raise ValueError(f"a {self.prior} prior takes {', '.join(needs)}, not {', '.join(extra)}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.prior == "integer" and not (float(self.low).is_integer() and float(self.high).is_integer()):
            raise ValueError("an integer prior needs whole-number low and high")
        if self.prior == "lognormal" and not (self.low or 0) < self.median < (self.high or float("inf")):
            raise ValueError("the median must lie between low and high")
        return self


class Record(Frozen):
    """A reported figure: fitted (an observation) or held out."""

    label: str
    """What was reported, in words."""
    column: str | None = None
    """Per-replication column of the model that corresponds (``replications.parquet``);
    a held-out record may name a column the model does not output yet, or none."""
    reported: float | str
    """The reported value (a number; a held-out record may give text, e.g. a date)."""
    source: str = ""
    """Keys of docs/sources.md."""
    kind: Literal["count", "band"] = "band"
    """``count``: a count, matched within ``sds`` Poisson standard deviations
    (``sds * sqrt(reported)``); ``band``: matched between ``low`` and ``high``."""
    low: float | None = None
    high: float | None = None
    sds: Positive = 2.0
    """Poisson standard deviations that still match a ``count``."""

    @model_validator(mode="after")
    def _band(self) -> Self:
        if not isinstance(self.reported, int | float) or self.column is None:
            return self
        if self.kind == "band" and (self.low is None or self.high is None):
            raise ValueError("a band needs low and high (or kind: count)")
        if self.kind == "band" and not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.kind == "count" and (self.low is not None or self.high is not None):
            raise ValueError("a count takes sds, not low and high")
        if self.kind == "count" and self.reported <= 0:
            raise ValueError("a count must be positive")
        return self

    @property
    def numeric(self) -> bool:
        """Whether the record is a number the model can be compared with."""
        return isinstance(self.reported, int | float) and not isinstance(self.reported, bool)

    @property
    def band(self) -> tuple[float, float]:
        """Lowest and highest value that match the record."""
        if self.kind == "count":
            half = self.sds * float(self.reported) ** 0.5
            return float(self.reported) - half, float(self.reported) + half
        return float(self.low), float(self.high)  # type: ignore[arg-type]


class Verdict(Frozen):
    """A probability to report: that ``column`` lies within ``[low, high]``."""

    label: str
    column: str
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low:g}) must not be above high ({self.high:g})")
        return self

    def holds(self, x: np.ndarray) -> np.ndarray:
        """Where ``low <= x <= high`` (a missing end is open)."""
        lo = -np.inf if self.low is None else self.low
        hi = np.inf if self.high is None else self.high
        return (x >= lo) & (x <= hi)


class Inference(Frozen):
    """Settings of ABC-SMC and of the posterior predictive."""

    population: Annotated[int, Field(ge=10)] = 200
    """Particles per generation."""
    generations: Annotated[int, Field(ge=1)] = 8
    """Most generations (sampling stops earlier once ``final_epsilon`` is reached)."""
    final_epsilon: Annotated[float, Field(ge=0)] = 1.0
    """Distance at which to stop: 1 means every fitted record within its band."""
    quantile: Annotated[float, Field(gt=0, lt=1)] = 0.5
    """Each generation's epsilon is this quantile of the last one's distances."""
    predictive_draws: Annotated[int, Field(ge=10)] = 1000
    """Posterior predictive draws: a parameter set from the posterior and one replication each."""


class Sensitivity(Frozen):
    """Settings of ``gridshed sensitivity``."""

    method: Literal["sobol", "morris"] = "sobol"
    """``sobol`` (Saltelli's sampling, first-order and total indices) or ``morris``."""
    samples: Annotated[int, Field(ge=4)] = 64
    """Base samples (Sobol': a power of 2; N (D + 2) points) or trajectories (Morris: r (D + 1))."""
    replications: Annotated[int, Field(ge=1)] = 8
    """Replications per point, with common random numbers (the same seeds at every point)."""
    outputs: tuple[str, ...] = ("relief_mw", "eue_mwh")
    """Per-replication columns (their mean) or verdict names (their probability)."""


class Calibration(Frozen):
    """A whole calibration file."""

    description: str = ""
    set: tuple[str, ...] = ()
    """Fixed changes to the scenario, as ``--set KEY=VALUE`` (e.g. checkpoints)."""
    unknowns: dict[str, Unknown]
    """The unknowns by name, with their priors."""
    derived: dict[str, str] = Field(default_factory=dict)
    """Scenario keys computed from unknowns (``1 - closure_share``)."""
    observations: tuple[Record, ...]
    """The records to fit."""
    held_out: tuple[Record, ...] = ()
    """The records to predict (never fitted)."""
    verdicts: dict[str, Verdict] = Field(default_factory=dict)
    """Probabilities to report from the posterior predictive."""
    inference: Inference = Inference()
    sensitivity: Sensitivity = Sensitivity()

    @field_validator("unknowns")
    @classmethod
    def _names(cls, v: dict[str, Unknown]) -> dict[str, Unknown]:
        if not v:
            raise ValueError("at least one unknown is needed")
        bad = [n for n in v if not NAME.match(n)]
        if bad:
            raise ValueError(f"unknowns need plain names (letters, digits, _), not {bad}")
        return v

    @field_validator("observations")
    @classmethod
    def _fitted(cls, v: tuple[Record, ...]) -> tuple[Record, ...]:
        if not v:
            raise ValueError("at least one observation is needed")
        return v


def with_settings(cal: Calibration, section: str, **given: Any) -> Calibration:
    """``cal`` with the settings of ``section`` (``inference``, ``sensitivity``) that are
    given (not None) replaced, as command-line options do."""
    update = {k: v for k, v in given.items() if v is not None}
    if not update:
        return cal
    return cal.model_copy(update={section: getattr(cal, section).model_copy(update=update)})


def _problems(src: Source, exc: ValidationError) -> list[Problem]:
    """Pydantic's errors at the line of the deepest key the file has."""
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path: list[Any] = []
        node: Any = src.data
        for part in loc:
            in_list = isinstance(node, list) and isinstance(part, int)
            if (isinstance(node, dict) and part in node) or in_list:
                path.append(part)
                node = node[part]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            allowed = sorted(_fields(loc[:-1]))
            msg = f"unknown key '{loc[-1]}'" + did_you_mean(str(loc[-1]), allowed, f"allowed: {allowed}")
        elif err["type"] == "missing":
            msg, path = "required key is missing", [*path, loc[-1]]
        elif "input" in err and not isinstance(err["input"], dict | list):
            msg += f" (got {err['input']!r})"
        out.append(src.problem(tuple(path), msg))
    return out


def _fields(loc: tuple) -> list[str]:
    """The keys allowed at ``loc`` of the calibration schema."""
    model: Any = Calibration
    item = False  # the next part is a dict key or a list index, not a field
    for part in loc:
        if item:
            item = False
            continue
        f = getattr(model, "model_fields", {}).get(part)
        if f is None:
            return []
        args = getattr(f.annotation, "__args__", ())
        model = next((a for a in args if hasattr(a, "model_fields")), f.annotation)
        item = bool(args) and model is not f.annotation
    return list(getattr(model, "model_fields", {}))


def read_calibration(path: str | Path) -> tuple[Calibration, Source]:
    """Read and validate a calibration file (its expressions too)."""
    src = read_yaml(Path(path))
    try:
        cal = Calibration.model_validate(src.data)
    except ValidationError as exc:
        raise ScenarioError(_problems(src, exc)) from None
    problems = []
    for key, text in cal.derived.items():
        try:
            names = Expression(str(text)).names
        except ValueError as exc:
            problems.append(src.problem(("derived", key), str(exc)))
            continue
        for n in names:
            if n not in cal.unknowns:
                hint = did_you_mean(n, cal.unknowns, f"unknowns: {sorted(cal.unknowns)}")
                problems.append(src.problem(("derived", key), f"'{n}' is not an unknown{hint}"))
    for i, r in enumerate(cal.observations):
        if not r.numeric or r.column is None:
            problems.append(src.problem(("observations", i), "a fitted record needs a number and a column"))
    for name in cal.sensitivity.outputs:
        if name in cal.unknowns:
            problems.append(src.problem(("sensitivity", "outputs"), f"'{name}' is an unknown, not an output"))
    if problems:
        raise ScenarioError(problems)
    return cal, src
