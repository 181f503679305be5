"""Service limits the inference edge is validated against, and the checks that use them.

Pure Python (no construct is created here), so every limit has a fast test. Sources:

- API Gateway REST API quotas: the request payload is at most 10 MB, a hard quota that cannot be
  raised (taken here as 10 MiB, 10,485,760 bytes).
- AWS WAF ``RateBasedStatement.Limit``: 10 to 2,000,000,000 requests per evaluation window (the
  minimum was lowered from 100 to 10 in 2024); ``EvaluationWindowSec``: 60, 120, 300 or 600.
- AWS WAF body inspection for API Gateway: the first 16 KB by default, raised per web ACL with
  ``AssociationConfig`` to 32, 48 or at most 64 KB (extra charge above 16 KB). A
  ``SizeConstraintStatement`` on the body sees only that many bytes, so it can enforce a body
  limit exactly only up to 64 KB; larger limits are enforced on the ``Content-Length`` header
  (see :func:`content_length_above`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Sequence

import aws_cdk as cdk

from secure_sagemaker._validation import fail, is_token, require_number, require_type

#: API Gateway's hard limit on a REST API request payload (10 MB), in bytes.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: Body inspection limits AWS WAF offers for API Gateway, in bytes, with their setting names.
BODY_INSPECTION_LIMITS: tuple[tuple[int, str], ...] = (
    (16 * 1024, "KB_16"),
    (32 * 1024, "KB_32"),
    (48 * 1024, "KB_48"),
    (64 * 1024, "KB_64"),
)
#: The largest body AWS WAF can measure on an API Gateway stage.
MAX_INSPECTED_BODY_BYTES = BODY_INSPECTION_LIMITS[-1][0]
#: What AWS WAF accepts as the limit of a rate-based rule.
MIN_WAF_RATE_LIMIT, MAX_WAF_RATE_LIMIT = 10, 2_000_000_000
#: What AWS WAF accepts as the evaluation window of a rate-based rule, in seconds.
WAF_RATE_WINDOWS = (60, 120, 300, 600)
#: AWS WAF regex pattern strings are at most 512 characters.
MAX_WAF_REGEX_LENGTH = 512

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_VPCE_ID = re.compile(r"^vpce-[0-9a-f]{8,17}$")
_SCOPE = re.compile(r"^\S{1,256}$")


def inspection_limit(max_body_bytes: int) -> tuple[int, str]:
    """The smallest WAF body inspection limit (bytes, setting) that covers ``max_body_bytes``.

    Above :data:`MAX_INSPECTED_BODY_BYTES` it is the largest one (64 KB): WAF then inspects the
    first 64 KB and the limit itself is enforced on ``Content-Length``.
    """
    for size, setting in BODY_INSPECTION_LIMITS:
        if max_body_bytes <= size:
            return size, setting
    return BODY_INSPECTION_LIMITS[-1]


def content_length_above(limit: int) -> str:
    """A regex matching exactly the decimal integers greater than ``limit`` (leading zeros allowed).

    For example ``content_length_above(65536)`` matches ``"65537"`` and ``"100000"`` but not
    ``"65536"`` or ``"9999"``. One alternative for longer numbers, then one per digit of
    ``limit`` that is not 9: the same prefix, a larger digit, any digits after it.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"content_length_above: limit={limit!r} is not a non-negative integer")
    digits = str(limit)
    width = len(digits)
    alternatives = [f"[1-9][0-9]{{{width},}}"]
    for i, digit in enumerate(digits):
        if digit == "9":
            continue
        larger = int(digit) + 1
        rest = width - i - 1
        alternatives.append(
            digits[:i] + (str(larger) if larger == 9 else f"[{larger}-9]") + (f"[0-9]{{{rest}}}" if rest else "")
        )
    return "^0*(" + "|".join(alternatives) + ")$"


def validate_max_body_bytes(me: str, value: Any) -> None:
    """Fail unless ``value`` is a whole number of bytes from 1 to :data:`MAX_PAYLOAD_BYTES`."""
    fix = f"pass a whole number of bytes from 1 to {MAX_PAYLOAD_BYTES} (API Gateway's 10 MB limit)"
    require_number(me, "max_body_bytes", value, fix, integer=True)
    if value < 1:
        raise fail(me, "max_body_bytes", value, "is below 1 byte, so every request would be refused", fix)
    if value > MAX_PAYLOAD_BYTES:
        raise fail(
            me,
            "max_body_bytes",
            value,
            f"is above {MAX_PAYLOAD_BYTES} bytes (10 MB), the hard payload limit of API Gateway REST APIs, "
            "which cannot be raised",
            fix,
        )


def validate_waf_rate(me: str, limit: Any, window: Any) -> None:
    """Fail unless ``limit`` and ``window`` are a rate-based rule AWS WAF accepts."""
    fix = f"pass a whole number of requests from {MIN_WAF_RATE_LIMIT} to {MAX_WAF_RATE_LIMIT:,}"
    require_number(me, "waf_rate_limit", limit, fix, integer=True)
    if not MIN_WAF_RATE_LIMIT <= limit <= MAX_WAF_RATE_LIMIT:
        raise fail(
            me,
            "waf_rate_limit",
            limit,
            f"is outside {MIN_WAF_RATE_LIMIT}..{MAX_WAF_RATE_LIMIT:,}, the limits AWS WAF accepts for a "
            f"rate-based rule",
            fix,
        )
    windows = ", ".join(f"Duration.seconds({w})" for w in WAF_RATE_WINDOWS)
    require_type(me, "waf_rate_window", window, cdk.Duration, f"pass one of {windows}")
    seconds = window.to_seconds(integral=False)
    if seconds not in WAF_RATE_WINDOWS:
        raise fail(
            me,
            "waf_rate_window",
            window.to_human_string(),
            f"is not an evaluation window AWS WAF accepts ({', '.join(map(str, WAF_RATE_WINDOWS))} seconds)",
            f"pass one of {windows}",
        )


def validate_throttling(me: str, rate: Any, burst: Any) -> None:
    """Fail unless the stage throttle has a rate above 0 and a burst of at least the rate."""
    require_number(me, "throttling_rate_limit", rate, "pass requests per second above 0, such as 50")
    if not rate > 0:
        raise fail(
            me,
            "throttling_rate_limit",
            rate,
            "is not above 0, so every request would be throttled",
            "pass requests per second above 0, such as 50",
        )
    require_number(
        me, "throttling_burst_limit", burst, "pass a whole number of requests, at least the rate", integer=True
    )
    if burst < rate:
        raise fail(
            me,
            "throttling_burst_limit",
            burst,
            f"is below throttling_rate_limit={rate!r}: the token bucket could never hold one second of "
            "the steady rate, so API Gateway would throttle below the rate you set",
            f"pass throttling_burst_limit >= {rate!r} (or lower throttling_rate_limit)",
        )


def validate_positive_int(me: str, prop: str, value: Any, what: str) -> None:
    """Fail unless ``value`` is a whole number of at least 1."""
    require_number(me, prop, value, f"pass a whole number of {what}, at least 1", integer=True)
    if value < 1:
        raise fail(me, prop, value, "is below 1", f"pass a whole number of {what}, at least 1")


def validate_positive_duration(me: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` is a Duration above 0."""
    require_type(me, prop, value, cdk.Duration, "pass cdk.Duration.millis(n) with n > 0")
    if value.to_milliseconds(integral=False) <= 0:
        raise fail(me, prop, value.to_human_string(), "is not positive", "pass cdk.Duration.millis(n) with n > 0")


def validate_stage_name(me: str, value: Any) -> None:
    """Fail unless ``value`` is a valid API Gateway stage name."""
    fix = "use 1-128 letters, digits, '-' and '_', such as 'prod'"
    require_type(me, "stage_name", value, str, fix)
    if not _STAGE_NAME.match(value):
        raise fail(me, "stage_name", value, "is not a valid API Gateway stage name", fix)


def validate_domain_name(me: str, value: Any) -> None:
    """Fail unless ``value`` is a DNS name (tokens are not checked)."""
    fix = "pass a lowercase DNS name such as 'inference.example.com'"
    require_type(me, "domain_name", value, str, fix)
    if not is_token(value) and not _DOMAIN.match(value):
        raise fail(me, "domain_name", value, "is not a DNS name", fix)


def validate_vpc_endpoint_id(me: str, value: str) -> None:
    """Fail unless ``value`` is a ``vpce-`` id (tokens are not checked)."""
    if not is_token(value) and not _VPCE_ID.match(value):
        raise fail(
            me,
            "vpc_endpoint",
            value,
            "is not a VPC endpoint id",
            "pass the id of an execute-api interface endpoint ('vpce-0123456789abcdef0') or the endpoint itself",
        )


def ip_networks(me: str, prop: str, value: Any) -> tuple[list[str], list[str]]:
    """The IPv4 and IPv6 CIDRs of a non-empty allow list, normalized; bad entries are PropErrors."""
    fix = "pass a non-empty list of CIDR ranges such as ['203.0.113.0/24', '2001:db8::/32'], or None for no allow list"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise fail(me, prop, value, "is not a list of CIDR ranges", fix)
    if not value:
        raise fail(me, prop, value, "is empty, so the web ACL would block every request", fix)
    v4: list[str] = []
    v6: list[str] = []
    for item in value:
        require_type(me, prop, item, str, fix)
        try:
            network = ipaddress.ip_network(item, strict=True)
        except ValueError as err:
            raise fail(
                me,
                prop,
                item,
                f"is not a CIDR range ({err})",
                "write the network address with its prefix length, e.g. '203.0.113.0/24'",
            ) from None
        if network.prefixlen == 0:
            raise fail(me, prop, item, "allows every address, which is no allow list (AWS WAF also rejects /0)", fix)
        target = v4 if network.version == 4 else v6
        if str(network) in target:
            raise fail(me, prop, item, "is listed twice", "list each range once")
        target.append(str(network))
    return v4, v6


def country_codes(me: str, value: Any) -> list[str]:
    """The codes of a non-empty list of ISO 3166-1 alpha-2 countries; bad entries are PropErrors."""
    fix = "pass a non-empty list of ISO 3166-1 alpha-2 codes such as ['DE', 'FR'], or None for no geo match"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise fail(me, "allowed_countries", value, "is not a list of country codes", fix)
    if not value:
        raise fail(me, "allowed_countries", value, "is empty, so the web ACL would block every request", fix)
    codes: list[str] = []
    for code in value:
        if not isinstance(code, str) or not _COUNTRY.match(code):
            raise fail(me, "allowed_countries", code, "is not an uppercase ISO 3166-1 alpha-2 code", fix)
        if code in codes:
            raise fail(me, "allowed_countries", code, "is listed twice", "list each country once")
        codes.append(code)
    return codes


def validate_scopes(me: str, value: Any) -> list[str]:
    """The OAuth scopes of a non-empty list; bad entries are PropErrors."""
    fix = "pass OAuth scopes such as ['inference/invoke'], or None"
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise fail(me, "authorization_scopes", value, "is not a non-empty list of scopes", fix)
    for scope in value:
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise fail(me, "authorization_scopes", scope, "is not an OAuth scope", fix)
    return list(value)
