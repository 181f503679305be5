"""`secure-sagemaker preflight`: read an AWS account and say what to set before the first deploy.

Every check reads the target account with the caller's credentials through boto3 and never
writes to it (only ``Describe*``, ``Get*``, ``List*`` and ``Head*`` calls; docs/preflight.md lists
the IAM actions). Each returns a :class:`Result`: ``pass``, ``warn`` (not blocking, read the
detail) or ``fail`` (the deployment would fail), with the fix as the ``cdk.json`` context key
and value to set where one applies, and otherwise what to do.

Settings are read the way the app reads them: ``cdk.json`` in the app folder, overridden by
``-c key=value`` options, into a :class:`~secure_sagemaker.config.BaselineConfig`.

boto3 comes with the optional extra ``secure-sagemaker[aws]``; this module imports it only when
a check runs, and :func:`load_settings` imports the CDK-side config module only when called.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from secure_sagemaker.config import BaselineConfig

PASS, WARN, FAIL = "pass", "warn", "fail"
PREFIX = "secure-sagemaker:"

#: The CDK bootstrap stack version that CDK 2 templates require: their ``CheckBootstrapVersion``
#: rule rejects 1..5 ("CDK bootstrap stack version 6 required"). tests/test_preflight.py checks
#: this figure against the rule in the baseline's snapshot template.
MIN_BOOTSTRAP_VERSION = 6
#: The CDK's default bootstrap qualifier (context ``@aws-cdk/core:bootstrapQualifier``).
DEFAULT_QUALIFIER = "hnb659fds"
QUALIFIER_KEY = "@aws-cdk/core:bootstrapQualifier"

#: Short names of the interface endpoint services ``PrivateNetwork`` creates by default, in the
#: order of ``network.SAGEMAKER_INTERFACE_ENDPOINTS`` (a test keeps the two in step; this copy
#: exists so that preflight does not start the CDK's Node.js kernel).
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "sagemaker.api",
    "sagemaker.runtime",
    "studio",
    "notebook",
    "sagemaker.featurestore-runtime",
    "servicecatalog",
    "sts",
    "logs",
    "monitoring",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "ssm",
    "ssmmessages",
    "secretsmanager",
)
# Studio and notebook instance web apps are named aws.sagemaker.<region>.<short name>.
_SAGEMAKER_WEB_SERVICES = frozenset({"studio", "notebook"})

#: Instance type and count of the demo endpoint, and instance type of the notebook: the defaults
#: of ``SecureEndpoint`` and ``SecureNotebookInstance``, which the baseline does not override (a
#: test keeps them in step).
ENDPOINT_INSTANCE_TYPE = "ml.m5.large"
ENDPOINT_INSTANCE_COUNT = 2
NOTEBOOK_INSTANCE_TYPE = "ml.t3.medium"

#: KMS key purposes of each stack: aliases are ``alias/<prefix>/<purpose>``.
WORKLOAD_KEY_PURPOSES = (
    "data",
    "models",
    "logs",
    "alerts",
    "audit",
)  # its AlertTopic and data-events trail add the last two
ACCOUNT_KEY_PURPOSES = ("logs", "alerts", "audit")

#: S3 prefix under which the models bucket holds the demo model archive (baseline.MODELS_PREFIX).
MODELS_PREFIX = "models"


class PreflightError(Exception):
    """Preflight cannot run: a usage error, unreadable settings or no usable credentials (exit 2)."""


@dataclass(frozen=True)
class Fix:
    """A ``cdk.json`` context key and the value to set it to."""

    key: str
    value: Any

    def __str__(self) -> str:
        """``key=value``, as the cdk CLI's ``-c`` option takes it."""
        return self.as_option().removeprefix("-c ")

    def as_json(self) -> str:
        """The key and value as a line of ``cdk.json`` context."""
        return f"{json.dumps(self.key)}: {json.dumps(self.value)}"

    def as_option(self) -> str:
        """The same setting as a ``-c`` option of the cdk CLI (and of preflight)."""
        value = self.value if isinstance(self.value, str) else json.dumps(self.value)
        return f"-c {self.key}={value}"


@dataclass(frozen=True)
class Result:
    """The outcome of one check: ``status`` is ``pass``, ``warn`` or ``fail``.

    ``fix`` is the ``cdk.json`` setting that resolves a failure (or acts on a warning) where one
    applies; ``remedy`` says what else to do, such as a command to run.
    """

    name: str
    status: str
    detail: str
    fix: Fix | None = None
    remedy: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dict."""
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "fix": None if self.fix is None else {"key": self.fix.key, "value": self.fix.value},
            "remedy": self.remedy,
        }


def _key(field_name: str) -> str:
    """The context key of a BaselineConfig field (the config module is loaded with the settings)."""
    from secure_sagemaker.config import context_key

    return context_key(field_name)


def _fix(field_name: str, value: Any) -> Fix:
    """A fix that sets the context key of the BaselineConfig field ``field_name`` to ``value``."""
    return Fix(_key(field_name), value)


# --------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Settings:
    """What preflight checks against: the baseline config and the raw context it came from."""

    config: "BaselineConfig"
    context: Mapping[str, Any]
    app_dir: Path
    #: The cloud assembly whose templates give the physical names to check (default: ``cdk.out``
    #: in the app folder).
    assembly: Path | None = None

    @property
    def assembly_dir(self) -> Path:
        """The cloud assembly folder to read templates from."""
        return self.assembly if self.assembly is not None else self.app_dir / "cdk.out"

    @property
    def qualifier(self) -> str:
        """The CDK bootstrap qualifier (``@aws-cdk/core:bootstrapQualifier``, default ``hnb659fds``)."""
        value = self.context.get(QUALIFIER_KEY)
        return str(value) if value else DEFAULT_QUALIFIER

    @property
    def workload_alias_prefix(self) -> str:
        """The middle of the workload stack's key aliases: ``keyAliasPrefix`` or the stack name."""
        return self.config.key_alias_prefix or self.config.stack_name

    @property
    def stack_names(self) -> tuple[str, ...]:
        """The stacks the app deploys: the account stack (with ``accountBaseline``) and the workload."""
        if self.config.account_baseline:
            return (self.config.account_stack_name, self.config.stack_name)
        return (self.config.stack_name,)


class _ContextNode:
    """Enough of a construct ``Node`` for ``BaselineConfig.from_context``."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self._context = context

    def try_get_context(self, key: str) -> Any:
        """The context value of ``key``, or ``None``."""
        return self._context.get(key)

    def get_all_context(self) -> dict[str, Any]:
        """Every context value, so unknown ``secure-sagemaker:`` keys are reported as the app does."""
        return dict(self._context)


def load_settings(
    app_dir: str | Path = ".", overrides: Sequence[str] = (), assembly: str | Path | None = None
) -> Settings:
    """Read ``cdk.json`` context in ``app_dir`` with ``-c key=value`` ``overrides``, as the cdk CLI does.

    ``assembly`` is the cloud assembly that :func:`check_names` reads (default ``cdk.out`` there).

    Raises :class:`PreflightError` on a missing or unreadable ``cdk.json``, an override without
    ``=``, or a value the baseline's config refuses.
    """
    root = Path(app_dir)
    path = root / "cdk.json"
    if not path.is_file():
        raise PreflightError(f"no cdk.json in {root.resolve()}; run in the app's folder or pass --app-dir")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PreflightError(f"{path}: cannot read it as JSON ({exc})") from None
    context = dict(data.get("context") or {}) if isinstance(data, dict) else {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise PreflightError(f"-c {item!r}: expected key=value, such as -c {PREFIX}demoEndpoint=true")
        context[key.strip()] = value  # strings, as the cdk CLI passes them; the config parses them
    # The config module is the app's own, so it loads aws-cdk-lib, whose jsii kernel runs on Node.js
    # (the JSII_NODE binary, default `node`); look first, since a failed kernel start is noisy.
    node = os.environ.get("JSII_NODE", "node")
    if shutil.which(node) is None:
        raise PreflightError(
            f"reading the settings loads aws-cdk-lib, which needs Node.js as `cdk synth` does, and {node!r} is "
            "not on PATH; install Node.js, or pip install 'secure-sagemaker[cli]' for the one from PyPI"
        )
    from secure_sagemaker._validation import PropError
    from secure_sagemaker.config import BaselineConfig

    try:
        config = BaselineConfig.from_context(_ContextNode(context))
    except PropError as exc:
        raise PreflightError(str(exc)) from None
    return Settings(config=config, context=context, app_dir=root, assembly=None if assembly is None else Path(assembly))


# --------------------------------------------------------------------------------------------
# The account, read through boto3


class Account:
    """Read-only access to the target account: cached boto3 clients and stack resources.

    :param session: a ``boto3.Session`` with credentials and a region.
    :param clients: clients to use instead of the session's, by service name (tests pass
        botocore-stubbed clients here for APIs the mock does not implement).
    """

    def __init__(self, session: Any, clients: Mapping[str, Any] | None = None) -> None:
        self.session = session
        self._clients: dict[str, Any] = dict(clients or {})
        self._stacks: dict[str, list[dict] | None] = {}
        self.account_id = ""
        self.partition = "aws"

    @property
    def region(self) -> str:
        """The region the checks read."""
        return self.session.region_name

    def client(self, service: str) -> Any:
        """The (cached) boto3 client for ``service``."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=30)
            self._clients[service] = self.session.client(service, config=config)
        return self._clients[service]

    def stack_resources(self, stack_name: str) -> list[dict] | None:
        """The resource summaries of a deployed stack, or ``None`` when no such stack exists."""
        if stack_name not in self._stacks:
            from botocore.exceptions import ClientError

            resources: list[dict] | None = []
            try:
                pages = self.client("cloudformation").get_paginator("list_stack_resources")
                for page in pages.paginate(StackName=stack_name):
                    resources.extend(page.get("StackResourceSummaries", []))
            except ClientError as exc:
                if _code(exc) != "ValidationError" or "does not exist" not in str(exc):
                    raise
                resources = None
            self._stacks[stack_name] = resources
        return self._stacks[stack_name]

    def owner(self, stack_names: Iterable[str], resource_type: str, physical_id: str | None = None) -> str | None:
        """The first deployed stack of ``stack_names`` holding a ``resource_type`` (with that physical id)."""
        for name in stack_names:
            for resource in self.stack_resources(name) or ():
                if resource.get("ResourceType") != resource_type:
                    continue
                if physical_id is None or resource.get("PhysicalResourceId") == physical_id:
                    return name
        return None


def _code(exc: Exception) -> str:
    """The error code of a botocore ``ClientError`` (empty for anything else)."""
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


def _not_found(exc: Exception) -> bool:
    """Whether a ``ClientError`` says the thing read does not exist."""
    code = _code(exc)
    status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
    return (
        code
        in {
            "404",
            "NoSuchKey",
            "NotFound",
            "NoSuchBucket",
            "NoSuchEntity",
            "ParameterNotFound",
            "ImageNotFoundException",
            "RepositoryNotFoundException",
            "TrailNotFoundException",
            "ResourceNotFoundException",
            "NoSuchResourceException",
        }
        or status == 404
    )


# --------------------------------------------------------------------------------------------
# The checks


def check_credentials(settings: Settings, account: Account) -> Result:
    """Who the credentials are, in which account and region (``sts:GetCallerIdentity``).

    Raises :class:`PreflightError` when there are no usable credentials or no region: nothing
    else can be checked then.
    """
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    if not account.region:
        raise PreflightError("no AWS region: set AWS_REGION (or a region in your AWS profile) or pass --region")
    try:
        identity = account.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise PreflightError(
            "no AWS credentials found: configure them (aws configure, aws sso login, AWS_PROFILE) or pass --profile"
        ) from None
    except NoRegionError:
        raise PreflightError("no AWS region: set AWS_REGION or pass --region") from None
    except ClientError as exc:
        raise PreflightError(f"the AWS credentials were refused ({_code(exc)}): {exc}") from None
    except BotoCoreError as exc:
        raise PreflightError(f"cannot reach AWS STS with these credentials: {exc}") from None
    account.account_id = identity["Account"]
    arn = identity.get("Arn", "")
    account.partition = arn.split(":")[1] if arn.count(":") >= 2 else "aws"
    return Result("credentials", PASS, f"account {identity['Account']} as {arn}, region {account.region}")


def check_bootstrap(settings: Settings, account: Account) -> Result:
    """The CDK bootstrap version in SSM (``/cdk-bootstrap/<qualifier>/version``) is at least 6."""
    ssm = account.client("ssm")
    qualifier = settings.qualifier
    name = f"/cdk-bootstrap/{qualifier}/version"
    command = f"cdk bootstrap aws://{account.account_id}/{account.region}"
    if qualifier != DEFAULT_QUALIFIER:
        command += f" --qualifier {qualifier}"
    try:
        version = int(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except Exception as exc:
        if not _not_found(exc):
            raise
        others = _bootstrap_qualifiers(ssm, exclude=qualifier)
        if others:
            other, other_version = others[0]
            return Result(
                "bootstrap",
                FAIL,
                f"{name} does not exist: the account is not bootstrapped with qualifier {qualifier!r}, "
                f"but it is with {other!r} (version {other_version})",
                fix=Fix(QUALIFIER_KEY, other),
                remedy=f"Or bootstrap with qualifier {qualifier}: `{command}`",
            )
        return Result(
            "bootstrap",
            FAIL,
            f"{name} does not exist: the account and region are not CDK-bootstrapped",
            remedy=f"run `{command}`",
        )
    if version < MIN_BOOTSTRAP_VERSION:
        return Result(
            "bootstrap",
            FAIL,
            f"CDK bootstrap version {version} (qualifier {qualifier}); the templates need {MIN_BOOTSTRAP_VERSION} "
            f"or later",
            remedy=f"run `{command}` with a current cdk CLI",
        )
    return Result(
        "bootstrap", PASS, f"CDK bootstrap version {version} (qualifier {qualifier}), at least {MIN_BOOTSTRAP_VERSION}"
    )


def _bootstrap_qualifiers(ssm: Any, exclude: str) -> list[tuple[str, str]]:
    """Other qualifiers the account is bootstrapped with, and their versions."""
    found = []
    try:
        for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/cdk-bootstrap/", Recursive=True):
            for parameter in page.get("Parameters", []):
                parts = parameter["Name"].split("/")
                if len(parts) == 4 and parts[3] == "version" and parts[2] != exclude:
                    found.append((parts[2], parameter.get("Value", "?")))
    except Exception as exc:
        if _code(exc) in {"AccessDeniedException", "AccessDenied"}:
            return []
        raise
    return sorted(found)


def check_guardduty(settings: Settings, account: Account) -> Result:
    """An existing GuardDuty detector matches ``organizationRunsGuardDuty`` (``guardduty:ListDetectors``)."""
    config = settings.config
    detectors = []
    for page in account.client("guardduty").get_paginator("list_detectors").paginate():
        detectors.extend(page.get("DetectorIds", []))
    key = _key("organization_runs_guard_duty")
    if not config.account_baseline:
        if detectors:
            return Result(
                "guardduty", PASS, f"detector {detectors[0]} exists; accountBaseline is false, so this app creates none"
            )
        return Result(
            "guardduty",
            WARN,
            f"no GuardDuty detector in {account.region}; accountBaseline is false, so the account baseline your "
            "organization rolls out must create one, or findings are never raised",
            fix=_fix("account_baseline", True),
        )
    if config.organization_runs_guard_duty:
        owner = account.owner(settings.stack_names, "AWS::GuardDuty::Detector", detectors[0]) if detectors else None
        if owner:
            return Result(
                "guardduty",
                WARN,
                f"detector {detectors[0]} belongs to stack {owner}, and with {key} true the next deployment deletes it",
                fix=Fix(key, False),
            )
        if detectors:
            return Result(
                "guardduty", PASS, f"detector {detectors[0]} exists and {key} is true: only its alerts are wired"
            )
        return Result(
            "guardduty",
            WARN,
            f"{key} is true but {account.region} has no GuardDuty detector: the alerts on findings will never fire",
            fix=Fix(key, False),
        )
    if not detectors:
        return Result("guardduty", PASS, f"no detector in {account.region}: the account stack creates one")
    owner = account.owner(settings.stack_names, "AWS::GuardDuty::Detector", detectors[0])
    if owner:
        return Result("guardduty", PASS, f"detector {detectors[0]} belongs to stack {owner}")
    return Result(
        "guardduty",
        FAIL,
        f"detector {detectors[0]} already exists in {account.region} (GuardDuty allows one per region) and "
        f"{key} is false, so the account stack would try to create a second one",
        fix=Fix(key, True),
    )


def check_config_recorder(settings: Settings, account: Account) -> Result:
    """An existing AWS Config recorder or delivery channel matches ``createConfigRecorder``.

    Reads ``config:DescribeConfigurationRecorders`` and ``config:DescribeDeliveryChannels``.
    """
    config = settings.config
    client = account.client("config")
    recorders = [r["name"] for r in client.describe_configuration_recorders().get("ConfigurationRecorders", [])]
    channels = [c["name"] for c in client.describe_delivery_channels().get("DeliveryChannels", [])]
    key = _key("create_config_recorder")
    creates = config.account_baseline and config.records_configuration
    rules = not config.organization_runs_config_rules
    found = [*(f"recorder {r}" for r in recorders), *(f"delivery channel {c}" for c in channels)]
    existing = ", ".join(found) + (" exists" if len(found) == 1 else " exist")
    # why the account stack creates no recorder, in the words of the settings
    off = (
        f"{key} is false"
        if config.create_config_recorder is False
        else f"{_key('organization_runs_config_rules')} is true"
    )
    if not config.account_baseline:
        if recorders:
            return Result("config-recorder", PASS, f"{existing}; accountBaseline is false, so this app creates none")
        return Result(
            "config-recorder",
            WARN,
            f"no AWS Config recorder in {account.region}; accountBaseline is false, so the account baseline your "
            "organization rolls out must create one",
            fix=_fix("account_baseline", True),
        )
    if creates:
        if not recorders and not channels:
            return Result("config-recorder", PASS, f"no recorder in {account.region}: the account stack creates one")
        owned = [r for r in recorders if account.owner(settings.stack_names, "AWS::Config::ConfigurationRecorder", r)]
        if recorders and owned == recorders:
            return Result("config-recorder", PASS, f"recorder {recorders[0]} belongs to this app's stacks")
        if not recorders:
            return Result(
                "config-recorder",
                FAIL,
                f"{existing} in {account.region} without a recorder; the account stack would create a "
                "second delivery channel (AWS Config allows one per region)",
                remedy="delete the leftover delivery channel (aws configservice delete-delivery-channel) if "
                "nothing uses it",
            )
        return Result(
            "config-recorder",
            FAIL,
            f"{existing} already in {account.region} (AWS Config allows one of each per region) and the "
            f"account stack would create another ({key} is "
            f"{'unset' if config.create_config_recorder is None else 'true'})",
            fix=Fix(key, False),
        )
    if rules and not recorders:
        return Result(
            "config-recorder",
            FAIL,
            f"{key} is false and {account.region} has no Config recorder, but the Config rules need one: "
            "their deployment fails with NoAvailableConfigurationRecorder",
            fix=Fix(key, True),
        )
    owner = next(
        (o for r in recorders if (o := account.owner(settings.stack_names, "AWS::Config::ConfigurationRecorder", r))),
        None,
    )
    if owner:
        return Result(
            "config-recorder",
            WARN,
            f"recorder {recorders[0]} belongs to stack {owner}, and with {off} the next deployment deletes it",
            fix=Fix(key, True),
        )
    if recorders:
        return Result("config-recorder", PASS, f"{existing}; {off}, so the account stack creates none")
    return Result("config-recorder", PASS, "no recorder, and neither a recorder nor Config rules are created")


def check_api_gateway_role(settings: Settings, account: Account) -> Result:
    """The account's API Gateway CloudWatch Logs role against ``createApiGatewayCloudWatchRole``.

    Reads ``apigateway:GET`` on ``/account``.
    """
    config = settings.config
    role = account.client("apigateway").get_account().get("cloudwatchRoleArn")
    key = _key("create_api_gateway_cloud_watch_role")
    creates = config.account_baseline and config.create_api_gateway_cloud_watch_role
    if creates:
        if role and not account.owner(settings.stack_names, "AWS::ApiGateway::Account"):
            return Result(
                "apigateway-role",
                PASS,
                f"the account already has an API Gateway CloudWatch role ({role}); the account stack will replace "
                f"it with its own (set {key} to false to keep it)",
            )
        return Result("apigateway-role", PASS, "the account stack sets the API Gateway CloudWatch role")
    if role:
        return Result("apigateway-role", PASS, f"the account's API Gateway CloudWatch role is {role}")
    if config.demo_endpoint:
        fix = Fix(key, True) if config.account_baseline else _fix("account_baseline", True)
        return Result(
            "apigateway-role",
            FAIL,
            f"the account has no API Gateway CloudWatch role in {account.region}, {key} is false"
            f"{'' if config.account_baseline else ' (accountBaseline is false)'} and demoEndpoint is true: "
            "the inference API's access logging cannot be set up",
            fix=fix,
            remedy="Or set a role in API Gateway's account settings (CloudWatch log role ARN) before deploying",
        )
    return Result(
        "apigateway-role", PASS, "no API Gateway CloudWatch role, and none is needed while demoEndpoint is false"
    )


def check_names(settings: Settings, account: Account) -> Result:
    """KMS aliases and the synthesized templates' physical names that already exist in the account.

    A name that exists and is not a resource of this app's deployed stacks makes CloudFormation
    fail with "already exists". Aliases come from the settings (``kms:ListAliases``); other
    physical names (log groups, WAF web ACLs, trails, buckets, ...) from the templates in the
    settings' cloud assembly (default ``cdk.out`` in the app folder), when ``cdk synth`` wrote them.
    """
    config = settings.config
    wanted: dict[str, tuple[str, str]] = {}  # alias -> (owning stack, logical id or "")
    for purpose in WORKLOAD_KEY_PURPOSES:
        wanted[f"alias/{settings.workload_alias_prefix}/{purpose}"] = (config.stack_name, "")
    if config.account_baseline:
        for purpose in ACCOUNT_KEY_PURPOSES:
            wanted[f"alias/{config.account_stack_name}/{purpose}"] = (config.account_stack_name, "")
    root = settings.assembly_dir
    templates = _assembly_templates(root, settings.stack_names)
    names: list[tuple[str, str, str, str]] = []  # (stack, logical id, type, name)
    for stack, template in templates.items():
        for logical_id, resource in (template.get("Resources") or {}).items():
            kind = resource.get("Type", "")
            prop = _NAMED_TYPES.get(kind)
            value = (resource.get("Properties") or {}).get(prop) if prop else None
            if isinstance(value, str) and value:
                if kind == "AWS::KMS::Alias":
                    wanted[value] = (stack, logical_id)
                else:
                    names.append((stack, logical_id, kind, value))

    conflicts: list[str] = []
    aliases = set()
    for page in account.client("kms").get_paginator("list_aliases").paginate():
        aliases.update(a["AliasName"] for a in page.get("Aliases", []))
    alias_conflicts: dict[str, list[str]] = {}
    for alias, (stack, _logical) in sorted(wanted.items()):
        if alias not in aliases:
            continue
        resources = account.stack_resources(stack)
        if resources is None:
            why = f"{alias} exists while stack {stack} does not (left by a failed deploy or another copy)"
        elif any(
            r.get("ResourceType") == "AWS::KMS::Alias" and r.get("PhysicalResourceId") == alias for r in resources
        ):
            continue
        else:
            why = f"{alias} exists and is not a resource of stack {stack}"
        alias_conflicts.setdefault(stack, []).append(why)
        conflicts.append(why)
    for stack, logical_id, kind, name in names:
        if not _exists(account, kind, name):
            continue
        resources = account.stack_resources(stack) or []
        if any(r.get("LogicalResourceId") == logical_id and r.get("ResourceType") == kind for r in resources):
            continue
        conflicts.append(f"{kind} {name} (of stack {stack}) already exists outside it")

    checked = f"{len(wanted)} KMS aliases"
    if templates:
        checked += f" and {len(names)} physical names from {root}"
    if conflicts:
        fix, remedy = None, "delete the existing resources if nothing uses them, or rename them"
        if config.stack_name in alias_conflicts:
            fix = _fix("key_alias_prefix", _free_prefix(settings.workload_alias_prefix, aliases))
            remedy = "Or delete the leftover aliases (aws kms delete-alias) if nothing uses their keys"
        elif config.account_stack_name in alias_conflicts:
            fix = _fix("account_stack_name", _free_prefix(config.account_stack_name, aliases))
            remedy = "Or delete the leftover aliases (aws kms delete-alias) if nothing uses their keys"
        elif names:
            remedy = f"delete or rename the existing resources, or use another stack name ({_key('stack_name')})"
        return Result("names", FAIL, "; ".join(conflicts), fix=fix, remedy=remedy)
    if not templates:
        return Result(
            "names",
            WARN,
            f"{checked} are free; no template of {', '.join(settings.stack_names)} in {root}, so other physical "
            "names were not checked",
            remedy="run `cdk synth` (or `make synth`) with the same settings first, or pass --assembly",
        )
    return Result("names", PASS, f"{checked} are free or belong to this app's stacks")


def _free_prefix(prefix: str, aliases: set[str]) -> str:
    """``prefix-2``, ``prefix-3``, ...: the first prefix none of whose aliases exist."""
    n = 2
    while any(a.startswith(f"alias/{prefix}-{n}/") for a in aliases):
        n += 1
    return f"{prefix}-{n}"


#: Resource types whose physical name must be unique in the account and region (or in S3), and
#: the property that names them.
_NAMED_TYPES = {
    "AWS::KMS::Alias": "AliasName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::WAFv2::WebACL": "Name",
    "AWS::CloudTrail::Trail": "TrailName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SageMaker::NotebookInstance": "NotebookInstanceName",
    # Retained on deletion (the model history): after `cdk destroy`, a redeploy of the same stack
    # finds it in its way.
    "AWS::SageMaker::ModelPackageGroup": "ModelPackageGroupName",
}


def _exists(account: Account, kind: str, name: str) -> bool:
    """Whether a resource of ``kind`` named ``name`` exists (a read; not-found errors mean no)."""
    try:
        if kind == "AWS::Logs::LogGroup":
            pages = account.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
            return any(g["logGroupName"] == name for page in pages for g in page.get("logGroups", []))
        if kind == "AWS::WAFv2::WebACL":
            return name in _web_acl_names(account)
        if kind == "AWS::CloudTrail::Trail":
            account.client("cloudtrail").get_trail(Name=name)
        elif kind == "AWS::S3::Bucket":
            account.client("s3").head_bucket(Bucket=name)  # 403: it exists, in another account
        elif kind == "AWS::ECR::Repository":
            account.client("ecr").describe_repositories(repositoryNames=[name])
        elif kind == "AWS::IAM::Role":
            account.client("iam").get_role(RoleName=name)
        elif kind == "AWS::SNS::Topic":
            arn = f"arn:{account.partition}:sns:{account.region}:{account.account_id}:{name}"
            account.client("sns").get_topic_attributes(TopicArn=arn)
        elif kind == "AWS::SageMaker::NotebookInstance":
            account.client("sagemaker").describe_notebook_instance(NotebookInstanceName=name)
        elif kind == "AWS::SageMaker::ModelPackageGroup":
            account.client("sagemaker").describe_model_package_group(ModelPackageGroupName=name)
        else:  # pragma: no cover - every key of _NAMED_TYPES but aliases is handled above
            return False
    except Exception as exc:
        message = str(exc).lower()
        if _not_found(exc) or (
            _code(exc) == "ValidationException" and ("does not exist" in message or "recordnotfound" in message)
        ):
            return False
        if kind == "AWS::S3::Bucket" and _code(exc) in {"403", "AccessDenied"}:
            return True
        raise
    return True


def _web_acl_names(account: Account) -> set[str]:
    """Names of the regional WAF web ACLs (``wafv2:ListWebACLs``)."""
    client, names, marker = account.client("wafv2"), set(), None
    while True:
        page = client.list_web_acls(Scope="REGIONAL", **({"NextMarker": marker} if marker else {}))
        names.update(acl["Name"] for acl in page.get("WebACLs", []))
        marker = page.get("NextMarker")
        if not marker or not page.get("WebACLs"):
            return names


def _assembly_templates(root: Path, stack_names: Sequence[str]) -> dict[str, dict]:
    """The templates of ``stack_names`` in the cloud assembly at ``root`` (nested assemblies too)."""
    found: dict[str, dict] = {}
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
            props = artifact.get("properties") or {}
            if artifact.get("type") == "cdk:cloud-assembly" and props.get("directoryName"):
                folders.append(folder / props["directoryName"])
            if artifact.get("type") != "aws:cloudformation:stack":
                continue
            name = props.get("stackName") or artifact_id
            if name in stack_names and props.get("templateFile"):
                try:
                    found[name] = json.loads((folder / props["templateFile"]).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
    return found


def vpc_zones(account: Account, count: int) -> tuple[list[str], list[str]]:
    """The region's available zones (sorted) and the first ``count`` of them, which the VPC uses.

    The VPC takes its zones from ``Fn::GetAZs``, which lists the region's zones alphabetically.
    """
    zones = account.client("ec2").describe_availability_zones()["AvailabilityZones"]
    names = sorted(
        z["ZoneName"]
        for z in zones
        if z.get("State") == "available" and z.get("ZoneType", "availability-zone") == "availability-zone"
    )
    return names, names[:count]


def endpoint_service_name(short_name: str, region: str) -> str:
    """The VPC endpoint service name of ``short_name`` in ``region``."""
    if short_name in _SAGEMAKER_WEB_SERVICES:
        return f"aws.sagemaker.{region}.{short_name}"
    return f"com.amazonaws.{region}.{short_name}"


def check_endpoint_services(settings: Settings, account: Account) -> Result:
    """Every interface endpoint service is offered in each zone the VPC will use.

    Reads ``ec2:DescribeAvailabilityZones`` and ``ec2:DescribeVpcEndpointServices``.
    """
    max_azs = settings.config.max_azs
    key = _key("max_azs")
    all_zones, zones = vpc_zones(account, max_azs)
    if len(all_zones) < max_azs:
        fix = Fix(key, len(all_zones)) if len(all_zones) >= 2 else None
        return Result(
            "endpoint-services",
            FAIL,
            f"{key} is {max_azs} but {account.region} has {len(all_zones)} available zones ({', '.join(all_zones)})",
            fix=fix,
            remedy=None if fix else "choose a region with at least two zones",
        )
    offered = _endpoint_services(account)
    gaps: dict[str, list[str]] = {}
    for short in INTERFACE_ENDPOINT_SERVICES:
        service_zones = offered.get(endpoint_service_name(short, account.region))
        missing = list(zones) if service_zones is None else [z for z in zones if z not in service_zones]
        if missing:
            gaps[short] = missing
    if not gaps:
        return Result(
            "endpoint-services",
            PASS,
            f"all {len(INTERFACE_ENDPOINT_SERVICES)} interface endpoint services are offered in {', '.join(zones)}",
        )
    detail = "; ".join(f"{short} is not offered in {', '.join(missing)}" for short, missing in gaps.items())
    # The largest zone count (at least two) whose first zones every service covers.
    covered = 0
    for zone in zones:
        if any(zone in missing for missing in gaps.values()):
            break
        covered += 1
    if covered >= 2:
        return Result("endpoint-services", FAIL, detail, fix=Fix(key, covered))
    return Result(
        "endpoint-services",
        FAIL,
        detail,
        remedy="deploy in another region, or build the baseline in your own app with a PrivateNetwork whose "
        "interface_endpoints leave these services out",
    )


def _endpoint_services(account: Account) -> dict[str, list[str]]:
    """Every VPC endpoint service of the region and its zones."""
    client, services, token = account.client("ec2"), {}, None
    while True:
        page = client.describe_vpc_endpoint_services(**({"NextToken": token} if token else {}))
        for detail in page.get("ServiceDetails", []):
            services[detail["ServiceName"]] = list(detail.get("AvailabilityZones", []))
        token = page.get("NextToken")
        if not token:
            return services


def check_demo_model(settings: Settings, account: Account) -> Result:
    """With ``demoEndpoint``, the model image and archive exist in the workload stack's repository and bucket.

    Reads ``cloudformation:ListStackResources``, ``ecr:DescribeImages`` and ``s3:GetObject``
    (a HEAD request; with ``s3:ListBucket`` too, S3 says 404 rather than 403 for a missing object).
    A 403 on the archive warns instead: the bucket's data perimeter admits object reads from
    outside the VPC only from the release and break-glass roles.
    """
    config = settings.config
    demo = _key("demo_endpoint")
    if not config.demo_endpoint:
        return Result("demo-model", PASS, f"{demo} is false: no model image or archive needed")
    key = f"{MODELS_PREFIX}/{config.model_data_key}"
    steps = (
        f"Then deploy, push the image tagged {config.model_image_tag} to the stack's ModelImages repository, "
        f"upload the archive to s3://<models bucket>/{key}, and set {demo} back to true"
    )
    resources = account.stack_resources(config.stack_name)
    if resources is None:
        return Result(
            "demo-model",
            FAIL,
            f"{demo} is true but stack {config.stack_name} is not deployed, so its repository and models bucket "
            "cannot hold the model yet",
            fix=Fix(demo, False),
            remedy=steps,
        )
    repository = _physical_id(resources, "AWS::ECR::Repository", "ModelImages")
    bucket = _physical_id(resources, "AWS::S3::Bucket", "ModelsBucket")
    if not repository or not bucket:
        return Result(
            "demo-model",
            WARN,
            f"stack {config.stack_name} has no ModelImages repository or ModelsBucket bucket to look in",
            remedy="deploy the current version with demoEndpoint false first",
        )
    problems = []
    tag = config.model_image_tag
    try:
        account.client("ecr").describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except Exception as exc:
        if not _not_found(exc):
            raise
        problems.append(f"no image tagged {tag} in ECR repository {repository} ({_key('model_image_tag')})")
    archive_unreadable = False
    try:
        account.client("s3").head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        # The data perimeter denies object reads from outside the VPC (docs/data-perimeter.md).
        archive_unreadable = _code(exc) in ("403", "AccessDenied", "Forbidden")
        if not archive_unreadable and not _not_found(exc):
            raise
        if not archive_unreadable:
            problems.append(f"no object s3://{bucket}/{key} ({_key('model_data_key')})")
    if problems:
        uri = f"{account.account_id}.dkr.ecr.{account.region}.amazonaws.com/{repository}:{tag}"
        return Result(
            "demo-model",
            FAIL,
            "; ".join(problems),
            remedy=f"push the image to {uri} and upload the archive to s3://{bucket}/{key}, "
            f"or point {_key('model_image_tag')} / {_key('model_data_key')} at what exists",
        )
    if archive_unreadable:
        return Result(
            "demo-model",
            WARN,
            f"image {repository}:{tag} exists; s3://{bucket}/{key} cannot be read from here (access denied): "
            "the models bucket accepts object requests only through the VPC's S3 endpoint, from the release "
            f"role and from {_key('break_glass_role_arns')}",
            remedy="run preflight as the release role (or a break-glass role) to check the archive, "
            "or list it from Studio",
        )
    return Result("demo-model", PASS, f"image {repository}:{tag} and s3://{bucket}/{key} exist")


def _physical_id(resources: Sequence[dict], kind: str, marker: str) -> str | None:
    """The physical id of the first resource of ``kind`` whose logical id contains ``marker``."""
    for resource in resources:
        if resource.get("ResourceType") == kind and marker in resource.get("LogicalResourceId", ""):
            return resource.get("PhysicalResourceId")
    return None


def needed_instances(settings: Settings) -> list[tuple[str, int]]:
    """The SageMaker quota names the baseline uses and how many instances each must allow."""
    config = settings.config
    needs = []
    if config.demo_endpoint:
        needs.append((f"{ENDPOINT_INSTANCE_TYPE} for endpoint usage", ENDPOINT_INSTANCE_COUNT))
    if config.notebook:
        needs.append((f"{NOTEBOOK_INSTANCE_TYPE} for notebook instance usage", 1))
    return needs


def check_quotas(settings: Settings, account: Account) -> Result:
    """SageMaker quotas for the instance types the baseline uses, where the API reports them.

    Reads ``servicequotas:ListServiceQuotas`` (applied values) and, for quotas without one,
    ``servicequotas:ListAWSDefaultServiceQuotas``.
    """
    needs = needed_instances(settings)
    if not needs:
        return Result("quotas", PASS, "no SageMaker instances (notebook and demoEndpoint are off)")
    wanted = {name for name, _ in needs}
    found = _quotas(account, "list_service_quotas", wanted)
    if wanted - found.keys():
        for name, quota in _quotas(account, "list_aws_default_service_quotas", wanted - found.keys()).items():
            found.setdefault(name, quota)
    short, fine, unknown = [], [], []
    for name, count in needs:
        quota = found.get(name)
        if quota is None or quota.get("Value") is None:
            unknown.append(name)
        elif quota["Value"] < count:
            short.append(f"{name} is {quota['Value']:g} ({quota.get('QuotaCode', '?')}), the baseline needs {count}")
        else:
            fine.append(f"{name} is {quota['Value']:g} (needs {count})")
    notes = [*fine, *(f"{name}: not reported by the API" for name in unknown)]
    if short:
        return Result(
            "quotas",
            FAIL,
            "; ".join([*short, *notes]),
            remedy="request an increase in Service Quotas (SageMaker); the quota counts every instance of that "
            "type in the account and region",
        )
    return Result("quotas", PASS, "; ".join(notes))


def _quotas(account: Account, operation: str, names: set[str]) -> dict[str, dict]:
    """The SageMaker quotas named in ``names`` from ``operation``; empty where the API reports none."""
    found: dict[str, dict] = {}
    try:
        for page in account.client("service-quotas").get_paginator(operation).paginate(ServiceCode="sagemaker"):
            for quota in page.get("Quotas", []):
                if quota.get("QuotaName") in names:
                    found[quota["QuotaName"]] = quota
    except Exception as exc:
        if _not_found(exc):
            return {}
        raise
    return found


Check = Callable[[Settings, Account], Result]

#: The IAM actions each check calls, all reads (docs/preflight.md turns them into a policy; a test
#: records the API calls of every check and finds each here).
IAM_ACTIONS: dict[str, tuple[str, ...]] = {
    "credentials": ("sts:GetCallerIdentity",),
    "bootstrap": ("ssm:GetParameter", "ssm:GetParametersByPath"),
    "guardduty": ("guardduty:ListDetectors", "cloudformation:ListStackResources"),
    "config-recorder": (
        "config:DescribeConfigurationRecorders",
        "config:DescribeDeliveryChannels",
        "cloudformation:ListStackResources",
    ),
    "apigateway-role": ("apigateway:GET", "cloudformation:ListStackResources"),
    "names": (
        "kms:ListAliases",
        "cloudformation:ListStackResources",
        "logs:DescribeLogGroups",
        "wafv2:ListWebACLs",
        "cloudtrail:GetTrail",
        "s3:ListBucket",
        "ecr:DescribeRepositories",
        "iam:GetRole",
        "sns:GetTopicAttributes",
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:DescribeModelPackageGroup",
    ),
    "endpoint-services": ("ec2:DescribeAvailabilityZones", "ec2:DescribeVpcEndpointServices"),
    # s3:ListBucket makes S3 answer 404 rather than 403 for a missing object
    "demo-model": ("cloudformation:ListStackResources", "ecr:DescribeImages", "s3:GetObject", "s3:ListBucket"),
    "quotas": ("servicequotas:ListServiceQuotas", "servicequotas:ListAWSDefaultServiceQuotas"),
}


def read_policy() -> dict[str, Any]:
    """An IAM policy document that allows exactly the reads of every check."""
    actions = sorted({action for actions in IAM_ACTIONS.values() for action in actions})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "SecureSageMakerPreflight", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


#: Every check but credentials, in the order they run and are reported.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("bootstrap", check_bootstrap),
    ("guardduty", check_guardduty),
    ("config-recorder", check_config_recorder),
    ("apigateway-role", check_api_gateway_role),
    ("names", check_names),
    ("endpoint-services", check_endpoint_services),
    ("demo-model", check_demo_model),
    ("quotas", check_quotas),
)


# --------------------------------------------------------------------------------------------
# Runner and output


@dataclass
class Report:
    """The results of one preflight run against one account and region."""

    account: str
    region: str
    stacks: tuple[str, ...]
    results: list[Result] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """No check failed."""
        return not any(r.status == FAIL for r in self.results)

    @property
    def exit_code(self) -> int:
        """0 when ready, 1 with a blocking problem."""
        return 0 if self.ready else 1


def run(settings: Settings, account: Account) -> Report:
    """Run every check; a check that cannot read what it needs reports a warning, not a crash.

    Raises :class:`PreflightError` when the credentials or region are unusable.
    """
    first = check_credentials(settings, account)
    report = Report(account.account_id, account.region, settings.stack_names, [first])
    for name, check in CHECKS:
        try:
            report.results.append(check(settings, account))
        except Exception as exc:  # a denied or unsupported read must not hide the other checks
            report.results.append(_unreadable(name, exc))
    return report


def _unreadable(name: str, exc: Exception) -> Result:
    """A warning for a check that could not read the account."""
    code = _code(exc)
    if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "403"}:
        return Result(
            name, WARN, f"not checked: access denied ({exc})", remedy="grant the read actions in docs/preflight.md"
        )
    return Result(name, WARN, f"not checked: {type(exc).__name__}: {exc}")


def render_text(report: Report) -> str:
    """The report as aligned text lines, fixes indented under their check."""
    width = max(len(r.name) for r in report.results)
    lines = [f"preflight of account {report.account}, region {report.region}, stacks {', '.join(report.stacks)}"]
    for result in report.results:
        lines.append(f"{result.status.upper():<4}  {result.name:<{width}}  {result.detail}")
        pad = " " * (6 + width + 2)
        if result.fix:
            lines.append(f"{pad}fix: set {result.fix.as_json()} in cdk.json (or {result.fix.as_option()})")
        if result.remedy:
            lines.append(f"{pad}{'     ' if result.fix else 'fix: '}{result.remedy}")
    failures = sum(r.status == FAIL for r in report.results)
    warnings = sum(r.status == WARN for r in report.results)
    if failures:
        lines.append(
            f"not ready: {failures} blocking problem{'s' if failures != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
        )
    else:
        lines.append(f"ready: {len(report.results)} checks, {warnings} warning{'s' if warnings != 1 else ''}")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """The report as a JSON document."""
    return (
        json.dumps(
            {
                "ready": report.ready,
                "account": report.account,
                "region": report.region,
                "stacks": list(report.stacks),
                "checks": [r.as_dict() for r in report.results],
            },
            indent=2,
        )
        + "\n"
    )


# --------------------------------------------------------------------------------------------
# Command line


def add_preflight(subparsers: Any) -> Callable[[Any], int]:
    """Add the ``preflight`` sub-command; its handler returns 0 (ready), 1 (blocking) or 2 (error)."""
    parser = subparsers.add_parser(
        "preflight",
        help="read an AWS account (never writing) and say which cdk.json settings the baseline needs there",
        description="Read the target AWS account with your credentials (read-only calls only) and report, per "
        "check, pass or the cdk.json context key and value to set. Needs: pip install 'secure-sagemaker[aws]'. "
        "Exit codes: 0 ready, 1 a blocking problem, 2 usage or credentials error.",
    )
    parser.add_argument("--app-dir", default=".", help="folder with the app's cdk.json (default: the current folder)")
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a cdk.json context value, as with cdk synth -c (repeatable)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
    parser.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's region)")
    parser.add_argument(
        "--assembly",
        default=None,
        help="cloud assembly whose templates give the physical names to check (default: cdk.out in --app-dir)",
    )

    def handle(args: Any) -> int:
        import sys

        try:
            import boto3
            from botocore.exceptions import BotoCoreError
        except ImportError:
            print(
                "secure-sagemaker preflight: boto3 is not installed; run: pip install 'secure-sagemaker[aws]'",
                file=sys.stderr,
            )
            return 2
        try:
            settings = load_settings(args.app_dir, args.context, args.assembly)
            session = boto3.Session(profile_name=args.profile, region_name=args.region)
            report = run(settings, Account(session))
        except PreflightError as exc:
            print(f"secure-sagemaker preflight: {exc}", file=sys.stderr)
            return 2
        except BotoCoreError as exc:  # e.g. ProfileNotFound: a usage error
            print(f"secure-sagemaker preflight: {exc}", file=sys.stderr)
            return 2
        print(render_json(report) if args.format == "json" else render_text(report), end="")
        return report.exit_code

    return handle
