"""Rules for SageMaker resources: models, endpoint configs, notebooks, Studio, jobs, features, pipelines."""

from __future__ import annotations

import re
from typing import Any

from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import (
    customer_key,
    merge,
    referenced,
    require_items,
    require_string,
    require_true,
)
from secure_sagemaker.nag.template import Resource, Unresolved, as_dict, get

MODEL = "AWS::SageMaker::Model"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
NOTEBOOK = "AWS::SageMaker::NotebookInstance"
DOMAIN = "AWS::SageMaker::Domain"
USER_PROFILE = "AWS::SageMaker::UserProfile"
FEATURE_GROUP = "AWS::SageMaker::FeatureGroup"
PIPELINE = "AWS::SageMaker::Pipeline"
MONITORING_SCHEDULE = "AWS::SageMaker::MonitoringSchedule"
#: Job definitions CloudFormation declares, with the property holding their output config.
JOB_DEFINITIONS = {
    "AWS::SageMaker::DataQualityJobDefinition": "DataQualityJobOutputConfig",
    "AWS::SageMaker::ModelQualityJobDefinition": "ModelQualityJobOutputConfig",
    "AWS::SageMaker::ModelBiasJobDefinition": "ModelBiasJobOutputConfig",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "ModelExplainabilityJobOutputConfig",
}
JOB_TYPES = (*JOB_DEFINITIONS, MONITORING_SCHEDULE)

_ECR_IMAGE = re.compile(
    r"^(?P<account>[^./]+)\.dkr\.ecr(?:-fips)?\.[^./]+\."
    r"(?:amazonaws\.com(?:\.cn)?|\$\{AWS::URLSuffix\})/(?P<repository>[^:@]+)"
)


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------


@rule(
    "ModelNetworkIsolation",
    ERROR,
    MODEL,
    info="The SageMaker model does not enable network isolation.",
    explanation=(
        "Without network isolation the model's inference containers can open connections to "
        "anything the VPC routes to, so a poisoned or compromised model can exfiltrate requests "
        "and responses or be used for other ends."
    ),
    fix="Set EnableNetworkIsolation to true on the model (SecureModel does).",
    practices=("P8", "P19"),
    threats=("T9", "T11", "C1"),
)
def model_network_isolation(r: Resource) -> Verdict | None:
    """A SageMaker model runs its containers with network isolation."""
    return require_true(r, r.prop("EnableNetworkIsolation"), "EnableNetworkIsolation")


@rule(
    "ModelVpcConfig",
    ERROR,
    MODEL,
    info="The SageMaker model does not run in a VPC.",
    explanation=(
        "A model without VpcConfig runs in a network AWS manages for you, outside your security "
        "groups, flow logs and VPC endpoints."
    ),
    fix="Give the model a VpcConfig with private (isolated) Subnets and SecurityGroupIds.",
    practices=("P7", "P8"),
    threats=("C2",),
)
def model_vpc_config(r: Resource) -> list[Verdict] | Verdict | None:
    """A SageMaker model runs in VPC subnets behind security groups."""
    vpc = r.template.mapping(r.prop("VpcConfig"))
    if isinstance(vpc, Unresolved):
        return unverifiable(f"VpcConfig cannot be verified: {vpc}")
    if vpc is None:
        return fail("VpcConfig is not set")
    return merge(
        require_items(r, vpc.get("Subnets"), "VpcConfig.Subnets"),
        require_items(r, vpc.get("SecurityGroupIds"), "VpcConfig.SecurityGroupIds"),
    )


def _containers(r: Resource) -> list[tuple[str, dict]]:
    found = []
    primary = r.template.mapping(r.prop("PrimaryContainer"))
    if isinstance(primary, dict):
        found.append(("PrimaryContainer", primary))
    containers = r.template.items(r.prop("Containers"))
    if not isinstance(containers, Unresolved):
        for index, item in enumerate(containers):
            resolved = r.template.mapping(item)
            if isinstance(resolved, dict):
                found.append((f"Containers[{index}]", resolved))
    return found


@rule(
    "ModelImageFromAccountEcr",
    WARNING,
    MODEL,
    info="The SageMaker model pulls a container image from outside the account's Amazon ECR.",
    explanation=(
        "Images pulled from public registries or other accounts are not scanned, signed or "
        "retained under your control, so a changed upstream image changes the model. Keep every "
        "inference image in an ECR repository of the deploying account. A literal account id is "
        "compared with the stack's account when it is known, else reported as unverifiable."
    ),
    fix=(
        "Copy the image into an ECR repository of the account (or build it as a CDK image asset) "
        "and reference it with ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/..."
    ),
    practices=("P6", "P19"),
    threats=("T7", "C3"),
)
def model_image_from_account_ecr(r: Resource) -> list[Verdict]:
    """Every container image of a SageMaker model comes from Amazon ECR in the deploying account."""
    t = r.template
    out: list[Verdict] = []
    for label, container in _containers(r):
        image = container.get("Image")
        if image is None:
            continue  # a model package or another source: nothing to check here
        if referenced(image, t, "AWS::ECR::Repository"):
            continue  # a repository declared in this template is in the deploying account
        rendered = t.render(image)
        if isinstance(rendered, Unresolved):
            out.append(unverifiable(f"{label}.Image cannot be verified: {rendered}"))
            continue
        if not isinstance(rendered, str):
            out.append(fail(f"{label}.Image is not an image URI"))
            continue
        match = _ECR_IMAGE.match(rendered)
        if match is None:
            out.append(fail(f"{label}.Image {rendered} is not in Amazon ECR"))
            continue
        account = match.group("account")
        if account == "${AWS::AccountId}":
            continue
        if t.account is not None and account == t.account:
            continue
        if t.account is not None or not account.isdigit():
            out.append(fail(f"{label}.Image {rendered} is in account {account}, not the deploying account"))
        else:
            out.append(
                unverifiable(
                    f"{label}.Image {rendered} is in account {account}, which cannot be compared "
                    "with the deploying account (the template does not say which it is)"
                )
            )
    return out


# ------------------------------------------------------------------------------------------
# Endpoint configs
# ------------------------------------------------------------------------------------------


def _variants(r: Resource) -> list[dict]:
    items = r.template.items(r.prop("ProductionVariants"))
    if isinstance(items, Unresolved):
        return []
    return [v for v in (r.template.mapping(i) for i in items) if isinstance(v, dict)]


def _serverless_only(r: Resource) -> bool:
    variants = _variants(r)
    return bool(variants) and all(v.get("ServerlessConfig") is not None for v in variants)


@rule(
    "EndpointConfigKms",
    ERROR,
    ENDPOINT_CONFIG,
    info="The SageMaker endpoint config does not encrypt its storage with a customer managed key.",
    explanation=(
        "The ML storage volumes of an endpoint hold the model artifacts, and asynchronous "
        "inference writes responses to S3; both must be encrypted with a key whose policy and "
        "rotation you control. Serverless-only configs cannot take a volume key and are skipped; "
        "instance types with only NVMe instance storage are encrypted by the hardware and reject "
        "KmsKeyId, which is a reason to acknowledge the finding."
    ),
    fix=(
        "Set KmsKeyId (and AsyncInferenceConfig.OutputConfig.KmsKeyId for asynchronous "
        "endpoints) to a customer managed key declared in the template."
    ),
    practices=("P1", "P4", "P18"),
    threats=("T3", "T8"),
)
def endpoint_config_kms(r: Resource) -> list[Verdict]:
    """A SageMaker endpoint config encrypts its volumes and async outputs with a customer managed key."""
    out = []
    if not _serverless_only(r):
        out.append(customer_key(r, r.prop("KmsKeyId"), "KmsKeyId"))
    async_config = r.template.mapping(r.prop("AsyncInferenceConfig"))
    if isinstance(async_config, dict):
        out.append(
            customer_key(
                r, get(async_config, "OutputConfig", "KmsKeyId"), "AsyncInferenceConfig.OutputConfig.KmsKeyId"
            )
        )
    return merge(*out)


def _capture(r: Resource) -> dict | Unresolved | None:
    """The data capture config when capture is on (or cannot be told off), else None."""
    capture = r.template.mapping(r.prop("DataCaptureConfig"))
    if not isinstance(capture, dict):
        return capture
    if r.template.boolean(capture.get("EnableCapture")) is False:
        return None
    return capture


@rule(
    "EndpointConfigDataCapture",
    WARNING,
    ENDPOINT_CONFIG,
    info="The SageMaker endpoint config does not capture inference data.",
    explanation=(
        "Captured requests and responses are what model monitoring and anomaly detection work "
        "on: without them, model extraction by repeated queries and adversarial inputs go "
        "unnoticed. Serverless-only configs cannot capture and are skipped."
    ),
    fix="Add a DataCaptureConfig with EnableCapture true, a destination bucket and a customer managed KmsKeyId.",
    practices=("P11", "P15"),
    threats=("T10", "T11"),
)
def endpoint_config_data_capture(r: Resource) -> Verdict | None:
    """A SageMaker endpoint config captures inference requests and responses for monitoring."""
    if _serverless_only(r):
        return None
    capture = _capture(r)
    if isinstance(capture, Unresolved):
        return unverifiable(f"DataCaptureConfig cannot be verified: {capture}")
    if capture is None:
        return fail("DataCaptureConfig is not set or EnableCapture is false")
    return None


@rule(
    "EndpointConfigDataCaptureKms",
    ERROR,
    ENDPOINT_CONFIG,
    info="The SageMaker endpoint config captures inference data without a customer managed key.",
    explanation=(
        "Captured payloads are copies of what users send to the model and what it answers, often "
        "personal data; they must be encrypted with a key you control."
    ),
    fix="Set DataCaptureConfig.KmsKeyId to a customer managed key declared in the template.",
    practices=("P1", "P4", "P18"),
    threats=("T1", "T3", "T6"),
)
def endpoint_config_data_capture_kms(r: Resource) -> Verdict | None:
    """Data a SageMaker endpoint config captures is encrypted with a customer managed key."""
    capture = _capture(r)
    if not isinstance(capture, dict):
        return None
    return customer_key(r, capture.get("KmsKeyId"), "DataCaptureConfig.KmsKeyId")


@rule(
    "EndpointConfigMultipleInstances",
    WARNING,
    ENDPOINT_CONFIG,
    info="A production variant of the SageMaker endpoint config runs on a single instance.",
    explanation=(
        "With one instance, a failed instance or an availability zone outage takes the model "
        "offline and a burst of requests has nowhere to go; SageMaker spreads two or more "
        "instances across zones."
    ),
    fix="Set InitialInstanceCount to 2 or more on every instance-based production variant.",
    practices=("P19",),
    threats=("T12", "C6"),
)
def endpoint_config_multiple_instances(r: Resource) -> list[Verdict]:
    """Every instance-based production variant of a SageMaker endpoint config runs two or more instances."""
    out: list[Verdict] = []
    for index, variant in enumerate(_variants(r)):
        if variant.get("ServerlessConfig") is not None or variant.get("InitialInstanceCount") is None:
            continue
        name = r.template.string(variant.get("VariantName"))
        label = f"variant {name}" if isinstance(name, str) else f"ProductionVariants[{index}]"
        count = r.template.number(variant.get("InitialInstanceCount"))
        if isinstance(count, Unresolved):
            out.append(unverifiable(f"{label} InitialInstanceCount cannot be verified: {count}"))
        elif count is None or count < 2:
            out.append(fail(f"{label} runs {variant.get('InitialInstanceCount')!s} instance(s)"))
    return out


# ------------------------------------------------------------------------------------------
# Notebook instances
# ------------------------------------------------------------------------------------------


@rule(
    "NotebookNoDirectInternet",
    ERROR,
    NOTEBOOK,
    info="The SageMaker notebook instance has direct internet access.",
    explanation=(
        "Direct internet access gives the notebook a network path around your VPC, its security "
        "groups and endpoints, which is how data leaves and malware arrives. The default is Enabled."
    ),
    fix="Set DirectInternetAccess to Disabled and reach AWS APIs through VPC endpoints.",
    practices=("P8", "P9"),
    threats=("T3", "C2"),
)
def notebook_no_direct_internet(r: Resource) -> Verdict | None:
    """A SageMaker notebook instance has direct internet access disabled."""
    return require_string(r, r.prop("DirectInternetAccess"), "DirectInternetAccess", "Disabled", "Enabled")


@rule(
    "NotebookNoRootAccess",
    ERROR,
    NOTEBOOK,
    info="Users of the SageMaker notebook instance have root access.",
    explanation=(
        "Root on the notebook lets any user change its software, read other users' files and "
        "disable controls installed by lifecycle configurations. The default is Enabled."
    ),
    fix="Set RootAccess to Disabled (lifecycle configurations still run as root).",
    practices=("P6",),
    threats=("C7", "T9"),
)
def notebook_no_root_access(r: Resource) -> Verdict | None:
    """A SageMaker notebook instance denies its users root access."""
    return require_string(r, r.prop("RootAccess"), "RootAccess", "Disabled", "Enabled")


@rule(
    "NotebookKms",
    ERROR,
    NOTEBOOK,
    info="The SageMaker notebook instance volume is not encrypted with a customer managed key.",
    explanation="The notebook's ML storage volume holds data sets, code and credentials users leave behind.",
    fix="Set KmsKeyId to a customer managed key declared in the template.",
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def notebook_kms(r: Resource) -> Verdict | None:
    """A SageMaker notebook instance encrypts its volume with a customer managed key."""
    return customer_key(r, r.prop("KmsKeyId"), "KmsKeyId")


@rule(
    "NotebookInSubnet",
    ERROR,
    NOTEBOOK,
    info="The SageMaker notebook instance is not placed in a VPC subnet with security groups.",
    explanation="Without SubnetId the notebook's network interface is outside your VPC and its controls.",
    fix="Set SubnetId to a private subnet and SecurityGroupIds to restrictive security groups.",
    practices=("P7", "P8"),
    threats=("C2",),
)
def notebook_in_subnet(r: Resource) -> list[Verdict]:
    """A SageMaker notebook instance runs in a VPC subnet behind security groups."""
    subnet = r.template.resolve(r.prop("SubnetId"))
    return merge(
        fail("SubnetId is not set") if subnet in (None, "") else None,
        require_items(r, r.prop("SecurityGroupIds"), "SecurityGroupIds"),
    )


@rule(
    "NotebookImdsV2",
    ERROR,
    NOTEBOOK,
    info="The SageMaker notebook instance accepts IMDSv1.",
    explanation=(
        "IMDSv1 answers any request from the instance, so a server-side request forgery in "
        "notebook code can read the execution role's credentials; IMDSv2 requires a session token."
    ),
    fix="Set InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion to \"2\".",
    practices=("P6",),
    threats=("T3", "C7"),
)
def notebook_imds_v2(r: Resource) -> Verdict | None:
    """A SageMaker notebook instance requires IMDSv2."""
    return require_string(
        r,
        r.prop("InstanceMetadataServiceConfiguration", "MinimumInstanceMetadataServiceVersion"),
        "InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion",
        lambda v: v.strip() in ("2", "2.0"),
        "1",
    )


# ------------------------------------------------------------------------------------------
# Studio domains and user profiles
# ------------------------------------------------------------------------------------------


@rule(
    "DomainVpcOnly",
    ERROR,
    DOMAIN,
    info="The SageMaker Studio domain sends traffic through the internet, not only the VPC.",
    explanation=(
        "With PublicInternetOnly (the default) Studio apps reach the internet through a network "
        "SageMaker manages, around your security groups, endpoints and flow logs."
    ),
    fix="Set AppNetworkAccessType to VpcOnly, with private SubnetIds and VPC endpoints for the APIs Studio calls.",
    practices=("P8", "P9"),
    threats=("T3", "C2"),
)
def domain_vpc_only(r: Resource) -> Verdict | None:
    """A SageMaker Studio domain routes all app traffic through the VPC."""
    return require_string(r, r.prop("AppNetworkAccessType"), "AppNetworkAccessType", "VpcOnly", "PublicInternetOnly")


@rule(
    "DomainKms",
    ERROR,
    DOMAIN,
    info="The SageMaker Studio domain's EFS volume is not encrypted with a customer managed key.",
    explanation="The domain's EFS volume holds every user's home directory: notebooks, data extracts and outputs.",
    fix="Set KmsKeyId to a customer managed key declared in the template.",
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def domain_kms(r: Resource) -> Verdict | None:
    """A SageMaker Studio domain encrypts its EFS volume with a customer managed key."""
    return customer_key(r, r.prop("KmsKeyId"), "KmsKeyId")


@rule(
    "DomainSecurityGroups",
    ERROR,
    DOMAIN,
    info="The SageMaker Studio domain's default user settings name no security groups.",
    explanation=(
        "Studio apps get the security groups of the user settings (aggregated with the profile's); "
        "without them apps in VpcOnly mode cannot be placed and in the console end up with the "
        "VPC's default group."
    ),
    fix="Set DefaultUserSettings.SecurityGroups to restrictive security groups of the domain's VPC.",
    practices=("P7",),
    threats=("C2",),
)
def domain_security_groups(r: Resource) -> Verdict | None:
    """A SageMaker Studio domain's default user settings name security groups."""
    return require_items(r, r.prop("DefaultUserSettings", "SecurityGroups"), "DefaultUserSettings.SecurityGroups")


def _user_settings(r: Resource) -> list[tuple[str, dict]]:
    """The user settings blocks of a domain (default user and space settings) or a user profile."""
    names = ("DefaultUserSettings", "DefaultSpaceSettings") if r.type == DOMAIN else ("UserSettings",)
    found = []
    for name in names:
        settings = r.template.mapping(r.prop(name))
        if isinstance(settings, dict):
            found.append((name, settings))
    return found


@rule(
    "StudioNotebookSharing",
    ERROR,
    (DOMAIN, USER_PROFILE),
    info="SageMaker Studio lets users share notebooks without encrypting the shared copies with a customer managed key.",
    explanation=(
        "Notebook sharing copies notebooks and their outputs, which often contain data, to an S3 "
        "location; the default is Allowed. A user profile without SharingSettings inherits the "
        "domain's, which this rule checks on the domain."
    ),
    fix=(
        "Set SharingSettings.NotebookOutputOption to Disabled, or keep Allowed with S3OutputPath "
        "and an S3KmsKeyId that is a customer managed key."
    ),
    practices=("P1", "P4", "P6"),
    threats=("T3", "C7"),
)
def studio_notebook_sharing(r: Resource) -> Verdict | None:
    """SageMaker Studio notebook sharing is disabled or encrypted with a customer managed key."""
    t = r.template
    if r.type == DOMAIN:
        sharing = t.mapping(r.prop("DefaultUserSettings", "SharingSettings"))
        label = "DefaultUserSettings.SharingSettings"
    else:
        sharing = t.mapping(r.prop("UserSettings", "SharingSettings"))
        label = "UserSettings.SharingSettings"
        if sharing is None:
            return None  # inherits the domain's setting
    if isinstance(sharing, Unresolved):
        return unverifiable(f"{label} cannot be verified: {sharing}")
    sharing = sharing or {}
    option = t.string(sharing.get("NotebookOutputOption"))
    if isinstance(option, Unresolved):
        return unverifiable(f"{label}.NotebookOutputOption cannot be verified: {option}")
    if option == "Disabled":
        return None
    return customer_key(r, sharing.get("S3KmsKeyId"), f"{label}.S3KmsKeyId (sharing is allowed)")


@rule(
    "StudioRootAccess",
    ERROR,
    (DOMAIN, USER_PROFILE),
    info="SageMaker Studio gives users root-equivalent access (Docker access or POSIX uid 0).",
    explanation=(
        "Docker access on the app host (unless rootless) and a custom POSIX user with uid 0 both "
        "let a user act as root, change the environment other controls rely on and reach the "
        "credentials of the execution role."
    ),
    fix=(
        "Leave DomainSettings.DockerSettings.EnableDockerAccess DISABLED (or enable RootlessDocker) "
        "and give CustomPosixUserConfig a non-zero Uid."
    ),
    practices=("P6",),
    threats=("C7", "T9"),
)
def studio_root_access(r: Resource) -> list[Verdict]:
    """SageMaker Studio users get neither Docker root access nor POSIX uid 0."""
    t = r.template
    out: list[Verdict | None] = []
    if r.type == DOMAIN:
        docker = as_dict(t.mapping(r.prop("DomainSettings", "DockerSettings")))
        enabled = t.string(docker.get("EnableDockerAccess"))
        rootless = t.string(docker.get("RootlessDocker"))
        if isinstance(enabled, Unresolved):
            out.append(unverifiable(f"DomainSettings.DockerSettings.EnableDockerAccess cannot be verified: {enabled}"))
        elif enabled == "ENABLED" and rootless != "ENABLED":
            out.append(fail("DomainSettings.DockerSettings.EnableDockerAccess is ENABLED without RootlessDocker"))
    for name, settings in _user_settings(r):
        uid = t.number(get(settings, "CustomPosixUserConfig", "Uid"))
        if isinstance(uid, Unresolved):
            out.append(unverifiable(f"{name}.CustomPosixUserConfig.Uid cannot be verified: {uid}"))
        elif uid == 0:
            out.append(fail(f"{name}.CustomPosixUserConfig.Uid is 0 (root)"))
    return merge(*out)


# ------------------------------------------------------------------------------------------
# Monitoring schedules and job definitions
# ------------------------------------------------------------------------------------------


def _job_parts(r: Resource) -> tuple[str, Any, Any, Any] | None:
    """``(prefix, network config, volume key, output key)`` of a job definition or inline schedule."""
    if r.type == MONITORING_SCHEDULE:
        definition = r.template.mapping(r.prop("MonitoringScheduleConfig", "MonitoringJobDefinition"))
        if not isinstance(definition, dict):
            return None  # the schedule names a job definition, which is checked on its own
        return (
            "MonitoringScheduleConfig.MonitoringJobDefinition.",
            definition.get("NetworkConfig"),
            get(definition, "MonitoringResources", "ClusterConfig", "VolumeKmsKeyId"),
            get(definition, "MonitoringOutputConfig", "KmsKeyId"),
        )
    output = JOB_DEFINITIONS.get(r.type)
    if output is None:
        return None
    return (
        "",
        r.prop("NetworkConfig"),
        r.prop("JobResources", "ClusterConfig", "VolumeKmsKeyId"),
        r.prop(output, "KmsKeyId"),
    )


def _network_flag(r: Resource, flag: str) -> Verdict | None:
    parts = _job_parts(r)
    if parts is None:
        return None
    prefix, network, _, _ = parts
    resolved = r.template.mapping(network)
    if isinstance(resolved, Unresolved):
        return unverifiable(f"{prefix}NetworkConfig cannot be verified: {resolved}")
    return require_true(r, as_dict(resolved).get(flag), f"{prefix}NetworkConfig.{flag}")


@rule(
    "JobNetworkIsolation",
    ERROR,
    JOB_TYPES,
    info="The SageMaker monitoring job does not run with network isolation.",
    explanation=(
        "Monitoring and clarify jobs run containers over captured production data; without "
        "network isolation a compromised or malicious container can send that data anywhere."
    ),
    fix="Set NetworkConfig.EnableNetworkIsolation to true on the job definition or the schedule's inline definition.",
    practices=("P8", "P19"),
    threats=("T9", "T3"),
)
def job_network_isolation(r: Resource) -> Verdict | None:
    """A SageMaker monitoring job definition enables network isolation."""
    return _network_flag(r, "EnableNetworkIsolation")


@rule(
    "JobInterContainerEncryption",
    ERROR,
    JOB_TYPES,
    info="The SageMaker monitoring job does not encrypt traffic between its containers.",
    explanation="Distributed jobs exchange data between instances; without encryption it crosses the network in clear text.",
    fix="Set NetworkConfig.EnableInterContainerTrafficEncryption to true.",
    practices=("P2",),
    threats=("C4", "T3"),
)
def job_inter_container_encryption(r: Resource) -> Verdict | None:
    """A SageMaker monitoring job definition encrypts inter-container traffic."""
    return _network_flag(r, "EnableInterContainerTrafficEncryption")


@rule(
    "JobKms",
    ERROR,
    JOB_TYPES,
    info="The SageMaker monitoring job does not encrypt its volume and outputs with customer managed keys.",
    explanation="Job volumes and reports hold samples of production data and statistics about it.",
    fix="Set the cluster's VolumeKmsKeyId and the output config's KmsKeyId to customer managed keys.",
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def job_kms(r: Resource) -> list[Verdict]:
    """A SageMaker monitoring job definition encrypts its volume and outputs with customer managed keys."""
    parts = _job_parts(r)
    if parts is None:
        return []
    prefix, _, volume, output = parts
    volume_label = "MonitoringResources" if r.type == MONITORING_SCHEDULE else "JobResources"
    output_label = "MonitoringOutputConfig" if r.type == MONITORING_SCHEDULE else JOB_DEFINITIONS[r.type]
    return merge(
        customer_key(r, volume, f"{prefix}{volume_label}.ClusterConfig.VolumeKmsKeyId"),
        customer_key(r, output, f"{prefix}{output_label}.KmsKeyId"),
    )


# ------------------------------------------------------------------------------------------
# Feature groups and pipelines
# ------------------------------------------------------------------------------------------


@rule(
    "FeatureGroupOnlineStoreKms",
    ERROR,
    FEATURE_GROUP,
    info="The SageMaker feature group's online store is not encrypted with a customer managed key.",
    explanation="The online store serves features, often derived from personal data, at low latency to models.",
    fix="Set OnlineStoreConfig.SecurityConfig.KmsKeyId to a customer managed key.",
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def feature_group_online_store_kms(r: Resource) -> Verdict | None:
    """The online store of a SageMaker feature group is encrypted with a customer managed key."""
    online = r.template.mapping(r.prop("OnlineStoreConfig"))
    if online is None:
        return None
    if isinstance(online, Unresolved):
        return unverifiable(f"OnlineStoreConfig cannot be verified: {online}")
    enabled = r.template.boolean(online.get("EnableOnlineStore"))
    if enabled is None or enabled is False:
        return None  # no online store
    verdict = customer_key(r, get(online, "SecurityConfig", "KmsKeyId"), "OnlineStoreConfig.SecurityConfig.KmsKeyId")
    if verdict is not None and isinstance(enabled, Unresolved):
        return unverifiable(f"OnlineStoreConfig.EnableOnlineStore cannot be verified ({enabled}) and {verdict.message}")
    return verdict


@rule(
    "FeatureGroupOfflineStoreKms",
    ERROR,
    FEATURE_GROUP,
    info="The SageMaker feature group's offline store is not encrypted with a customer managed key.",
    explanation="The offline store keeps the full history of every feature in S3, the data set future models train on.",
    fix="Set OfflineStoreConfig.S3StorageConfig.KmsKeyId to a customer managed key.",
    practices=("P1", "P4"),
    threats=("T3", "T4", "T5"),
)
def feature_group_offline_store_kms(r: Resource) -> Verdict | None:
    """The offline store of a SageMaker feature group is encrypted with a customer managed key."""
    offline = r.template.mapping(r.prop("OfflineStoreConfig"))
    if offline is None:
        return None
    if isinstance(offline, Unresolved):
        return unverifiable(f"OfflineStoreConfig cannot be verified: {offline}")
    return customer_key(r, get(offline, "S3StorageConfig", "KmsKeyId"), "OfflineStoreConfig.S3StorageConfig.KmsKeyId")


@rule(
    "PipelineRole",
    ERROR,
    PIPELINE,
    info="The SageMaker pipeline's role is not a SageMaker execution role declared in the template.",
    explanation=(
        "A pipeline acts with its RoleArn on every step; when the role is declared in the same "
        "template the execution-role rules check its trust policy and permissions, otherwise "
        "nobody does. A role from elsewhere is reported as unverifiable."
    ),
    fix="Declare a dedicated, least-privilege role that SageMaker can assume and pass it as RoleArn.",
    practices=("P6",),
    threats=("C7", "T9"),
)
def pipeline_role(r: Resource) -> Verdict | None:
    """A SageMaker pipeline runs with a SageMaker execution role that this template declares."""
    from secure_sagemaker.nag.rules.iam import trusts_sagemaker

    t = r.template
    value = r.prop("RoleArn")
    role = t.target(value, "AWS::IAM::Role")
    if role is not None:
        if trusts_sagemaker(role):
            return None
        return fail(f"RoleArn names {role.logical_id}, whose trust policy does not let SageMaker assume it")
    rendered = t.render(value)
    if rendered is None or rendered == "":
        return fail("RoleArn is not set")
    if isinstance(rendered, Unresolved):
        return unverifiable(f"RoleArn cannot be verified: {rendered}")
    return unverifiable(f"RoleArn {rendered} is not a role declared in this template")
