"""The JSON Schema of scenario files, for editors and external validators.

Pydantic gives the schema of a complete scenario. Files that ``extends:``
another are partial (a deep merge fills in the rest) and may append to a list
with ``key+:``, so the schema accepts both kinds of file: a file with
``extends`` is checked against a copy of every definition with no required
keys; any list-valued key ``k`` may also be given as ``k+``. Both copies keep
``additionalProperties: false``, so misspelt keys are still flagged.
"""

from __future__ import annotations

import copy
from typing import Any

from sim.scenario.schema import Scenario

#: Suffix of the partial copy of each definition.
PARTIAL = "Partial"
#: Where pydantic puts the definitions.
DEFS = "$defs"


def _is_list(prop: dict[str, Any]) -> bool:
    options = prop.get("anyOf", [prop])
    return any(o.get("type") == "array" for o in options)


def _with_appends(node: Any) -> None:
    """Add ``k+`` beside every list-valued property ``k``, in place, everywhere."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for key, prop in list(props.items()):
                if isinstance(prop, dict) and _is_list(prop):
                    props[f"{key}+"] = copy.deepcopy(prop)
        for value in node.values():
            _with_appends(value)
    elif isinstance(node, list):
        for value in node:
            _with_appends(value)


def _partial(node: Any) -> Any:
    """A copy with no ``required`` keys and references to partial definitions."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = value + PARTIAL
            else:
                out[key] = _partial(value)
        return out
    if isinstance(node, list):
        return [_partial(v) for v in node]
    return node


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, complete or a variant (``extends:``)."""
    full = Scenario.model_json_schema(by_alias=True)
    _with_appends(full)
    defs = full.pop(DEFS, {})
    top = {k: v for k, v in full.items() if k not in ("title", "description")}
    extends = {"type": "string", "description": "Path of the scenario file this one extends."}
    complete = copy.deepcopy(top)
    complete["properties"]["extends"] = extends
    partial = _partial(copy.deepcopy(top))
    partial["properties"]["extends"] = extends
    all_defs = {**defs, **{name + PARTIAL: _partial(d) for name, d in defs.items()}}
    all_defs["Scenario"] = complete
    all_defs["Scenario" + PARTIAL] = partial
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": full.get("title", "Scenario"),
        "description": full.get("description", ""),
        "if": {"required": ["extends"]},
        "then": {"$ref": f"#/{DEFS}/Scenario{PARTIAL}"},
        "else": {"$ref": f"#/{DEFS}/Scenario"},
        DEFS: all_defs,
    }
