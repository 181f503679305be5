"""Expanding a template's transforms before the rules run, so that no resource passes unread.

- ``AWS::LanguageExtensions`` is expanded here, in plain Python: ``Fn::ForEach`` loops (in
  Resources, Outputs, Conditions and inside properties, nested loops included), ``Fn::Length``,
  ``Fn::ToJsonString`` and ``Fn::FindInMap`` with a ``DefaultValue``.
- ``AWS::Serverless-2016-10-31`` (SAM) is translated with aws-sam-translator when it is installed
  (``pip install secure-sagemaker[sam]``), the library SAM itself deploys with.
- Any other transform (``AWS::Include``, macros), a loop over a list the template cannot resolve,
  or a failed translation is left in place: :class:`~secure_sagemaker.nag.template.Template` then
  shows it as an unexpanded item and the ``TemplateExpanded`` rule reports a warning that names
  what was not checked. A template the engine cannot fully read never passes silently.

A template without a ``Transform`` section is returned as it is: expansion costs nothing there.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from secure_sagemaker.nag.template import as_dict, as_list, intrinsic

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
SERVERLESS = "AWS::Serverless-2016-10-31"
FOR_EACH = "Fn::ForEach::"
_MAX_ITEMS = 10_000  # resources a loop may produce (CloudFormation's own limit is far lower)
_MAX_DEPTH = 64


class ExpansionError(ValueError):
    """A part of the template that cannot be expanded; the message says which and why."""


def transforms_of(body: dict) -> list[Any]:
    """The template's ``Transform`` entries, as a list."""
    return as_list(body.get("Transform"))


def expand(body: dict) -> tuple[dict, list[tuple[str, str]]]:
    """``body`` with the transforms the engine knows expanded, and a problem line for each part
    left unexpanded (which the ``TemplateExpanded`` rule reports)."""
    names = transforms_of(body)
    if not names:
        return body, []
    problems: list[tuple[str, str]] = []
    body = dict(body)  # expansion builds new sections; the input is never changed
    remaining: list[Any] = []
    for name in names:
        if name == LANGUAGE_EXTENSIONS:
            try:
                body, left = _language_extensions(body)
            except ExpansionError as exc:
                problems.append(("Transform", f"the transform {LANGUAGE_EXTENSIONS} cannot be expanded: {exc}"))
                remaining.append(name)
                continue
            problems.extend(left)
        elif name == SERVERLESS:
            try:
                body = _serverless(body)
            except ExpansionError as exc:
                problems.append(("Transform", str(exc)))
                remaining.append(name)
        else:
            label = name if isinstance(name, str) else json.dumps(name, separators=(",", ":"))[:80]
            problems.append(
                (
                    "Transform",
                    f"the transform {label} is not expanded by the engine, so what it adds or changes is not checked",
                )
            )
            remaining.append(name)
    if remaining:
        body["Transform"] = remaining if len(remaining) > 1 else remaining[0]
    else:
        body.pop("Transform", None)
    return body, problems


# ------------------------------------------------------------------------------------------
# AWS::LanguageExtensions
# ------------------------------------------------------------------------------------------


def _language_extensions(body: dict) -> tuple[dict, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    parameters = as_dict(body.get("Parameters"))
    mappings = as_dict(body.get("Mappings"))
    out = {}
    for section, value in body.items():
        if section in ("Resources", "Outputs", "Conditions"):
            out[section] = _expand(value, {}, parameters, mappings, problems, section, 0)
        else:
            out[section] = value
    return out, problems


def _collection(value: Any, parameters: dict) -> list[str] | None:
    """A loop's collection as a list of strings, or None when the template cannot tell."""
    fn = intrinsic(value)
    if fn is not None and fn[0] == "Ref" and isinstance(fn[1], str):
        parameter = as_dict(parameters.get(fn[1]))
        default = parameter.get("Default")
        if isinstance(default, list):
            return [str(v) for v in default]
        if isinstance(default, str):
            return [v.strip() for v in default.split(",")] if default else []
        return None
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    return None


def _substitute_key(key: str, names: dict[str, str]) -> str:
    for identifier, value in names.items():
        key = key.replace("${" + identifier + "}", value)
        key = key.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", value))
    return key


def _expand(
    value: Any,
    names: dict[str, str],
    parameters: dict,
    mappings: dict,
    problems: list[tuple[str, str]],
    where: str,
    depth: int,
) -> Any:
    """``value`` with loops expanded and loop identifiers (``names``) substituted."""
    if depth > _MAX_DEPTH:
        raise ExpansionError(f"{where}: nests too deeply to expand")
    if isinstance(value, list):
        return [_expand(v, names, parameters, mappings, problems, where, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    fn = intrinsic(value)
    if fn is not None and not fn[0].startswith(FOR_EACH):
        name, arg = fn
        if name == "Ref" and isinstance(arg, str) and arg in names:
            return names[arg]
        if name == "Fn::Sub" and names:
            if isinstance(arg, str):
                return {"Fn::Sub": _substitute_key(arg, names)}
            if isinstance(arg, list) and arg and isinstance(arg[0], str):
                rest = [_expand(a, names, parameters, mappings, problems, where, depth + 1) for a in arg[1:]]
                return {"Fn::Sub": [_substitute_key(arg[0], names), *rest]}
        arg = _expand(arg, names, parameters, mappings, problems, where, depth + 1)
        if name == "Fn::Length":
            items = _collection(arg, parameters)
            return len(items) if items is not None else len(arg) if isinstance(arg, list) else {name: arg}
        if name == "Fn::ToJsonString" and not _has_intrinsic(arg):
            return json.dumps(arg, separators=(",", ":"))
        if name == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 4:
            default = as_dict(arg[3]).get("DefaultValue") if isinstance(arg[3], dict) else None
            keys = arg[:3]
            if all(isinstance(k, str) for k in keys):
                found = as_dict(as_dict(mappings.get(keys[0])).get(keys[1])).get(keys[2])
                return copy.deepcopy(found) if found is not None else default
            return {name: keys}
        return {name: arg}
    out: dict = {}
    for key, item in value.items():
        if isinstance(key, str) and key.startswith(FOR_EACH):
            loop = f"{where}.{key}"
            if not (
                isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[2], dict)
            ):
                problems.append(
                    (
                        loop,
                        f"{loop} is not a loop of [identifier, collection, template], so what it declares is not "
                        f"checked",
                    )
                )
                out[key] = item
                continue
            identifier, collection, body = item
            collection = _expand(collection, names, parameters, mappings, problems, loop, depth + 1)
            values = _collection(collection, parameters)
            if values is None:
                problems.append(
                    (
                        loop,
                        f"{loop} loops over a collection the template cannot resolve, so what it declares is not "
                        f"checked",
                    )
                )
                out[key] = item
                continue
            if len(values) * max(len(body), 1) + len(out) > _MAX_ITEMS:
                raise ExpansionError(f"{loop} expands to more than {_MAX_ITEMS} entries")
            for v in values:
                inner = {**names, identifier: v}
                for output_key, output_value in body.items():
                    expanded = _expand(
                        {output_key: output_value}, inner, parameters, mappings, problems, loop, depth + 1
                    )
                    for k, ev in expanded.items():
                        out[_substitute_key(k, inner) if isinstance(k, str) else k] = ev
            continue
        new_key = _substitute_key(key, names) if isinstance(key, str) and names else key
        out[new_key] = _expand(item, names, parameters, mappings, problems, where, depth + 1)
    return out


def _has_intrinsic(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if intrinsic(item) is not None:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


# ------------------------------------------------------------------------------------------
# AWS::Serverless-2016-10-31
# ------------------------------------------------------------------------------------------


class _AwsManagedPolicies(dict):
    """Any policy name SAM looks up is the AWS managed policy of that name (no IAM call)."""

    def get(self, key: Any, default: Any = None) -> Any:
        return f"arn:aws:iam::aws:policy/{key}" if isinstance(key, str) else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)


def sam_available() -> bool:
    """True when aws-sam-translator is installed (the ``sam`` extra)."""
    try:
        import samtranslator  # noqa: F401
    except ImportError:
        return False
    return True


def _serverless(body: dict) -> dict:
    try:
        from samtranslator.model.exceptions import InvalidDocumentException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise ExpansionError(
            f"the transform {SERVERLESS} (SAM) is not expanded: install aws-sam-translator "
            "(pip install 'secure-sagemaker[sam]') to check the resources SAM creates"
        ) from None
    import os

    try:
        body = copy.deepcopy(body)  # the translator changes the template it is given
    except RecursionError:
        raise ExpansionError(
            f"the transform {SERVERLESS} (SAM) is not expanded: the template nests too deeply"
        ) from None
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # SAM builds ARNs with a region
    try:
        policies = _AwsManagedPolicies()
        translated = Translator(managed_policy_map=policies, sam_parser=Parser()).translate(
            body,
            parameter_values={"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"},
            get_managed_policy_map=lambda: policies,
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(" ".join(str(getattr(c, "message", c)).split()) for c in getattr(exc, "causes", []))
        raise ExpansionError(
            f"the transform {SERVERLESS} (SAM) cannot translate the template: {causes or exc}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a translator bug must not stop the audit
        raise ExpansionError(
            f"the transform {SERVERLESS} (SAM) failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        ) from None
    finally:
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
    return translated
