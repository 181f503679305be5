"""Construct-time validation helpers.

Every message names the construct, the prop, the bad value and the fix, so that bad input fails
at `cdk synth` with something a user can act on, never later in CloudFormation.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterable, Sequence

import aws_cdk as cdk
import constructs
import jsii
from constructs import Construct


def describe(construct: Construct) -> str:
    """How error messages name a construct: its class and path, e.g. ``SecureBucket(Stack/Data)``."""
    return f"{type(construct).__name__}({construct.node.path})"


class PropError(ValueError):
    """A construct prop has a value the construct cannot accept."""


def fail(construct: str, prop: str, value: Any, problem: str, fix: str) -> PropError:
    """Build the error for ``prop`` of ``construct``; the caller raises it."""
    return PropError(f"{construct}: {prop}={value!r} {problem}. Fix: {fix}.")


def is_token(value: Any) -> bool:
    """True when ``value`` is (or contains) an unresolved CDK token, which cannot be checked now."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    return cdk.Token.is_unresolved(value)


def require_type(construct: str, prop: str, value: Any, expected: type | tuple[type, ...], fix: str) -> None:
    """Fail unless ``value`` is an instance of ``expected`` (bool is not accepted as int)."""
    expected_tuple = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in expected_tuple:
        ok = False
    else:
        ok = isinstance(value, expected_tuple)
    if not ok:
        names = " or ".join(t.__name__ for t in expected_tuple)
        raise fail(construct, prop, value, f"is a {type(value).__name__}, not a {names}", fix)


def require_number(
    construct: str,
    prop: str,
    value: Any,
    fix: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> None:
    """Fail unless ``value`` is a finite number (a whole one with ``integer``) in ``minimum..maximum``.

    Every numeric prop goes through here before it reaches jsii: a bool is not a number, and NaN
    or infinity is refused, since jsii cannot serialize them and its kernel dies, taking every
    later CDK call of the process with it. ``minimum`` and ``maximum`` are inclusive; callers with
    a range that needs its own explanation check it themselves after this call.
    """
    require_type(construct, prop, value, int if integer else (int, float), fix)
    if isinstance(value, float) and not math.isfinite(value):
        raise fail(construct, prop, value, "is not a finite number", fix)
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            raise fail(construct, prop, value, f"is outside {minimum}..{maximum}", fix)
    elif minimum is not None and value < minimum:
        raise fail(construct, prop, value, f"is below {minimum}", fix)
    elif maximum is not None and value > maximum:
        raise fail(construct, prop, value, f"is above {maximum}", fix)


def require_attribute(construct: str, prop: str, value: Any, attribute: str, fix: str) -> None:
    """Fail unless ``value`` has ``attribute``: how props typed as jsii interfaces are checked.

    jsii interfaces (``iam.IRole``, ``kms.IKey``, ``s3.IBucket``) are not runtime-checkable
    protocols, so the check is the attribute the construct will read (``role_arn``, ``key_arn``).
    """
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, attribute):
        raise fail(construct, prop, value, f"has no {attribute}, so it is not the resource expected", fix)


def require_key(construct: str, prop: str, value: Any, fix: str) -> Any:
    """Fail unless ``value`` is a KMS key, and not an alias of one.

    Bucket policies, key policies and IAM conditions compare key ARNs; an alias ARN never equals
    the key ARN a service sees, so an alias would silently fail every such comparison.
    """
    require_attribute(construct, prop, value, "key_arn", fix)
    if hasattr(value, "alias_name"):
        raise fail(
            construct,
            prop,
            value.node.path,
            "is a KMS alias, not a key",
            "pass the key itself (alias.alias_target_key or kms.Key.from_key_arn)",
        )
    return value


def s3_key_prefix(construct: str, prop: str, value: Any, example: str, *, max_uri_length: int, uri: str) -> str:
    """``value`` as a key prefix without leading or trailing '/', short enough for an ``s3://`` URI
    of at most ``max_uri_length`` characters (``uri`` names that URI in the message); tokens pass."""
    fix = f"pass a key prefix such as '{example}'"
    require_type(construct, prop, value, str, fix)
    if is_token(value):
        return value
    if not value.strip("/") or value.startswith("/") or "://" in value or "*" in value:
        raise fail(construct, prop, value, "is not an S3 key prefix", fix)
    value = value.strip("/")
    # s3:// + at most 63 characters of bucket name + / + prefix
    if len(value) > max_uri_length - len("s3://") - 63 - 1:
        raise fail(
            construct, prop, value, f"makes the {uri} longer than {max_uri_length} characters", "shorten the prefix"
        )
    return value


def require_one_of(construct: str, existing: tuple[str, Any], props: Iterable[tuple[str, Any]]) -> None:
    """Fail when both an existing resource and the props to make one are given."""
    existing_name, existing_value = existing
    if existing_value is None:
        return
    given = [name for name, value in props if value is not None]
    if given:
        raise PropError(
            f"{construct}: both {existing_name} and {', '.join(given)} were given, but the "
            f"latter only shape a resource the construct creates. Fix: drop "
            f"{', '.join(given)} to use {existing_name}, or drop {existing_name} to create one."
        )


def require_feature_flag(scope: Construct, flag: str, needs: str) -> None:
    """Fail unless the CDK feature flag ``flag`` is on for ``scope``; ``needs`` says why it must be."""
    if not cdk.FeatureFlags.of(scope).is_enabled(flag):
        raise PropError(
            f"{describe(scope)}: the feature flag {flag} is off, but {needs}. Fix: set "
            f'"{flag}": true in the context of cdk.json (`cdk init` does), or pass it in '
            f"cdk.App(context={{...}})."
        )


#: Marks an intrinsic inside a flattened string (see :func:`flatten_resolved`); never in a literal.
TOKEN_MARK = "\x00"


def flatten_resolved(value: Any) -> str:
    """A resolved CloudFormation value as one string, each intrinsic as a marked JSON placeholder.

    Two values built from the same tokens (``repository.repository_uri`` and
    ``repository.repository_uri_for_tag("v1")``) flatten to strings where one is a prefix of the
    other, which is how images and model data are matched against what the caller named.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Fn::Join"} and value["Fn::Join"][0] == "":
        return "".join(flatten_resolved(part) for part in value["Fn::Join"][1])
    return TOKEN_MARK + json.dumps(value, sort_keys=True) + TOKEN_MARK


def rendered_string(scope: Construct, value: str) -> str:
    """``value`` resolved in the stack of ``scope`` and flattened (see :func:`flatten_resolved`)."""
    return flatten_resolved(cdk.Stack.of(scope).resolve(value))


@jsii.implements(constructs.IValidation)
class _Enforced:
    """Synth-time check that the enforced properties of an L1 resource still hold."""

    def __init__(
        self, owner: str, resource: cdk.CfnResource, checks: Sequence[tuple[str, Callable[[dict], bool]]]
    ) -> None:
        self._owner = owner
        self._resource = resource
        self._checks = list(checks)

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._resource)
        properties = self._resource._render_properties(stack.resolve(self._resource._cfn_properties))
        failed = []
        for what, holds in self._checks:
            try:
                ok = holds(properties or {})
            except (KeyError, TypeError, IndexError, AttributeError):
                ok = False
            if not ok:
                failed.append(
                    f"{self._owner}: {what} is enforced by this construct but the resource "
                    f"{self._resource.node.path} was changed after construction. Fix: remove the change "
                    "(or use the construct's documented opt-out where one exists)."
                )
        return failed


def enforce(
    construct: Construct, resource: cdk.CfnResource, checks: Sequence[tuple[str, Callable[[dict], bool]]]
) -> None:
    """Re-check ``checks`` (description, predicate over the CFN properties) when the app is synthesized.

    A predicate must resolve what it compares with inside itself (``stack.resolve(key.key_arn)``
    at synth), never before: a resource of another stack or Stage resolves to its cross-stack
    reference (``Fn::ImportValue``, ``Fn::GetStackOutput``) only once the app is being synthesized.
    """
    construct.node.add_validation(_Enforced(describe(construct), resource, checks))
