"""The baseline's settings, read from `cdk.json` context (or `cdk synth -c key=value`).

Every key is prefixed ``secure-sagemaker:``. Values given on the command line arrive as strings,
so numbers are parsed here, with errors that name the context key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Node

from secure_sagemaker._validation import PropError

PREFIX = "secure-sagemaker:"


@dataclass(frozen=True)
class BaselineConfig:
    """What `app.py` needs to build the baseline stack.

    Each field documents its context key and default.
    """

    #: ``stackName``: the CloudFormation stack name. Default ``SecureSageMakerBaseline``.
    stack_name: str = "SecureSageMakerBaseline"
    #: ``keyAliasPrefix``: KMS aliases are ``alias/<prefix>/<purpose>``. Default ``secure-sagemaker``.
    key_alias_prefix: str = "secure-sagemaker"
    #: ``keyRotationDays``: rotation period of every key, 90..2560. Default 365.
    key_rotation_days: int = 365
    #: ``vpcCidr``: the private VPC's CIDR block. Default ``10.40.0.0/16``.
    vpc_cidr: str = "10.40.0.0/16"
    #: ``maxAzs``: availability zones for the isolated subnets, at least 2. Default 2.
    max_azs: int = 2
    #: ``logRetentionDays``: retention of every log group the baseline creates. Default 365.
    log_retention_days: int = 365
    #: ``s3PrefixListId``: the region's S3 managed prefix list (``pl-...``), which lets SageMaker
    #: workloads reach S3 through the gateway endpoint. Default unset (no S3 egress rule).
    s3_prefix_list_id: str | None = None

    @classmethod
    def from_context(cls, node: Node) -> "BaselineConfig":
        """Read every field from ``node``'s context, keeping the default where a key is absent."""
        values: dict[str, Any] = {}
        for name, field_def in cls.__dataclass_fields__.items():
            key = PREFIX + _camel(name)
            raw = node.try_get_context(key)
            if raw is None:
                continue
            values[name] = _coerce(key, raw, field_def.default)
        return cls(**values)


# CloudWatch Logs accepts only these retentions; jsii enum values are member names, not days.
_RETENTION_DAYS = dict(
    zip(
        (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653),
        (
            "ONE_DAY", "THREE_DAYS", "FIVE_DAYS", "ONE_WEEK", "TWO_WEEKS", "ONE_MONTH", "TWO_MONTHS",
            "THREE_MONTHS", "FOUR_MONTHS", "FIVE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "THIRTEEN_MONTHS",
            "EIGHTEEN_MONTHS", "TWO_YEARS", "THREE_YEARS", "FIVE_YEARS", "SIX_YEARS", "SEVEN_YEARS",
            "EIGHT_YEARS", "NINE_YEARS", "TEN_YEARS",
        ),
    )
)


def log_retention(days: int) -> logs.RetentionDays:
    """The retention member for ``days``, or an error that lists what CloudWatch Logs accepts."""
    if days not in _RETENTION_DAYS:
        raise PropError(
            f"context {PREFIX}logRetentionDays={days!r} is not a retention CloudWatch Logs accepts. "
            f"Fix: use one of {sorted(_RETENTION_DAYS)}."
        )
    return logs.RetentionDays[_RETENTION_DAYS[days]]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _coerce(key: str, raw: Any, default: Any) -> Any:
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(raw, bool):
            raise PropError(f"context {key}={raw!r} is not a whole number. Fix: set {key} to a number such as {default}.")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise PropError(
                f"context {key}={raw!r} is not a whole number. Fix: set {key} to a number such as {default}."
            ) from None
    if not isinstance(raw, str) or not raw.strip():
        raise PropError(f"context {key}={raw!r} is not a non-empty string. Fix: set {key} to a string or remove it.")
    return raw.strip()
