"""Cross-checks of the keys of outside links, security limits, the reserve and
sudden cuts, each problem at its key's line (:func:`sim.scenario.load.load_scenario`
adds them to :func:`sim.scenario.checks.consistency_problems`)."""

from __future__ import annotations

from sim.errors import Problem, did_you_mean
from sim.scenario.schema import LinkCut, Scenario
from sim.scenario.source import Source

#: Keys that only an outside link may have.
OUTSIDE_KEYS = ("schedule", "unscheduled_mw", "availability")


def security_problems(sc: Scenario, src: Source) -> list[Problem]:
    """Problems of the keys that describe outside systems and system security."""
    p: list[Problem] = []
    zones = list(sc.zones)
    for name in sc.operator.reserve_mw:
        if name not in sc.zones:
            hint = did_you_mean(name, zones, f"expected one of {zones}")
            p.append(src.problem(("operator", "reserve_mw", name), f"unknown zone '{name}'{hint}"))
    for i, link in enumerate(sc.links):
        between_zones = link.from_ in sc.zones
        if between_zones:
            for key in OUTSIDE_KEYS:
                if getattr(link, key) is not None:
                    p.append(src.problem(("links", i, key), f"only a link from an outside system has {key}"))
        elif link.security_limit_mw is not None:
            p.append(src.problem(("links", i, "security_limit_mw"), "only a link between zones has one"))
    for i, shock in enumerate(sc.shocks):
        if isinstance(shock, LinkCut) and shock.sudden and sc.operator.ufls is None:
            p.append(src.problem(("shocks", i, "sudden"), "a sudden cut needs operator.ufls"))
    return p
