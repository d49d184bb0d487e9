"""What the schema cannot say about a scenario: its problems, each at its line.

:func:`schema_problems` turns pydantic's errors into problems with the file, the
line and the key; :func:`consistency_problems` cross-checks names (zones, links,
fleets), times and the shape of the link graph.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from sim.errors import KeyPath, Problem, did_you_mean
from sim.scenario.schema import Scenario
from sim.scenario.source import Source, model_at, schema_keys

#: Prefix pydantic puts before the messages of our own validators.
VALUE_ERROR = "Value error, "
#: Slack when checking that step_h divides the horizon: hours are floats (0.1 h steps
#: make a ratio such as 29.999999999999996).
STEP_TOLERANCE = 1e-6
#: Longest value quoted in a message.
SHOWN_CHARS = 60


def _data_path(loc: tuple, data: Any) -> KeyPath:
    """The part of a pydantic error location that exists in the data."""
    out: list[str | int] = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if in_dict or in_list:
            data = data[part]
            out.append(part)
    return tuple(out)


def shown(value: object) -> str:
    """``repr(value)``, cut to :data:`SHOWN_CHARS` characters (a value may be huge)."""
    text = repr(value)
    return (
        text
        if len(text) <= SHOWN_CHARS
        else f"{text[: SHOWN_CHARS - 5]}...{text[-2:]} ({len(text):,} characters)"
    )


def _message(err: dict, path: KeyPath, data: dict) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = schema_keys(model_at(path[:-1], data))
        hint = did_you_mean(str(path[-1]), allowed, f"allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key {shown(str(path[-1]))}{hint}"
    if kind == "missing":
        return "required key is missing"
    msg = err["msg"].removeprefix(VALUE_ERROR)
    if (
        "input" in err
        and kind not in ("model_type", "dict_type")
        and not isinstance(err["input"], (dict, list))
    ):
        msg += f" (got {shown(err['input'])})"
    return msg


def schema_problems(src: Source, exc: ValidationError) -> list[Problem]:
    """One problem per schema error, at the line of the deepest key the data has."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = _data_path(loc, src.data)
        if err["type"] == "missing":
            path = (*path, loc[-1]) if loc and loc[-1] not in path[-1:] else path
        problems.append(src.problem(path, _message(err, path, src.data)))
    return problems


def consistency_problems(sc: Scenario, src: Source) -> list[Problem]:
    """Cross-reference checks the schema cannot express, each with its key path."""
    p: list[Problem] = []
    zones = list(sc.zones)

    def unknown(path: KeyPath, name: str, valid: list[str], what: str) -> None:
        hint = did_you_mean(name, valid, f"expected one of {valid}")
        p.append(src.problem(path, f"unknown {what} '{name}'{hint}"))

    try:
        ZoneInfo(sc.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        p.append(src.problem(("timezone",), f"unknown IANA time zone '{sc.timezone}'"))
    if sc.end <= sc.start:
        p.append(src.problem(("end",), f"end ({sc.end}) must be after start ({sc.start})"))
    else:
        ratio = sc.horizon_h / sc.step_h
        if abs(ratio - round(ratio)) > STEP_TOLERANCE:
            p.append(src.problem(("step_h",), "step_h must divide the time from start to end"))
    if not zones:
        p.append(src.problem(("zones",), "at least one zone is needed"))
    for name in sc.outside:
        if name in sc.zones:
            p.append(src.problem(("outside",), f"'{name}' is both a zone and an outside system"))

    def in_horizon(path: KeyPath, when: dt.datetime) -> None:
        if not sc.start <= when <= sc.end:
            p.append(src.problem(path, f"{when} is outside the scenario ({sc.start} to {sc.end})"))

    for i, fleet in enumerate(sc.generation.units):
        if fleet.zone not in sc.zones:
            unknown(("generation", "units", i, "zone"), fleet.zone, zones, "zone")
    names = [f.name for f in sc.generation.units]
    for i, name in enumerate(names):
        if names.index(name) != i:
            p.append(
                src.problem(
                    ("generation", "units", i, "name"),
                    f"fleet name '{name}' is used twice (shocks find fleets by name)",
                )
            )
    seen_pairs: dict[frozenset, int] = {}
    parent = {z: z for z in zones}

    def root(z: str) -> str:
        while parent[z] != z:
            z = parent[z]
        return z

    link_names = [link.name for link in sc.links]
    for i, link in enumerate(sc.links):
        if link.to not in sc.zones:
            unknown(("links", i, "to"), link.to, zones, "zone")
            continue
        if link.from_ not in sc.zones and link.from_ not in sc.outside:
            unknown(("links", i, "from"), link.from_, zones + list(sc.outside), "zone or outside system")
            continue
        if link.from_ == link.to:
            p.append(src.problem(("links", i), "a link must join two different zones"))
            continue
        if link_names.count(link.name) > 1:
            p.append(src.problem(("links", i, "name"), f"link name '{link.name}' is used twice"))
        if link.from_ in sc.zones:
            pair = frozenset((link.from_, link.to))
            if pair in seen_pairs:
                p.append(
                    src.problem(
                        ("links", i),
                        f"zones {sorted(pair)} are already joined by link {seen_pairs[pair]}; "
                        "give one link with capacities each way",
                    )
                )
                continue
            seen_pairs[pair] = i
            a, b = root(link.from_), root(link.to)
            if a == b:
                p.append(
                    src.problem(
                        ("links", i),
                        "links between zones must not form a loop (the transfer model needs a tree)",
                    )
                )
            parent[a] = b
    for i, pop in enumerate(sc.mining.populations):
        if pop.zone not in sc.zones:
            unknown(("mining", "populations", i, "zone"), pop.zone, zones, "zone")
    for i, order in enumerate(sc.operator.orders):
        for z in order.zones:
            if z not in sc.zones:
                unknown(("operator", "orders", i, "zones"), z, zones, "zone")
        if order.end is not None and order.end <= order.start:
            p.append(src.problem(("operator", "orders", i, "end"), "end must be after start"))
    rule = sc.operator.rule
    for z in () if rule is None else rule.zones:
        if z not in sc.zones:
            unknown(("operator", "rule", "zones"), z, zones, "zone")
    for i, shock in enumerate(sc.shocks):
        path: KeyPath = ("shocks", i)
        if shock.end is not None and shock.end <= shock.start:
            p.append(src.problem((*path, "end"), "end must be after start"))
        in_horizon((*path, "start"), shock.start)
        for z in getattr(shock, "zones", ()):
            if z not in sc.zones:
                unknown((*path, "zones"), z, zones, "zone")
        zone = getattr(shock, "zone", None)
        if zone is not None and zone not in sc.zones:
            unknown((*path, "zone"), zone, zones, "zone")
        for name in getattr(shock, "links", ()):
            if name not in link_names:
                unknown((*path, "links"), name, link_names, "link")
        fleet_name = getattr(shock, "fleet", None)
        if fleet_name is not None:
            if fleet_name not in names:
                unknown((*path, "fleet"), fleet_name, names, "fleet")
            elif shock.units > sc.generation.units[names.index(fleet_name)].count:
                p.append(src.problem((*path, "units"), f"fleet '{fleet_name}' has fewer units"))
    if sc.target is not None:
        in_horizon(("target", "by"), sc.target.by)
    return p
