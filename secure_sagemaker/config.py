"""The baseline's settings, read from `cdk.json` context (or `cdk synth -c key=value`).

Every key is prefixed ``secure-sagemaker:``. Values given on the command line arrive as strings,
so numbers are parsed here, with errors that name the context key and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
