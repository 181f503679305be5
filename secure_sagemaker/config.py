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

    #: ``stackName``: the workload stack's CloudFormation name. Default ``SecureSageMakerBaseline``.
    stack_name: str = "SecureSageMakerBaseline"
    #: ``accountBaseline``: `app.py` also deploys the account baseline stack (what AWS allows once
    #: per account and Region) and makes the workload depend on it. Set false where the
    #: organization rolls the account baseline out with StackSets. Default true.
    account_baseline: bool = True
    #: ``accountStackName``: the account baseline stack's CloudFormation name. Default
    #: ``SecureSageMakerAccountBaseline``.
    account_stack_name: str = "SecureSageMakerAccountBaseline"
    #: ``keyAliasPrefix``: KMS aliases are ``alias/<prefix>/<purpose>``. Default unset: the stack
    #: name, so two copies of a stack in one account never share an alias.
    key_alias_prefix: str | None = None
    #: ``keyRotationDays``: rotation period of every key, 90..2560. Default 365.
    key_rotation_days: int = 365
    #: ``vpcCidr``: the private VPC's CIDR block. Default ``10.40.0.0/16``.
    vpc_cidr: str = "10.40.0.0/16"
    #: ``maxAzs``: availability zones for the isolated subnets, 2..6. Default 2.
    max_azs: int = 2
    #: ``logRetentionDays``: retention of every log group the baseline creates. Default 365.
    log_retention_days: int = 365
    #: ``s3PrefixListId``: the region's S3 managed prefix list (``pl-...``), which lets SageMaker
    #: workloads reach S3 through the gateway endpoint. Default unset: looked up at deploy time.
    s3_prefix_list_id: str | None = None
    #: ``alertEmail``: an address subscribed to the alert topic. Default unset (no subscription).
    alert_email: str | None = None
    #: ``organizationRunsCloudTrail``: the organization's trail already records this account, so no
    #: trail, trail bucket or trail alarms are created here. Default false.
    organization_runs_cloud_trail: bool = False
    #: ``organizationRunsGuardDuty``: a GuardDuty detector already exists in this region (GuardDuty
    #: allows one), so only the alerts on its findings are wired. Default false.
    organization_runs_guard_duty: bool = False
    #: ``organizationRunsConfigRules``: the organization deploys Config rules (conformance packs),
    #: so none are created here. Default false.
    organization_runs_config_rules: bool = False
    #: ``createConfigRecorder``: create the AWS Config recorder and delivery channel (AWS allows one
    #: recorder per account and Region). Default unset: created unless
    #: ``organizationRunsConfigRules`` is true; set false where a recorder already exists.
    create_config_recorder: bool | None = None
    #: ``createApiGatewayCloudWatchRole``: set the account's API Gateway CloudWatch Logs role
    #: (one per account and Region), which the inference API's access logging needs. Default true;
    #: set false where the account already has one.
    create_api_gateway_cloud_watch_role: bool = True
    #: ``studio``: create the VpcOnly Studio domain and one user profile. Default true.
    studio: bool = True
    #: ``userProfileName``: name of the Studio user profile. Default ``data-scientist``.
    user_profile_name: str = "data-scientist"
    #: ``notebook``: create a hardened notebook instance. Default true.
    notebook: bool = True
    #: ``demoEndpoint``: create the demo model, its endpoint and the inference API. Off by default:
    #: the model's image and archive must exist before the endpoint can be created, so this is the
    #: second step after pushing them (see the README). Default false.
    demo_endpoint: bool = False
    #: ``modelImageTag``: tag of the demo model's image in the baseline's ECR repository (tags are
    #: immutable). Default ``v1``.
    model_image_tag: str = "v1"
    #: ``modelDataKey``: key of the demo model archive under ``models/`` in the models bucket.
    #: Default ``demo/model.tar.gz``.
    model_data_key: str = "demo/model.tar.gz"
    #: ``dataCaptureSamplingPercentage``: share of demo endpoint requests captured, 0..100.
    #: Default 100.
    data_capture_sampling_percentage: int = 100

    @property
    def records_configuration(self) -> bool:
        """Whether the account baseline creates the Config recorder (see ``createConfigRecorder``)."""
        if self.create_config_recorder is None:
            return not self.organization_runs_config_rules
        return self.create_config_recorder

    @classmethod
    def from_context(cls, node: Node) -> "BaselineConfig":
        """Read every field from ``node``'s context, keeping the default where a key is absent."""
        values: dict[str, Any] = {}
        for name, field_def in cls.__dataclass_fields__.items():
            key = context_key(name)
            raw = node.try_get_context(key)
            if raw is None:
                continue
            values[name] = _coerce(key, raw, str(field_def.type), field_def.default)
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
        strict=True,
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


def context_key(field_name: str) -> str:
    """The context key of a :class:`BaselineConfig` field (``max_azs`` -> ``secure-sagemaker:maxAzs``)."""
    head, *rest = field_name.split("_")
    return PREFIX + head + "".join(part[:1].upper() + part[1:] for part in rest)


def _coerce(key: str, raw: Any, kind: str, default: Any) -> Any:
    """``raw`` as the field's type: JSON gives bools and numbers, `cdk synth -c` gives strings."""
    kind = kind.removesuffix(" | None")
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise PropError(f"context {key}={raw!r} is not true or false. Fix: set {key} to true or false.")
    if kind == "int":
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
