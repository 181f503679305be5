"""Construct-time validation helpers.

Every message names the construct, the prop, the bad value and the fix, so that bad input fails
at `cdk synth` with something a user can act on, never later in CloudFormation.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

import aws_cdk as cdk
from constructs import Construct

from secure_sagemaker._flatten import TOKENS, flatten


class ConstructName:
    """How error messages name a construct: its class and path, e.g. ``SecureBucket(Stack/Data)``.

    Worked out when first shown, not when made: reading a path costs two round trips to the jsii
    kernel, and constructs name themselves in every constructor while few ever fail. It formats,
    compares and concatenates as that text.
    """

    __slots__ = ("_construct", "_text")

    def __init__(self, construct: Construct) -> None:
        self._construct: Construct | None = construct
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            assert self._construct is not None
            self._text = f"{type(self._construct).__name__}({self._construct.node.path})"
            self._construct = None
        return self._text

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, ConstructName) else other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)


def describe(construct: Construct) -> str:
    """How error messages name a construct: its class and path, e.g. ``SecureBucket(Stack/Data)``
    (a :class:`ConstructName`, worked out when shown)."""
    return ConstructName(construct)  # type: ignore[return-value]  # it stands in for the str it shows


class PropError(ValueError):
    """A construct prop has a value the construct cannot accept."""


def fail(construct: str, prop: str, value: Any, problem: str, fix: str) -> PropError:
    """Build the error for ``prop`` of ``construct``; the caller raises it."""
    return PropError(f"{construct}: {prop}={value!r} {problem}. Fix: {fix}.")


#: What every string-encoded CDK token contains (``${Token[TOKEN.23]}``); a string without it is a literal.
STRING_TOKEN_MARKER = "${Token["


def is_token(value: Any) -> bool:
    """True when ``value`` is (or contains) an unresolved CDK token, which cannot be checked now."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return False
    if isinstance(value, str) and STRING_TOKEN_MARKER not in value:
        return False  # what Token.is_unresolved answers, without a round trip to the jsii kernel
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


def require_finite_retention(construct: str, prop: str, value: Any, logs_kind: str) -> None:
    """Fail unless ``value`` is a ``logs.RetentionDays`` other than ``INFINITE``; ``logs_kind`` names
    what the messages say would be kept forever (``"flow logs"``)."""
    from aws_cdk import aws_logs as logs

    require_type(construct, prop, value, logs.RetentionDays, "pass a logs.RetentionDays value such as ONE_YEAR")
    if value == logs.RetentionDays.INFINITE:
        raise fail(construct, prop, value, f"keeps {logs_kind} forever", "pick a period such as ONE_YEAR")


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


def require_whole_number(construct: str, prop: str, value: Any, low: int, high: int, unit: str) -> int:
    """Fail unless ``value`` is a whole number of ``unit`` from ``low`` to ``high`` (inclusive)."""
    fix = f"pass a whole number of {unit} from {low} to {high}"
    require_number(construct, prop, value, fix, integer=True)
    if not low <= value <= high:
        raise fail(construct, prop, value, f"is outside {low}..{high} {unit}", fix)
    return value


def require_instance_type(construct: str, prop: str, value: Any, example: str) -> str:
    """Fail unless ``value`` is an ``ml.<family>.<size>`` instance type (``ml.m5.large``, ``ml.p4de.24xlarge``,
    ``ml.trn1n.32xlarge``; families may hold a ``-``, as ``ml.p6-b200.48xlarge``); tokens pass."""
    from secure_sagemaker.instance_storage import INSTANCE_TYPE

    fix = f"pass an ml.* instance type such as {example!r}"
    require_type(construct, prop, value, str, fix)
    if not is_token(value) and not INSTANCE_TYPE.fullmatch(value):
        raise fail(construct, prop, value, "is not an ml.* instance type", fix)
    return value


def s3_key_prefix(
    construct: str,
    prop: str,
    value: Any,
    example: str,
    *,
    max_uri_length: int | None = None,
    uri: str = "S3 URI",
    literal: bool = False,
    shown: Any = None,
) -> str:
    """``value`` as an S3 key prefix without leading or trailing '/'; tokens pass unless ``literal``.

    Refused: anything but a string, an empty prefix, a leading or doubled '/', an ``s3://`` URI
    and IAM wildcards ('*', '?': the prefix ends up in policies, where they would match other keys).
    With ``max_uri_length``, the prefix must also leave room for an ``s3://`` URI of at most that
    many characters (``uri`` names that URI in the message). Messages show ``shown`` when given
    (``S3Prefix(bucket, 'x/')``), else ``value``.
    """
    fix = f"pass a key prefix such as '{example}'"
    require_type(construct, prop, value, str, fix)
    if is_token(value):
        if literal:
            raise fail(
                construct,
                prop,
                value if shown is None else shown,
                "is not a literal string",
                "pass a literal key prefix so that it can be checked",
            )
        return value
    if not value.strip("/") or value.startswith("/") or "//" in value or "://" in value or "*" in value or "?" in value:
        raise fail(construct, prop, value if shown is None else shown, "is not an S3 key prefix", fix)
    value = value.strip("/")
    # s3:// + at most 63 characters of bucket name + / + prefix
    if max_uri_length is not None and len(value) > max_uri_length - len("s3://") - 63 - 1:
        raise fail(
            construct,
            prop,
            value if shown is None else shown,
            f"makes the {uri} longer than {max_uri_length} characters",
            "shorten the prefix",
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


def flatten_resolved(value: Any) -> str:
    """A resolved CloudFormation value as one string, each intrinsic as a marked JSON placeholder.

    Two values built from the same tokens (``repository.repository_uri`` and
    ``repository.repository_uri_for_tag("v1")``) flatten to strings where one is a prefix of the
    other, which is how images and model data are matched against what the caller named.
    """
    return flatten(value, TOKENS)


def rendered_string(scope: Construct, value: str) -> str:
    """``value`` resolved in the stack of ``scope`` and flattened (see :func:`flatten_resolved`)."""
    return flatten_resolved(cdk.Stack.of(scope).resolve(value))
