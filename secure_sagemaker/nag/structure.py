"""The structural checks `audit` runs on a template before any rule: what CloudFormation itself would reject.

A template that fails one is not judged at all (exit status 2), since rules on a template
CloudFormation cannot deploy would report on something that never exists. Each problem is one
:class:`StructureError` line naming the resource (or section) and what is wrong:

- a resource without ``Type``, a ``Type`` that is not a string, ``Properties`` that is not a mapping;
- a function CloudFormation does not know (``Fn::Whatever``);
- ``Fn::If`` (or a resource's ``Condition``) on a condition the template does not declare;
- ``Ref``, ``Fn::GetAtt`` or ``${Name}`` in ``Fn::Sub`` naming nothing the template declares;
- a cycle of ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub`` / ``DependsOn`` between resources.

It runs after transforms are expanded; a template with a transform the engine could not expand
skips the name checks (the transform declares names of its own). One pass over each resource,
so it costs about as much as reading the template.
"""

from __future__ import annotations

import re
from typing import Any

from secure_sagemaker.nag.template import PSEUDO_PARAMETERS, as_dict

#: Every intrinsic function CloudFormation accepts in Resources, Outputs and Conditions, with the
#: AWS::LanguageExtensions ones (expanded before this runs, but harmless when left).
KNOWN_FUNCTIONS = frozenset(
    {
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::Transform",
        "Fn::If",
        "Fn::Equals",
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Fn::Length",
        "Fn::ToJsonString",
        "Fn::GetStackOutput",
    }
)
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class StructureError(ValueError):
    """The template is not one CloudFormation would accept; the message is one line."""


def check_structure(body: dict, *, names_known: bool = True) -> dict[str, set[str]]:
    """Raise :class:`StructureError` on the first structural problem of ``body``; else return the
    names each resource's properties reference (``Ref``, ``Fn::GetAtt``, ``${Name}`` in ``Fn::Sub``),
    which :class:`~secure_sagemaker.nag.template.Template` takes instead of walking them again.

    ``names_known`` is False when a transform the engine did not expand may declare more names.
    """
    resources = body.get("Resources")
    if not isinstance(resources, dict):
        raise StructureError("Resources is not a mapping")
    parameters = set(as_dict(body.get("Parameters")))
    conditions = set(as_dict(body.get("Conditions")))
    names = set(resources) | parameters | PSEUDO_PARAMETERS
    edges: dict[str, set[str]] = {}
    referenced: dict[str, set[str]] = {}
    for logical_id, raw in resources.items():
        if isinstance(logical_id, str) and logical_id.startswith("Fn::ForEach::"):
            continue  # a loop the engine could not expand: reported as a finding, not an error
        where = f"resource {logical_id}"
        if not isinstance(raw, dict):
            raise StructureError(f"{where}: is a {type(raw).__name__}, not a mapping with Type and Properties")
        if "Type" not in raw:
            raise StructureError(f"{where}: has no Type")
        if not isinstance(raw["Type"], str) or not raw["Type"].strip():
            raise StructureError(f"{where}: Type is {raw['Type']!r}, not a resource type name")
        if "Properties" in raw and raw["Properties"] is not None and not isinstance(raw["Properties"], dict):
            raise StructureError(f"{where}: Properties is a {type(raw['Properties']).__name__}, not a mapping")
        condition = raw.get("Condition")
        if condition is not None and not isinstance(condition, str):
            raise StructureError(f"{where}: Condition is {condition!r}, not the name of a condition")
        if condition is not None and names_known and condition not in conditions:
            raise StructureError(f"{where}: Condition {condition!r} is not declared in Conditions")
        found: set[str] = set()
        _walk(raw.get("Properties"), where, names, conditions, names_known, found)
        referenced[logical_id] = set(found)
        depends = raw.get("DependsOn")
        for target in depends if isinstance(depends, list) else [depends] if depends is not None else []:
            if not isinstance(target, str):
                raise StructureError(f"{where}: DependsOn names {target!r}, not a resource")
            if names_known and target not in resources:
                raise StructureError(f"{where}: DependsOn names {target}, which is not a resource of the template")
            found.add(target)
        edges[logical_id] = {name for name in found if name in resources}
    for name, value in as_dict(body.get("Outputs")).items():
        _walk(value, f"output {name}", names, conditions, names_known, set())
    cycle = _cycle(edges)
    if cycle:
        raise StructureError(f"resource {cycle[0]}: depends on itself through " + " -> ".join(cycle))
    return referenced


def _walk(value: Any, where: str, names: set[str], conditions: set[str], names_known: bool, found: set[str]) -> None:
    """Check every intrinsic in ``value``; add the names it references to ``found``."""
    stack: list[Any] = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        if type(item) is list:
            extend(item)
            continue
        if type(item) is not dict:
            continue
        if len(item) != 1:
            extend(item.values())
            continue
        ((key, arg),) = item.items()
        if key == "Ref":
            if not isinstance(arg, str):
                raise StructureError(f"{where}: Ref takes a name, not {arg!r}")
            if names_known and arg not in names and arg != "AWS::NoValue":
                raise StructureError(f"{where}: Ref names {arg}, which the template does not declare")
            found.add(arg)
        elif key == "Fn::GetAtt":
            target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0] if isinstance(arg, list) and arg else None
            if isinstance(target, str):
                if names_known and target not in names:
                    raise StructureError(f"{where}: Fn::GetAtt names {target}, which the template does not declare")
                found.add(target)
            if isinstance(arg, list):
                extend(arg[1:])
        elif key == "Fn::Sub":
            pattern = arg[0] if isinstance(arg, list) and arg else arg
            variables = as_dict(arg[1]) if isinstance(arg, list) and len(arg) > 1 else {}
            if isinstance(pattern, str) and "${" in pattern:
                for match in _SUB_VARIABLE.finditer(pattern):
                    name = match.group(1).strip()
                    if name in variables or name in PSEUDO_PARAMETERS:
                        continue
                    base = name.split(".", 1)[0]
                    if names_known and base not in names:
                        raise StructureError(f"{where}: Fn::Sub uses ${{{name}}}, which the template does not declare")
                    found.add(base)
            extend(variables.values())
        elif key == "Fn::If" and isinstance(arg, list) and arg:
            if isinstance(arg[0], str) and names_known and arg[0] not in conditions:
                raise StructureError(f"{where}: Fn::If uses the condition {arg[0]}, which Conditions does not declare")
            extend(arg[1:])
        else:
            if (
                isinstance(key, str)
                and key.startswith("Fn::")
                and key not in KNOWN_FUNCTIONS
                and not key.startswith("Fn::ForEach::")
            ):
                raise StructureError(f"{where}: {key} is not a CloudFormation function")
            extend(item.values())


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle among resources (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in edges:
        if state.get(start):
            continue
        path = [start]
        iterators = [iter(sorted(edges[start]))]
        state[start] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(sorted(edges.get(nxt, ()))))
    return None
