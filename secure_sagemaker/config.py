"""The baseline's settings, read from `cdk.json` context (or `cdk synth -c key=value`).

Every key is prefixed ``secure-sagemaker:`` and is checked under its own name at synth, before any
construct is built: an unknown key names the closest known one, a value of the wrong type or out
of range names the key and what it accepts, and switches that contradict each other name both.
Values given on the command line arrive as strings, so numbers and switches are parsed here;
values from `cdk.json` arrive as JSON types, and a JSON boolean is never a number.

Each field carries how it is read and checked (a :class:`Setting` in its ``metadata``), so a
field's range sits next to it; the same checks run on a :class:`BaselineConfig` built in Python,
where messages name the field instead of the context key.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import Field, dataclass, field, fields
from typing import Any, Callable, Mapping

from aws_cdk import Duration
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Node

from secure_sagemaker._validation import PropError, fail, require_number, s3_key_prefix
from secure_sagemaker.encryption import MAX_ROTATION_DAYS, MIN_ROTATION_DAYS
from secure_sagemaker.storage import MAX_OBJECT_LOCK_DAYS

PREFIX = "secure-sagemaker:"
#: How messages name values that come from context (`cdk.json` or ``-c``).
CONTEXT = "context"
#: The metadata key of a field's :class:`Setting`.
SETTING = "secure-sagemaker:setting"
#: Availability zones the baseline spreads its subnets over: two for resilience; no Region has
#: more than six.
MIN_AZS, MAX_AZS = 2, 6
#: SageMaker's limit on ``ModelDataUrl``; the demo model's key sits under ``models/`` (see
#: ``baseline.MODELS_PREFIX``).
MAX_MODEL_DATA_URL_LENGTH = 1024
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_STACK_NAME_RULE = "a CloudFormation stack name: up to 128 letters, digits and hyphens, starting with a letter"
# Docker's tag grammar, which ECR follows.
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_TAG_RULE = "an image tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"

# CloudWatch Logs accepts only these retentions; jsii enum values are member names, not days.
_RETENTION_DAYS = dict(
    zip(
        (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653),
        (
            "ONE_DAY",
            "THREE_DAYS",
            "FIVE_DAYS",
            "ONE_WEEK",
            "TWO_WEEKS",
            "ONE_MONTH",
            "TWO_MONTHS",
            "THREE_MONTHS",
            "FOUR_MONTHS",
            "FIVE_MONTHS",
            "SIX_MONTHS",
            "ONE_YEAR",
            "THIRTEEN_MONTHS",
            "EIGHTEEN_MONTHS",
            "TWO_YEARS",
            "THREE_YEARS",
            "FIVE_YEARS",
            "SIX_YEARS",
            "SEVEN_YEARS",
            "EIGHT_YEARS",
            "NINE_YEARS",
            "TEN_YEARS",
        ),
        strict=True,
    )
)


Check = Callable[[str, str, Any], None]


@dataclass(frozen=True)
class Setting:
    """How one setting is read from context and checked.

    :param kind: ``bool``, ``int`` or ``str``: what a context value is parsed into.
    :param allowed: what the setting accepts, in words, for messages ("a whole number of days
        from 90 to 2560").
    :param check: ``check(owner, name, value)`` raises a :class:`PropError` naming ``name`` when
        a value of the right kind is out of range. Default: none.
    """

    kind: type
    allowed: str
    check: Check | None = None

    def parse(self, key: str, raw: Any) -> Any:
        """``raw`` (a JSON value from `cdk.json`, or a string from ``-c``) as this setting's kind."""
        if self.kind is bool:
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
                return raw.strip().lower() == "true"
            raise self._wrong_kind(CONTEXT, key, raw, "true or false")
        if self.kind is int:
            number = raw
            if isinstance(raw, str):
                try:
                    number = float(raw.strip()) if raw.strip() else raw
                except ValueError:
                    pass
            if isinstance(number, int) and not isinstance(number, bool):
                return number
            if isinstance(number, float) and math.isfinite(number) and number.is_integer():
                return int(number)
            raise self._wrong_kind(CONTEXT, key, raw, "a whole number")
        if isinstance(raw, str) and raw.strip():
            return raw.strip()
        raise self._wrong_kind(CONTEXT, key, raw, "a non-empty string")

    def validate(self, owner: str, name: str, value: Any) -> None:
        """Fail unless ``value`` (already of this setting's kind, for a Python caller) is allowed."""
        if self.kind is int:
            require_number(owner, name, value, f"set {name} to {self.allowed}", integer=True)
        elif not isinstance(value, self.kind) or (isinstance(value, str) and not value.strip()):
            raise self._wrong_kind(owner, name, value, "true or false" if self.kind is bool else "a non-empty string")
        if self.check is not None:
            self.check(owner, name, value)

    def _wrong_kind(self, owner: str, name: str, value: Any, kind: str) -> PropError:
        return fail(owner, name, value, f"is not {kind}", f"set {name} to {self.allowed}")


def setting_of(f: Field[Any]) -> Setting:
    """The :class:`Setting` of a :class:`BaselineConfig` field. A field declared without one (a plain
    default) is read by its annotation and checked for its kind only; tests/test_config.py asks
    every field for a Setting of its own."""
    if SETTING in f.metadata:
        return f.metadata[SETTING]
    annotation = f.type.__name__ if isinstance(f.type, type) else str(f.type).removesuffix(" | None")
    kind = {"bool": bool, "int": int}.get(annotation, str)
    return Setting(kind, {bool: "true or false", int: "a whole number"}.get(kind, "a non-empty string"))


def _switch(default: bool | None) -> Any:
    return field(default=default, metadata={SETTING: Setting(bool, "true or false")})


def _whole(default: int, low: int, high: int, unit: str) -> Any:
    allowed = f"a whole number of {unit} from {low} to {high}"

    def check(owner: str, name: str, value: Any) -> None:
        require_number(owner, name, value, f"set {name} to {allowed}", minimum=low, maximum=high, integer=True)

    return field(default=default, metadata={SETTING: Setting(int, allowed, check)})


def _one_of(default: int, values: tuple[int, ...], unit: str) -> Any:
    allowed = f"one of {', '.join(map(str, values))} ({unit})"

    def check(owner: str, name: str, value: Any) -> None:
        if value not in values:
            raise fail(owner, name, value, f"is not one of {len(values)} values it accepts", f"set {name} to {allowed}")

    return field(default=default, metadata={SETTING: Setting(int, allowed, check)})


def _text(default: str | None, check: Check, allowed: str) -> Any:
    return field(default=default, metadata={SETTING: Setting(str, allowed, check)})


def _stack_name(owner: str, name: str, value: str) -> None:
    if not _STACK_NAME.match(value):
        raise fail(owner, name, value, "is not a CloudFormation stack name", f"set {name} to {_STACK_NAME_RULE}")


def _image_tag(owner: str, name: str, value: str) -> None:
    if not _IMAGE_TAG.match(value):
        raise fail(owner, name, value, "is not an image tag ECR accepts", f"set {name} to {_IMAGE_TAG_RULE}")


def _alias_prefix(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.encryption import validate_alias_prefix

    validate_alias_prefix(owner, name, value)


def _vpc_cidr(owner: str, name: str, value: str) -> None:
    """Nothing alone: the block must have room for ``maxAzs`` subnets, so :func:`_check_together`
    runs PrivateNetwork's own check on the two."""


def _prefix_list_id(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.network import PREFIX_LIST_ID

    if not PREFIX_LIST_ID.match(value):
        raise fail(
            owner,
            name,
            value,
            "is not a prefix list id (pl- and lowercase hex digits)",
            f"set {name} to the id `aws ec2 describe-managed-prefix-lists` gives for "
            "com.amazonaws.<region>.s3, or remove it",
        )


def _domains(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.dns import checked_domains

    checked_domains(owner, name, split_domains(value))


def split_domains(value: str) -> list[str]:
    """The names of a comma-separated ``dnsAllowedDomains`` value."""
    return [name.strip() for name in value.split(",")]


def _email(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.audit.alerts import validate_email

    validate_email(owner, name, value)


def _profile_name(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.studio import validate_sagemaker_name

    validate_sagemaker_name(owner, name, value)


def _people(owner: str, name: str, value: str) -> None:
    from secure_sagemaker.people import names_of_people

    names_of_people(owner, name, value)


def _model_data_key(owner: str, name: str, value: str) -> None:
    s3_key_prefix(
        owner, name, value, "demo/model.tar.gz", max_uri_length=MAX_MODEL_DATA_URL_LENGTH, uri="model data URL"
    )
    # s3:// + at most 63 characters of bucket name + /models/ + the key
    if len(value) > MAX_MODEL_DATA_URL_LENGTH - len("s3://") - 63 - len("/models/"):
        raise fail(
            owner,
            name,
            value,
            f"makes the model data URL s3://<bucket>/models/<key> longer than the "
            f"{MAX_MODEL_DATA_URL_LENGTH} characters SageMaker accepts",
            "shorten the key",
        )


_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|\*):role/[\w+=,.@/*-]{1,512}$")
_ROLE_ARNS_RULE = "comma-separated IAM role ARNs such as 'arn:aws:iam::111122223333:role/DataScientist'"


def role_arn_list(value: str | None) -> list[str]:
    """The ARNs of a comma-separated ``guardrail*RoleArns`` setting (empty when unset)."""
    return [arn.strip() for arn in (value or "").split(",") if arn.strip()]


def _role_arns(owner: str, name: str, value: str) -> None:
    arns = role_arn_list(value)
    if not arns:
        raise fail(owner, name, value, "names no role", f"set {name} to {_ROLE_ARNS_RULE}, or remove it")
    for arn in arns:
        if not _ROLE_ARN.match(arn):
            raise fail(owner, name, arn, "is not an IAM role ARN", f"set {name} to {_ROLE_ARNS_RULE}")


_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def _lock_mode(owner: str, name: str, value: str) -> None:
    if value not in _LOCK_MODES:
        raise fail(owner, name, value, "is not an S3 Object Lock mode", f"set {name} to GOVERNANCE or COMPLIANCE")


def _lock_days(owner: str, name: str, value: Any) -> None:
    allowed = f"a whole number of days from 1 to {MAX_OBJECT_LOCK_DAYS}"
    require_number(
        owner, name, value, f"set {name} to {allowed}", minimum=1, maximum=MAX_OBJECT_LOCK_DAYS, integer=True
    )


@dataclass(frozen=True)
class BaselineConfig:
    """What `app.py` needs to build the baseline stack.

    Each field documents its context key and default.
    """

    #: ``stackName``: the workload stack's CloudFormation name. Default ``SecureSageMakerBaseline``.
    stack_name: str = _text("SecureSageMakerBaseline", _stack_name, _STACK_NAME_RULE)
    #: ``accountBaseline``: `app.py` also deploys the account baseline stack (what AWS allows once
    #: per account and Region) and makes the workload depend on it. Set false where the
    #: organization rolls the account baseline out with StackSets. Default true.
    account_baseline: bool = _switch(True)
    #: ``accountStackName``: the account baseline stack's CloudFormation name. Default
    #: ``SecureSageMakerAccountBaseline``.
    account_stack_name: str = _text("SecureSageMakerAccountBaseline", _stack_name, _STACK_NAME_RULE)
    #: ``keyAliasPrefix``: KMS aliases are ``alias/<prefix>/<purpose>``. Default unset: the stack
    #: name, so two copies of a stack in one account never share an alias.
    key_alias_prefix: str | None = _text(
        None, _alias_prefix, "a KMS alias prefix: letters, digits, '_', '-' and single '/', not starting with 'aws'"
    )
    #: ``keyRotationDays``: rotation period of every key, 90..2560. Default 365.
    key_rotation_days: int = _whole(365, MIN_ROTATION_DAYS, MAX_ROTATION_DAYS, "days")
    #: ``vpcCidr``: the private VPC's CIDR block. Default ``10.40.0.0/16``.
    vpc_cidr: str = _text("10.40.0.0/16", _vpc_cidr, "a private IPv4 block such as '10.40.0.0/16'")
    #: ``maxAzs``: availability zones for the isolated subnets, 2..6. Default 2.
    max_azs: int = _whole(2, MIN_AZS, MAX_AZS, "availability zones")
    #: ``logRetentionDays``: retention of every log group the baseline creates. Default 365.
    log_retention_days: int = _one_of(365, tuple(_RETENTION_DAYS), "days, a retention CloudWatch Logs accepts")
    #: ``s3PrefixListId``: the region's S3 managed prefix list (``pl-...``), which lets SageMaker
    #: workloads reach S3 through the gateway endpoint. Default unset: looked up at deploy time.
    s3_prefix_list_id: str | None = _text(
        None, _prefix_list_id, "the id of the region's S3 prefix list, 'pl-' and hex digits"
    )
    #: ``dnsAllowedDomains``: names the VPC's DNS firewall resolves besides AWS's, comma-separated,
    #: such as ``pypi.org,files.pythonhosted.org`` for a package mirror. Default unset.
    dns_allowed_domains: str | None = _text(
        None, _domains, "comma-separated domain names such as 'pypi.org,*.example.com'"
    )
    #: ``allowUnfilteredDns``: create no DNS firewall and no query logging on the VPC, so workloads
    #: resolve any name (for a VPC whose DNS is filtered and logged elsewhere). Default false.
    allow_unfiltered_dns: bool = _switch(False)
    #: ``packageMirror``: a CodeArtifact mirror of PyPI (:class:`~secure_sagemaker.packages.PackageMirror`)
    #: with interface endpoints in the VPC, which the Studio role may read, so that ``pip install``
    #: works behind the DNS firewall. Default false.
    package_mirror: bool = _switch(False)
    #: ``rawDataReadEvents``: the workload's data-events trail also records reads of ``raw/`` in the
    #: data bucket (who read which raw object). Costs one CloudTrail data event per object read
    #: ($0.10 per 100,000) plus its CloudWatch Logs ingestion. Default false (writes only).
    raw_data_read_events: bool = _switch(False)
    #: ``alertEmail``: an address subscribed to the alert topic. Default unset (no subscription).
    alert_email: str | None = _text(None, _email, "one address such as 'security-team@example.com'")
    #: ``organizationRunsCloudTrail``: the organization's trail already records this account, so no
    #: trail, trail bucket or trail alarms are created here. Default false.
    organization_runs_cloud_trail: bool = _switch(False)
    #: ``organizationRunsGuardDuty``: a GuardDuty detector already exists in this region (GuardDuty
    #: allows one), so only the alerts on its findings are wired. Default false.
    organization_runs_guard_duty: bool = _switch(False)
    #: ``organizationRunsConfigRules``: the organization deploys Config rules (conformance packs),
    #: so none are created here. Default false.
    organization_runs_config_rules: bool = _switch(False)
    #: ``createConfigRecorder``: create the AWS Config recorder and delivery channel (AWS allows one
    #: recorder per account and Region). Default unset: created unless
    #: ``organizationRunsConfigRules`` is true; set false where a recorder already exists.
    create_config_recorder: bool | None = _switch(None)
    #: ``createApiGatewayCloudWatchRole``: set the account's API Gateway CloudWatch Logs role
    #: (one per account and Region), which the inference API's access logging needs. Default true;
    #: set false where the account already has one.
    create_api_gateway_cloud_watch_role: bool = _switch(True)
    #: ``studio``: create the VpcOnly Studio domain and one user profile. Default true.
    studio: bool = _switch(True)
    #: ``userProfileName``: name of the Studio user profile. Default ``data-scientist``.
    user_profile_name: str = _text("data-scientist", _profile_name, "1-63 letters, digits and single hyphens")
    #: ``dataScientists``: one Studio user profile per person instead of the one shared profile,
    #: comma-separated profile names such as ``alice,bob``. Each person gets their own execution and
    #: training roles, which write only ``work/<name>/`` and ``candidates/<name>/``
    #: (``docs/data-scientist-workflow.md``). Default unset: one profile named ``userProfileName``.
    data_scientists: str | None = _text(
        None, _people, "comma-separated Studio profile names such as 'alice,bob' (each 1-63 letters, digits, hyphens)"
    )
    #: ``allowSharedSpaces``: give up private-only Studio spaces: data scientists may create spaces
    #: every profile of the domain uses, and open apps in them. Default false: a space is its owner's only.
    allow_shared_spaces: bool = _switch(False)
    #: ``notebook``: create a hardened notebook instance. Default true.
    notebook: bool = _switch(True)
    #: ``demoEndpoint``: create the demo model, its endpoint and the inference API. Off by default:
    #: the model's image and archive must exist before the endpoint can be created, so this is the
    #: second step after pushing them (see the README). Default false.
    demo_endpoint: bool = _switch(False)
    #: ``modelImageTag``: tag of the demo model's image in the baseline's ECR repository (tags are
    #: immutable). Default ``v1``.
    model_image_tag: str = _text("v1", _image_tag, _IMAGE_TAG_RULE)
    #: ``modelDataKey``: key of the demo model archive under ``models/`` in the models bucket.
    #: Default ``demo/model.tar.gz``.
    model_data_key: str = _text("demo/model.tar.gz", _model_data_key, "an S3 key such as 'demo/model.tar.gz'")
    #: ``guardrailRoleArns``: the people's roles (data scientists) that carry the guardrails, beside
    #: the execution roles the baseline creates, comma-separated. Default unset (none).
    guardrail_role_arns: str | None = _text(None, _role_arns, _ROLE_ARNS_RULE)
    #: ``guardrailAdminRoleArns``: break-glass and deployment roles exempt from the guardrails'
    #: self-protection and escalation denies, comma-separated (``*`` allowed, e.g. for the CDK's
    #: ``cfn-exec`` role). Default unset: no role governed by the guardrails is exempt.
    guardrail_admin_role_arns: str | None = _text(None, _role_arns, _ROLE_ARNS_RULE)
    #: ``breakGlassRoleArns``: roles that may read and write the data and models buckets' objects
    #: from outside the VPC (incident response), comma-separated, patterns allowed. Default unset:
    #: none (the release role is always exempt on the models bucket, docs/data-perimeter.md).
    break_glass_role_arns: str | None = _text(None, _role_arns, _ROLE_ARNS_RULE)
    #: ``allowDataAccessOutsideVpc``: give up the data perimeter, so the data and models buckets'
    #: objects can be read and written from anywhere with valid credentials, not only through the
    #: VPC's S3 endpoint. Default false.
    allow_data_access_outside_vpc: bool = _switch(False)
    #: ``trailObjectLockMode``: S3 Object Lock mode of the trail buckets' log files, ``GOVERNANCE``
    #: or ``COMPLIANCE``. Default unset: ``GOVERNANCE``.
    trail_object_lock_mode: str | None = _text(None, _lock_mode, "GOVERNANCE or COMPLIANCE")
    #: ``trailObjectLockDays``: how long each log file is protected against overwrite and deletion,
    #: 1..36500. Default unset: 365.
    trail_object_lock_days: int | None = field(
        default=None,
        metadata={SETTING: Setting(int, f"a whole number of days from 1 to {MAX_OBJECT_LOCK_DAYS}", _lock_days)},
    )
    #: ``allowTrailLogDeletion``: give up Object Lock on the trail buckets, so log files can be
    #: deleted or overwritten by whoever may delete objects there. Default false.
    allow_trail_log_deletion: bool = _switch(False)
    #: ``dataCaptureSamplingPercentage``: share of demo endpoint requests captured, 0..100.
    #: Default 100.
    data_capture_sampling_percentage: int = _whole(100, 0, 100, "percent")

    @property
    def trail_log_lock(self) -> dict[str, Any]:
        """The Object Lock props of :class:`~secure_sagemaker.audit.AuditTrail` these settings ask for."""
        if self.allow_trail_log_deletion:
            return {"allow_log_file_deletion": True}
        return {
            "object_lock_mode": None
            if self.trail_object_lock_mode is None
            else s3.ObjectLockMode[self.trail_object_lock_mode],
            "object_lock_retention": None
            if self.trail_object_lock_days is None
            else Duration.days(self.trail_object_lock_days),
        }

    @property
    def records_configuration(self) -> bool:
        """Whether the account baseline creates the Config recorder (see ``createConfigRecorder``)."""
        if self.create_config_recorder is None:
            return not self.organization_runs_config_rules
        return self.create_config_recorder

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        _raise(_check(values, "BaselineConfig", lambda name: name))

    @classmethod
    def from_context(cls, node: Node) -> "BaselineConfig":
        """Read every field from ``node``'s context, keeping the default where a key is absent.

        Every context key with the ``secure-sagemaker:`` prefix is checked under its own name
        before anything is built; all problems are reported at once, in one :class:`PropError`.
        """
        # All of it at once (one round trip to the jsii kernel), as try_get_context would find each key.
        context = node.get_all_context()
        problems = _unknown_keys(context)
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = context_key(f.name)
            raw = context.get(key)
            if raw is None:
                values[f.name] = f.default
                continue
            try:
                values[f.name] = setting_of(f).parse(key, raw)
            except PropError as err:
                problems.append(str(err))
        problems += _check(values, CONTEXT, context_key, together=not problems)
        _raise(problems)
        return cls(**values)


def _check(values: Mapping[str, Any], owner: str, name: Callable[[str], str], *, together: bool = True) -> list[str]:
    """What is wrong with ``values`` (field name -> value; a field left out was not readable):
    each value alone, then, when all are valid and ``together``, the ones that must agree.
    ``name`` turns a field name into what messages call it (the context key, or the field)."""
    problems: list[str] = []
    for f in fields(BaselineConfig):
        value = values.get(f.name)
        if f.name not in values or (value is None and f.default is None):
            continue
        try:
            setting_of(f).validate(owner, name(f.name), value)
        except PropError as err:
            problems.append(str(err))
    if problems or not together:
        return problems
    return _check_together(values, owner, name)


def _check_together(values: Mapping[str, Any], owner: str, name: Callable[[str], str]) -> list[str]:
    """Settings that are each valid but contradict each other; the messages name both."""
    problems = []
    if values["create_config_recorder"] is True and values["organization_runs_config_rules"]:
        recorder, rules = name("create_config_recorder"), name("organization_runs_config_rules")
        problems.append(
            f"{owner}: {recorder}=true contradicts {rules}=true: where the organization runs Config "
            f"rules, it also runs the recorder they need, and AWS allows one recorder per account and "
            f"Region. Fix: remove {recorder} (or set it to false), or set {rules} to false to create "
            "both here."
        )
    if values["data_scientists"] is not None and not values["studio"]:
        people, studio = name("data_scientists"), name("studio")
        problems.append(
            f"{owner}: {people} is set while {studio}=false, but a person's profile lives in the Studio "
            f"domain. Fix: remove {people}, or set {studio} to true."
        )
    if values["allow_data_access_outside_vpc"] and values["break_glass_role_arns"] is not None:
        allow, glass = name("allow_data_access_outside_vpc"), name("break_glass_role_arns")
        problems.append(
            f"{owner}: {allow}=true contradicts {glass}: break-glass roles are exceptions to the data "
            f"perimeter, which {allow}=true gives up. Fix: remove {glass}, or set {allow} to false."
        )
    lock = [k for k in ("trail_object_lock_mode", "trail_object_lock_days") if values[k] is not None]
    if values["allow_trail_log_deletion"] and lock:
        allow, given = name("allow_trail_log_deletion"), " and ".join(name(k) for k in lock)
        problems.append(
            f"{owner}: {allow}=true contradicts {given}: the lock settings configure the Object Lock "
            f"that {allow}=true gives up. Fix: remove {given}, or set {allow} to false."
        )
    if values["account_baseline"] and values["stack_name"] == values["account_stack_name"]:
        workload, account = name("stack_name"), name("account_stack_name")
        problems.append(
            f"{owner}: {workload} and {account} are both {values['stack_name']!r}, but the account "
            f"baseline and the workload are two stacks. Fix: give {account} another name."
        )
    if values["key_alias_prefix"] is None and values["stack_name"].lower().startswith("aws"):
        stack, prefix = name("stack_name"), name("key_alias_prefix")
        problems.append(
            f"{owner}: {stack}={values['stack_name']!r} starts with 'aws', which KMS reserves, and is "
            f"the prefix of the key aliases while {prefix} is unset. Fix: set {prefix} (such as "
            f"'secure-sagemaker'), or choose a {stack} that does not start with 'aws'."
        )
    from secure_sagemaker.network import DEFAULT_SUBNET_MASK, PrivateNetwork

    try:
        PrivateNetwork.check_cidr(
            owner,
            values["vpc_cidr"],
            DEFAULT_SUBNET_MASK,
            values["max_azs"],
            prop=name("vpc_cidr"),
            mask_prop=None,
            zones_prop=name("max_azs"),
        )
    except PropError as err:
        problems.append(str(err))
    return problems


def _unknown_keys(context: Mapping[str, Any]) -> list[str]:
    """A problem for each context key meant for this library that is not one of its settings.

    Keys with the prefix are compared with the settings; keys without it are caught only when
    they are clearly meant for it: a bare setting name (``-c maxAzs=3``) or a misspelt prefix.
    """
    known = {context_key(f.name)[len(PREFIX) :]: context_key(f.name) for f in fields(BaselineConfig)}
    by_lower = {k.lower(): k for k in known}
    problems = []
    for key in sorted(context):
        head, sep, tail = key.rpartition(":")
        if key.startswith(PREFIX):
            if tail in known:
                continue
        elif not (
            (not sep and tail in known)
            or (tail in known and difflib.SequenceMatcher(None, head.lower(), PREFIX[:-1]).ratio() >= 0.8)
        ):
            continue
        close = difflib.get_close_matches(tail.lower(), list(by_lower), n=1, cutoff=0.6)
        if close:
            fix = f"did you mean {known[by_lower[close[0]]]}?"
        else:
            fix = f"use one of {', '.join(sorted(known.values()))}"
        problems.append(f"{CONTEXT}: {key} is not a setting of secure-sagemaker. Fix: {fix}")
    return problems


def _raise(problems: list[str]) -> None:
    if len(problems) == 1:
        raise PropError(problems[0])
    if problems:
        raise PropError(f"{len(problems)} problems with the settings:\n- " + "\n- ".join(problems))


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
