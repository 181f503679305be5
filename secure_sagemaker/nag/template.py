"""A CloudFormation template as every rule reads it.

Rules never index into raw dicts: they go through :class:`Template` and :class:`Resource` and the
helpers below, which accept anything (``None``, strings where mappings belong, lists of junk,
intrinsics everywhere) and never raise.

Values come in three kinds:

- a *literal*: a Python str, bool, number, list or dict with nothing left to resolve;
- a :class:`Ref`: the value names a resource of this template (``Ref``, ``Fn::GetAtt`` or a
  ``Fn::Sub`` of exactly ``${X}`` / ``${X.Attr}``), which a rule can follow;
- :class:`Unresolved`: the value is present but this template cannot tell what it is (a
  parameter, ``Fn::ImportValue``, a resource of another stack, a condition). Every rule treats it
  the same way: present, but not verifiable, which is a warning where the rule needs to see it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Pseudo parameters that stay symbolic (``${AWS::Region}``) when a value is rendered as a string.
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
NO_VALUE = "AWS::NoValue"
#: The type of the stand-in resource a template gets for each part the engine did not expand (a
#: transform, a ``Fn::ForEach`` loop): the ``TemplateExpanded`` rule reports each one. Stand-ins
#: are in :meth:`Template.of_type` but not in :attr:`Template.resources`.
UNEXPANDED = "AWS::CloudFormation::Transform"
_MAX_DEPTH = 32
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Unresolved:
    """A value that is present but cannot be verified from this template."""

    reason: str

    def __str__(self) -> str:
        return self.reason


def link_exports(templates: Any) -> None:
    """Let each of ``templates`` (the stacks of one app or assembly) follow ``Fn::ImportValue``
    to the value another of them exports, as CloudFormation does at deploy time: a key created in
    one stack and used in another is still recognised as that key."""
    templates = list(templates)
    exports: dict[str, tuple[Template, Any]] = {}
    outputs: dict[str, list[Template]] = {}
    for template in templates:
        for name, output in as_dict(template.body.get("Outputs")).items():
            output = as_dict(output)
            if "Value" not in output:
                continue
            outputs.setdefault(name, []).append(template)
            export = as_dict(output.get("Export")).get("Name")
            if isinstance(export, str):
                exports[export] = (template, output["Value"])
    for template in templates:
        template._exports, template._outputs = exports, outputs


@dataclass(frozen=True)
class Ref:
    """A value that names a resource of this template (its ``Ref`` or one of its attributes)."""

    logical_id: str
    attribute: str | None = None


def is_unresolved(value: Any) -> bool:
    """True for the "present but not verifiable" value type."""
    return isinstance(value, Unresolved)


# --------------------------------------------------------------------------------------------
# Junk-proof access to plain data
# --------------------------------------------------------------------------------------------


def get(obj: Any, *path: Any) -> Any:
    """``obj[path[0]][path[1]]...``, or ``None`` as soon as a step is missing or of the wrong type."""
    for key in path:
        if isinstance(obj, dict) and isinstance(key, str):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def as_dict(value: Any) -> dict:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """``value`` as a list: a list as is, ``None`` as empty, anything else as a one-item list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def intrinsic(value: Any) -> tuple[str, Any] | None:
    """``(name, argument)`` when ``value`` is a one-key intrinsic (``Ref``, ``Fn::*``, ``Condition``)."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::") or key == "Condition"):
            return key, arg
    return None


# --------------------------------------------------------------------------------------------
# Template and resources
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class Resource:
    """One resource of a template: its logical id, type and final properties."""

    logical_id: str
    type: str
    properties: dict
    metadata: dict
    template: "Template" = field(repr=False)
    line: int | None = None

    def prop(self, *path: Any) -> Any:
        """The property at ``path`` (raw, unresolved), or ``None``."""
        return get(self.properties, *path)

    def __repr__(self) -> str:
        return f"Resource({self.logical_id!r}, {self.type!r})"


class Template:
    """A parsed CloudFormation template with the indexes rules need to follow references."""

    def __init__(
        self,
        body: Any,
        *,
        name: str = "template",
        account: str | None = None,
        lines: dict[str, int] | None = None,
        unexpanded: list[tuple[str, str]] | None = None,
        references: dict[str, set[str]] | None = None,
    ) -> None:
        self.body = body if isinstance(body, dict) else {}
        self.name = name
        #: The account the template deploys to, when known (a CDK stack with an explicit env).
        self.account = account if isinstance(account, str) and account.isdigit() else None
        self.parameters = as_dict(self.body.get("Parameters"))
        self.mappings = as_dict(self.body.get("Mappings"))
        self.conditions = as_dict(self.body.get("Conditions"))
        lines = lines or {}
        self.resources: dict[str, Resource] = {}
        self._by_type: dict[str, list[Resource]] = {}
        for logical_id, raw in as_dict(self.body.get("Resources")).items():
            if not isinstance(logical_id, str) or logical_id.startswith("Fn::ForEach::"):
                continue
            raw = as_dict(raw)
            rtype = raw.get("Type") if isinstance(raw.get("Type"), str) else ""
            resource = Resource(
                logical_id=logical_id,
                type=rtype,
                properties=as_dict(raw.get("Properties")),
                metadata=as_dict(raw.get("Metadata")),
                template=self,
                line=lines.get(logical_id),
            )
            self.resources[logical_id] = resource
            self._by_type.setdefault(rtype, []).append(resource)
        if unexpanded is None:
            unexpanded = _unexpanded_parts(self.body)
        for where, problem in unexpanded:
            stand_in = Resource(where, UNEXPANDED, {"Problem": problem}, {}, self, lines.get(where.rsplit(".", 1)[-1]))
            self._by_type.setdefault(UNEXPANDED, []).append(stand_in)
        self._referrers: dict[str, list[Resource]] | None = None
        #: The names each resource's properties reference, when the caller has them already
        #: (``structure.check_structure`` returns them); else computed on first use.
        self._references = references
        #: Derived indexes rules share (computed once per template), by the rule module's key.
        self.cache: dict[str, Any] = {}
        #: Export name -> (template, exported value) of the templates linked with this one.
        self._exports: dict[str, tuple[Template, Any]] = {}
        #: Output name -> the linked templates that have an output of that name.
        self._outputs: dict[str, list[Template]] = {}

    def output_value(self, name: str) -> Any:
        """The ``Value`` of output ``name`` (None when there is none)."""
        return as_dict(as_dict(self.body.get("Outputs")).get(name)).get("Value")

    def imported(self, value: Any) -> tuple[Template, Any] | None:
        """Where ``value`` comes from another stack of the same app (see :func:`link_exports`):
        that stack's template and the value it exports; otherwise None.

        Two forms: ``{"Fn::ImportValue": "<export name>"}`` (strong references) and
        ``{"Fn::GetStackOutput": {"StackName": ..., "OutputName": "<name>"}}`` (weak ones). An
        output name found in several linked templates is taken from the one in this template's
        folder (the same cloud assembly, so the same Stage), and is otherwise ambiguous (None).
        """
        fn = intrinsic(value)
        if fn is None:
            return None
        if fn[0] == "Fn::ImportValue" and isinstance(fn[1], str):
            return self._exports.get(fn[1])
        if fn[0] == "Fn::GetStackOutput":
            name = as_dict(fn[1]).get("OutputName")
            candidates = self._outputs.get(name, []) if isinstance(name, str) else []
            if len(candidates) > 1:
                folder = self.name.rpartition("/")[0]
                candidates = [t for t in candidates if t.name.rpartition("/")[0] == folder]
            if len(candidates) == 1:
                return candidates[0], candidates[0].output_value(name)
        return None

    def __repr__(self) -> str:
        return f"Template({self.name!r}, {len(self.resources)} resources)"

    # -- lookups --------------------------------------------------------------------------

    def of_type(self, *types: str) -> list[Resource]:
        """Every resource of one of ``types``, in template order within each type."""
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [r for t in types for r in self._by_type.get(t, ())]

    def types(self) -> set[str]:
        """The resource types present in the template."""
        return set(self._by_type)

    def references_of(self, resource: Resource) -> set[str]:
        """The logical ids (and parameter names) ``resource``'s properties reference."""
        if self._references is None:
            self._references = {}
        found = self._references.get(resource.logical_id)
        if found is None or self.resources.get(resource.logical_id) is not resource:
            found = references(resource.properties)
            if self.resources.get(resource.logical_id) is resource:
                self._references[resource.logical_id] = found
        return found

    def referrers(self, logical_id: str, *types: str) -> list[Resource]:
        """Resources (of ``types``, if given) whose properties reference ``logical_id``."""
        if self._referrers is None:
            index: dict[str, list[Resource]] = {}
            for resource in self.resources.values():
                for target in self.references_of(resource):
                    index.setdefault(target, []).append(resource)
            self._referrers = index
        found = self._referrers.get(logical_id, [])
        return [r for r in found if not types or r.type in types]

    # -- value resolution -----------------------------------------------------------------

    def resolve(self, value: Any, _depth: int = 0) -> Any:
        """Resolve ``value`` to a literal, a :class:`Ref`, :class:`Unresolved` or ``None`` (absent)."""
        if _depth > _MAX_DEPTH:
            return Unresolved("the value nests intrinsic functions too deeply to follow")
        fn = intrinsic(value)
        if fn is None:
            return value
        name, arg = fn
        if name == "Ref":
            return self._resolve_name(arg)
        if name == "Fn::GetAtt":
            target = _getatt_target(arg)
            if target is None:
                return Unresolved("Fn::GetAtt has an argument that cannot be read")
            logical_id, attribute = target
            if logical_id in self.resources:
                return Ref(logical_id, attribute)
            return Unresolved(f"Fn::GetAtt names {logical_id}, which is not in this template")
        if name == "Fn::Sub":
            pattern = arg[0] if isinstance(arg, list) and arg else arg
            variables = as_dict(arg[1]) if isinstance(arg, list) and len(arg) > 1 else {}
            if isinstance(pattern, str):
                whole = re.fullmatch(r"\$\{([^}!]+)\}", pattern)
                if whole:
                    inner = whole.group(1)
                    if inner in variables:
                        return self.resolve(variables[inner], _depth + 1)
                    base, _, attribute = inner.partition(".")
                    if attribute and base in self.resources:
                        return Ref(base, attribute)
                    return self._resolve_name(inner)
            return self.render(value, _depth + 1)
        if name == "Fn::If":
            if not (isinstance(arg, list) and len(arg) == 3):
                return Unresolved("Fn::If has an argument that cannot be read")
            a = self.resolve(arg[1], _depth + 1)
            b = self.resolve(arg[2], _depth + 1)
            if a == b:
                return a
            return Unresolved(f"the value depends on the condition {arg[0]!s}")
        if name == "Fn::ImportValue":
            return Unresolved("the value is imported from another stack (Fn::ImportValue)")
        if name == "Fn::FindInMap":
            return self._find_in_map(arg, _depth)
        if name == "Fn::Select":
            if isinstance(arg, list) and len(arg) == 2:
                index = self.resolve(arg[0], _depth + 1)
                items = self.resolve(arg[1], _depth + 1)
                if isinstance(index, str) and index.isdigit():
                    index = int(index)
                if isinstance(index, int) and not isinstance(index, bool) and isinstance(items, list):
                    if 0 <= index < len(items):
                        return self.resolve(items[index], _depth + 1)
            return Unresolved("Fn::Select picks from a list this template cannot resolve")
        if name == "Fn::Join":
            return self.render(value, _depth + 1)
        return Unresolved(f"{name} cannot be evaluated without deploying")

    def _resolve_name(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unresolved("Ref has an argument that is not a name")
        if name == NO_VALUE:
            return None
        if name in self.resources:
            return Ref(name)
        if name in self.parameters:
            return Unresolved(f"the value is the parameter {name}")
        if name in PSEUDO_PARAMETERS:
            return Unresolved(f"the value is the pseudo parameter {name}")
        return Unresolved(f"Ref names {name}, which is not in this template")

    def _find_in_map(self, arg: Any, depth: int) -> Any:
        if isinstance(arg, list) and len(arg) >= 3:
            keys = [self.resolve(k, depth + 1) for k in arg[:3]]
            if all(isinstance(k, str) for k in keys):
                found = get(self.mappings, *keys)
                if found is not None:
                    return self.resolve(found, depth + 1)
        return Unresolved("Fn::FindInMap looks up keys this template cannot resolve")

    def render(self, value: Any, _depth: int = 0) -> Any:
        """Render ``value`` as one string, with ``${AWS::Region}`` for pseudo parameters and
        ``${Logical}`` / ``${Logical.Attr}`` for resources of this template; :class:`Unresolved`
        when a part is a parameter or an import; ``None`` when absent."""
        if _depth > _MAX_DEPTH:
            return Unresolved("the value nests intrinsic functions too deeply to follow")
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        fn = intrinsic(value)
        if fn is None:
            return Unresolved("the value is a structure, not a string")
        name, arg = fn
        if name == "Ref":
            if isinstance(arg, str) and (arg in PSEUDO_PARAMETERS or arg in self.resources):
                return "${" + arg + "}"
            return self._resolve_name(arg)
        if name == "Fn::GetAtt":
            target = _getatt_target(arg)
            if target and target[0] in self.resources:
                return "${" + target[0] + "." + target[1] + "}"
            return self.resolve(value, _depth + 1)
        if name == "Fn::Join":
            if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
                return Unresolved("Fn::Join has an argument that cannot be read")
            parts = self.resolve(arg[1], _depth + 1) if intrinsic(arg[1]) else arg[1]
            if not isinstance(parts, list):
                return (
                    parts
                    if isinstance(parts, Unresolved)
                    else Unresolved("Fn::Join joins a list this template cannot resolve")
                )
            rendered = [self.render(p, _depth + 1) for p in parts]
            for part in rendered:
                if not isinstance(part, str):
                    return (
                        part
                        if isinstance(part, Unresolved)
                        else Unresolved("Fn::Join joins a value that is not a string")
                    )
            return arg[0].join(rendered)
        if name == "Fn::Sub":
            pattern = arg[0] if isinstance(arg, list) and arg else arg
            variables = as_dict(arg[1]) if isinstance(arg, list) and len(arg) > 1 else {}
            if not isinstance(pattern, str):
                return Unresolved("Fn::Sub has a pattern that is not a string")
            problem: list[Unresolved] = []

            def substitute(match: re.Match) -> str:
                inner = match.group(1).strip()
                if inner in variables:
                    rendered = self.render(variables[inner], _depth + 1)
                else:
                    base, _, attribute = inner.partition(".")
                    if inner in PSEUDO_PARAMETERS or base in self.resources:
                        return "${" + inner + "}"
                    rendered = self._resolve_name(inner)
                if isinstance(rendered, str):
                    return rendered
                problem.append(
                    rendered if isinstance(rendered, Unresolved) else Unresolved(f"${{{inner}}} cannot be resolved")
                )
                return ""

            result = _SUB_VARIABLE.sub(substitute, pattern)
            if problem:
                return problem[0]
            return result.replace("${!", "${")
        resolved = self.resolve(value, _depth + 1)
        if isinstance(resolved, Ref):
            suffix = f".{resolved.attribute}" if resolved.attribute else ""
            return "${" + resolved.logical_id + suffix + "}"
        if resolved is None or isinstance(resolved, (Unresolved, str)):
            return resolved
        return self.render(resolved, _depth + 1)

    def target(self, value: Any, *types: str) -> Resource | None:
        """The resource of this template (of ``types``, if given) that ``value`` names, if any."""
        resolved = self.resolve(value)
        if isinstance(resolved, Ref):
            resource = self.resources.get(resolved.logical_id)
            if resource is not None and (not types or resource.type in types):
                return resource
            return None
        if isinstance(resolved, str):
            # A rendered string that is exactly "${Key}" or "${Key.Arn}" names the resource too.
            match = re.fullmatch(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}", resolved)
            if match and match.group(1) in self.resources:
                resource = self.resources[match.group(1)]
                if not types or resource.type in types:
                    return resource
        return None

    def same(self, a: Any, b: Any) -> bool:
        """True when ``a`` and ``b`` are the same value: equal once rendered, or, when they cannot
        be rendered (a parameter, an import), the same expression written the same way
        (``!Sub "${AppName}-data"`` in the bucket and in its policy name one bucket)."""
        key = self.value_key(a)
        return key is not None and key == self.value_key(b)

    def value_key(self, value: Any) -> tuple[str, str] | None:
        """A hashable key such that two values have the same key when :meth:`same` holds."""
        if value is None:
            return None
        rendered = self.render(value)
        if isinstance(rendered, str):
            return ("value", rendered)
        import json

        return ("expression", json.dumps(_normalized(value), sort_keys=True, default=str))

    # -- typed reads ----------------------------------------------------------------------

    def boolean(self, value: Any) -> bool | Unresolved | None:
        """``value`` as a boolean (``True``, ``"true"``...), :class:`Unresolved`, or ``None`` if absent."""
        resolved = self.resolve(value)
        if resolved is None or isinstance(resolved, Unresolved):
            return resolved
        if isinstance(resolved, bool):
            return resolved
        if isinstance(resolved, str):
            lowered = resolved.strip().lower()
            if lowered == "true":
                return True
            if lowered == "false":
                return False
        if isinstance(resolved, Ref):
            return Unresolved(f"the value is read from {resolved.logical_id} at deploy time")
        return False

    def string(self, value: Any) -> str | Unresolved | None:
        """``value`` as a string (numbers included), :class:`Unresolved`, or ``None`` if absent."""
        resolved = self.resolve(value)
        if resolved is None or isinstance(resolved, (Unresolved, str)):
            return resolved
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, (int, float)):
            return str(resolved)
        if isinstance(resolved, Ref):
            return Unresolved(f"the value is read from {resolved.logical_id} at deploy time")
        return Unresolved("the value is a structure, not a string")

    def number(self, value: Any) -> float | Unresolved | None:
        """``value`` as a number, :class:`Unresolved`, or ``None`` if absent or not a number."""
        resolved = self.resolve(value)
        if resolved is None or isinstance(resolved, Unresolved):
            return resolved
        if isinstance(resolved, bool):
            return None
        if isinstance(resolved, (int, float)):
            return float(resolved)
        if isinstance(resolved, str):
            try:
                return float(resolved.strip())
            except ValueError:
                return None
        if isinstance(resolved, Ref):
            return Unresolved(f"the value is read from {resolved.logical_id} at deploy time")
        return None

    def items(self, value: Any) -> list | Unresolved:
        """``value`` as a list (absent is empty; a single item is a one-item list), or :class:`Unresolved`."""
        resolved = self.resolve(value)
        if resolved is None:
            return []
        if isinstance(resolved, Unresolved):
            return resolved
        if isinstance(resolved, list):
            return resolved
        return [resolved]

    def mapping(self, value: Any) -> dict | Unresolved | None:
        """``value`` as a mapping, :class:`Unresolved`, or ``None`` when absent or not a mapping."""
        resolved = self.resolve(value)
        if isinstance(resolved, (dict, Unresolved)):
            return resolved
        return None


def _normalized(value: Any, depth: int = 0) -> Any:
    """``value`` written one way: ``Fn::Sub`` always as ``[pattern, variables]``, ``Fn::GetAtt``
    always as ``[logical id, attribute]``, whitespace inside ``${...}`` dropped."""
    if depth > _MAX_DEPTH:
        return None
    fn = intrinsic(value)
    if fn is not None:
        name, arg = fn
        if name == "Fn::Sub":
            pattern = arg[0] if isinstance(arg, list) and arg else arg
            variables = arg[1] if isinstance(arg, list) and len(arg) > 1 else {}
            if isinstance(pattern, str):
                pattern = _SUB_VARIABLE.sub(lambda m: "${" + m.group(1).strip() + "}", pattern)
            return ["Fn::Sub", pattern, _normalized(variables, depth + 1)]
        if name == "Fn::GetAtt":
            target = _getatt_target(arg)
            return ["Fn::GetAtt", *target] if target else ["Fn::GetAtt", arg]
        return [name, _normalized(arg, depth + 1)]
    if isinstance(value, dict):
        return {k: _normalized(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalized(v, depth + 1) for v in value]
    return value


def _unexpanded_parts(body: dict) -> list[tuple[str, str]]:
    """``(where, problem)`` for each transform and ``Fn::ForEach`` loop left in ``body``."""
    found = []
    for name in as_list(body.get("Transform")):
        label = name if isinstance(name, str) else "a transform"
        found.append(
            (
                "Transform",
                f"the template uses {label}, which was not expanded, so what it adds or changes is not checked",
            )
        )
    for key in as_dict(body.get("Resources")):
        if isinstance(key, str) and key.startswith("Fn::ForEach::"):
            found.append(
                (f"Resources.{key}", f"the loop {key} was not expanded, so the resources it declares are not checked")
            )
    return found


def _getatt_target(arg: Any) -> tuple[str, str] | None:
    if isinstance(arg, str) and "." in arg:
        logical_id, _, attribute = arg.partition(".")
        return logical_id, attribute
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        attribute = arg[1] if isinstance(arg[1], str) else "?"
        return arg[0], attribute
    return None


def references(value: Any) -> set[str]:
    """Logical ids (and parameter names) that ``value`` mentions through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if len(item) == 1:
                ((key, arg),) = item.items()
                if key == "Ref" and isinstance(arg, str):
                    found.add(arg)
                    continue
                if key == "Fn::GetAtt":
                    target = _getatt_target(arg)
                    if target:
                        found.add(target[0])
                    continue
                if key == "Fn::Sub":
                    pattern = arg[0] if isinstance(arg, list) and arg else arg
                    if isinstance(pattern, str):
                        for match in _SUB_VARIABLE.finditer(pattern):
                            found.add(match.group(1).strip().split(".", 1)[0])
                    if isinstance(arg, list) and len(arg) > 1:
                        stack.append(arg[1])
                    continue
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def first_sentence(text: str | None) -> str:
    """The first sentence of a docstring, on one line."""
    if not text:
        return ""
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]
