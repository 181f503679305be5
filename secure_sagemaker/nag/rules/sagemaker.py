"""Rules for SageMaker resources: models, endpoint configs, notebooks, Studio, jobs, features, pipelines."""

from __future__ import annotations

import re
from typing import Any

from secure_sagemaker.instance_storage import has_instance_storage
from secure_sagemaker.nag.rule import ERROR, WARNING, Verdict, fail, rule, unverifiable
from secure_sagemaker.nag.rules._common import (
    customer_key,
    merge,
    referenced,
    require_items,
    require_string,
    require_true,
)
from secure_sagemaker.nag.rules._jobs import JOB_TYPES, NOT_APPLICABLE, PIPELINE, Job, jobs
from secure_sagemaker.nag.template import Resource, Unresolved, as_dict, get

MODEL = "AWS::SageMaker::Model"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
NOTEBOOK = "AWS::SageMaker::NotebookInstance"
DOMAIN = "AWS::SageMaker::Domain"
USER_PROFILE = "AWS::SageMaker::UserProfile"
FEATURE_GROUP = "AWS::SageMaker::FeatureGroup"
INFERENCE_COMPONENT = "AWS::SageMaker::InferenceComponent"

_ECR_IMAGE = re.compile(
    r"^(?P<account>[^./]+)\.dkr\.ecr(?:-fips)?\.[^./]+\."
    r"(?:amazonaws\.com(?:\.cn)?|\$\{AWS::URLSuffix\})/(?P<repository>[^:@]+)"
)


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------


def _hosts_models(r: Resource) -> bool:
    """True for a model, and for an endpoint config that hosts inference components (it has an
    ExecutionRoleArn and carries the VPC and isolation settings a model would)."""
    return r.type == MODEL or r.prop("ExecutionRoleArn") is not None


@rule(
    "ModelNetworkIsolation",
    ERROR,
    (MODEL, ENDPOINT_CONFIG),
    info="The SageMaker model does not enable network isolation.",
    explanation=(
        "Without network isolation the model's inference containers can open connections to "
        "anything the VPC routes to, so a poisoned or compromised model can exfiltrate requests "
        "and responses or be used for other ends. An endpoint config with an ExecutionRoleArn "
        "hosts inference components, whose containers take these settings from the config."
    ),
    fix="Set EnableNetworkIsolation to true on the model (SecureModel does).",
    practices=("P8", "P19"),
    threats=("T9", "T11", "C1"),
)
def model_network_isolation(r: Resource) -> Verdict | None:
    """A SageMaker model (or an endpoint config for inference components) runs its containers with network isolation."""
    if not _hosts_models(r):
        return None
    return require_true(r, r.prop("EnableNetworkIsolation"), "EnableNetworkIsolation")


@rule(
    "ModelVpcConfig",
    ERROR,
    (MODEL, ENDPOINT_CONFIG),
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
    """A SageMaker model (or an endpoint config for inference components) runs in VPC subnets behind security groups."""
    if not _hosts_models(r):
        return None
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
    if r.type == INFERENCE_COMPONENT:
        container = r.template.mapping(r.prop("Specification", "Container"))
        return [("Specification.Container", container)] if isinstance(container, dict) else []
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
    (MODEL, INFERENCE_COMPONENT),
    info="The SageMaker model or inference component pulls a container image from outside the account's Amazon ECR.",
    explanation=(
        "Images pulled from public registries or other accounts are not scanned, signed or "
        "retained under your control, so a changed upstream image changes the model. Keep every "
        "inference image in an ECR repository of the deploying account. A literal account id is "
        "compared with the stack's account when it is known, else reported as unverifiable. "
        "Inference components that bring their own container (Specification.Container) are "
        "checked like models."
    ),
    fix=(
        "Copy the image into an ECR repository of the account (or build it as a CDK image asset) "
        "and reference it with ${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/..."
    ),
    practices=("P6", "P19"),
    threats=("T7", "C3"),
)
def model_image_from_account_ecr(r: Resource) -> list[Verdict]:
    """Every container image of a SageMaker model or inference component comes from Amazon ECR in the deploying account."""
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


def _instance_types(r: Resource) -> list[Any]:
    """The instance types of an endpoint config's instance-based variants, shadow variants included."""
    found = []
    for name in ("ProductionVariants", "ShadowProductionVariants"):
        items = r.template.items(r.prop(name))
        for item in [] if isinstance(items, Unresolved) else items:
            variant = r.template.mapping(item)
            if isinstance(variant, dict) and variant.get("ServerlessConfig") is None:
                found.append(r.template.string(variant.get("InstanceType")))
    return found


@rule(
    "EndpointConfigKms",
    ERROR,
    ENDPOINT_CONFIG,
    info="The SageMaker endpoint config does not encrypt its storage with a customer managed key.",
    explanation=(
        "The ML storage volumes of an endpoint hold the model artifacts, asynchronous inference "
        "writes responses to S3, and core dumps copy the container's memory; all must be "
        "encrypted with a key whose policy and rotation you control. Serverless-only configs "
        "cannot take a volume key and are skipped. Instance types with local NVMe instance "
        "storage (ml.g5, ml.p4d, ml.p5, the *d types...) have their volumes encrypted by a "
        "hardware module and SageMaker rejects KmsKeyId for them: a config whose variants all "
        "use such types passes without a volume key. A config that mixes them with other types "
        "cannot set the key at all, so its other variants' volumes go unencrypted by your key."
    ),
    fix=(
        "Set KmsKeyId (and AsyncInferenceConfig.OutputConfig.KmsKeyId for asynchronous "
        "endpoints, CoreDumpConfig.KmsKeyId where core dumps are kept) to a customer managed key "
        "declared in the template; put variants on instance-storage types in an endpoint config "
        "of their own."
    ),
    practices=("P1", "P4", "P18"),
    threats=("T3", "T8"),
)
def endpoint_config_kms(r: Resource) -> list[Verdict]:
    """A SageMaker endpoint config encrypts its volumes, async outputs and core dumps with a customer managed key."""
    t = r.template
    out = []
    types = _instance_types(r)
    local = [i for i in types if has_instance_storage(i)]
    unknown = [i for i in types if not isinstance(i, str)]
    if local and unknown:
        out.append(
            unverifiable("some variants use instance storage and the instance type of others cannot be resolved")
        )
    elif local and len(local) < len(types):
        out.append(
            fail(
                f"variants on {', '.join(sorted(set(local)))} (local instance storage) share the config with "
                "other instance types, so SageMaker rejects KmsKeyId and the other variants' volumes are not "
                "encrypted with your key"
            )
        )
    elif not local and not _serverless_only(r):
        out.append(customer_key(r, r.prop("KmsKeyId"), "KmsKeyId"))
    async_config = t.mapping(r.prop("AsyncInferenceConfig"))
    if isinstance(async_config, dict):
        out.append(
            customer_key(r, get(async_config, "OutputConfig", "KmsKeyId"), "AsyncInferenceConfig.OutputConfig.KmsKeyId")
        )
    for name in ("ProductionVariants", "ShadowProductionVariants"):
        items = t.items(r.prop(name))
        for index, item in enumerate([] if isinstance(items, Unresolved) else items):
            dump = t.mapping(get(t.mapping(item), "CoreDumpConfig"))
            if isinstance(dump, dict):
                out.append(customer_key(r, dump.get("KmsKeyId"), f"{name}[{index}].CoreDumpConfig.KmsKeyId"))
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
    fix='Set InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion to "2".',
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
# Jobs: processing jobs, monitoring job definitions and schedules, pipeline steps
# ------------------------------------------------------------------------------------------


def _each_job(r: Resource, check) -> list[Verdict]:
    """``check(job)`` on every job ``r`` declares; an unreadable pipeline definition is one unverifiable verdict."""
    found = jobs(r)
    if isinstance(found, Unresolved):
        return [unverifiable(f"the jobs of this pipeline cannot be verified: {found}")]
    return merge(*(check(job) for job in found))


def _job_flag(r: Resource, setting: str) -> list[Verdict]:
    def check(job: Job) -> Verdict | None:
        value = getattr(job, setting)
        if value is NOT_APPLICABLE:
            return None
        if isinstance(value, Unresolved):
            return unverifiable(f"{job.label(setting)} cannot be verified: {value}")
        return require_true(r, value, job.label(setting))

    return _each_job(r, check)


@rule(
    "JobNetworkIsolation",
    ERROR,
    JOB_TYPES,
    info="The SageMaker job does not run with network isolation.",
    explanation=(
        "Processing, training, tuning, monitoring and clarify jobs run containers over training "
        "or production data; without network isolation a compromised or malicious container can "
        "send that data anywhere. Jobs are read from processing job and monitoring resources and "
        "from the Training, Processing and Tuning steps of a pipeline's PipelineDefinitionBody "
        "(inside Condition steps too); a finding names the step."
    ),
    fix="Set EnableNetworkIsolation to true in the job's NetworkConfig (or on the training job definition of a step).",
    practices=("P8", "P19"),
    threats=("T9", "T3"),
)
def job_network_isolation(r: Resource) -> list[Verdict]:
    """Every SageMaker job a template declares, as a resource or as a pipeline step, enables network isolation."""
    return _job_flag(r, "isolation")


@rule(
    "JobInterContainerEncryption",
    ERROR,
    JOB_TYPES,
    info="The SageMaker job does not encrypt traffic between its containers.",
    explanation=(
        "Distributed jobs exchange data between instances; without encryption it crosses the "
        "network in clear text. Pipeline steps are checked like resources."
    ),
    fix="Set EnableInterContainerTrafficEncryption to true (in NetworkConfig, or on the training job definition of a "
    "step).",
    practices=("P2",),
    threats=("C4", "T3"),
)
def job_inter_container_encryption(r: Resource) -> list[Verdict]:
    """Every SageMaker job a template declares encrypts inter-container traffic."""
    return _job_flag(r, "inter_container")


@rule(
    "JobVpcConfig",
    ERROR,
    JOB_TYPES,
    info="The SageMaker job does not run in VPC subnets behind security groups.",
    explanation=(
        "A job without a VPC config runs in a network AWS manages, outside your security groups, "
        "flow logs and VPC endpoints; network isolation alone still lets the platform fetch "
        "inputs and write outputs over that network. Transform steps take the VPC of their model "
        "and are not checked here."
    ),
    fix="Set VpcConfig (NetworkConfig.VpcConfig for processing and monitoring jobs) with private Subnets and "
    "SecurityGroupIds.",
    practices=("P7", "P8"),
    threats=("C2", "T3"),
)
def job_vpc_config(r: Resource) -> list[Verdict]:
    """Every SageMaker job a template declares runs in VPC subnets behind security groups."""
    t = r.template

    def check(job: Job) -> list[Verdict] | Verdict | None:
        if job.vpc is NOT_APPLICABLE:
            return None
        label = job.label("vpc")
        vpc = t.mapping(job.vpc)
        if isinstance(vpc, Unresolved):
            return unverifiable(f"{label} cannot be verified: {vpc}")
        if vpc is None:
            return fail(f"{label} is not set")
        return merge(
            require_items(r, vpc.get("Subnets"), f"{label}.Subnets"),
            require_items(r, vpc.get("SecurityGroupIds"), f"{label}.SecurityGroupIds"),
        )

    return _each_job(r, check)


@rule(
    "JobKms",
    ERROR,
    JOB_TYPES,
    info="The SageMaker job does not encrypt its volume and outputs with customer managed keys.",
    explanation=(
        "Job volumes and outputs hold training data, model artifacts, samples of production data "
        "and reports. Instance types with local NVMe instance storage take no volume key: their "
        "volumes are encrypted by a hardware module and SageMaker rejects VolumeKmsKeyId, so a "
        "job whose instances all have instance storage passes the volume part; its outputs "
        "still need a key."
    ),
    fix=(
        "Set the volume key (VolumeKmsKeyId of the cluster or resource config) and the output "
        "config's KmsKeyId to customer managed keys."
    ),
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def job_kms(r: Resource) -> list[Verdict]:
    """Every SageMaker job a template declares encrypts its volume and outputs with customer managed keys."""

    def check(job: Job) -> list[Verdict]:
        volume = None if job.local_storage_only() else customer_key(r, job.volume_key, job.label("volume_key"))
        return merge(volume, customer_key(r, job.output_key, job.label("output_key")))

    return _each_job(r, check)


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


# ------------------------------------------------------------------------------------------
# HyperPod clusters, stored artifacts, workforces
# ------------------------------------------------------------------------------------------

CLUSTER = "AWS::SageMaker::Cluster"
WORKFORCE = "AWS::SageMaker::Workforce"
_GROUPS = ("InstanceGroups", "RestrictedInstanceGroups")


def _instance_groups(r: Resource) -> list[tuple[str, dict]]:
    found = []
    for name in _GROUPS:
        items = r.template.items(r.prop(name))
        for index, item in enumerate([] if isinstance(items, Unresolved) else items):
            group = r.template.mapping(item)
            if isinstance(group, dict):
                group_name = r.template.string(group.get("InstanceGroupName"))
                found.append((f"{name}[{group_name if isinstance(group_name, str) else index}]", group))
    return found


def _vpc_verdict(r: Resource, value: Any, label: str) -> list[Verdict] | Verdict:
    vpc = r.template.mapping(value)
    if isinstance(vpc, Unresolved):
        return unverifiable(f"{label} cannot be verified: {vpc}")
    if vpc is None:
        return fail(f"{label} is not set")
    return merge(
        require_items(r, vpc.get("Subnets"), f"{label}.Subnets"),
        require_items(r, vpc.get("SecurityGroupIds"), f"{label}.SecurityGroupIds"),
    )


@rule(
    "ClusterVpcConfig",
    ERROR,
    CLUSTER,
    info="The SageMaker HyperPod cluster's instances do not run in VPC subnets behind security groups.",
    explanation=(
        "Without VpcConfig the cluster's instances get their network from SageMaker, outside your "
        "security groups, flow logs and VPC endpoints, with a path to the internet. An instance "
        "group's OverrideVpcConfig replaces the cluster's for that group and is checked the same way."
    ),
    fix="Set VpcConfig with private Subnets and SecurityGroupIds (and give any OverrideVpcConfig both too).",
    practices=("P7", "P8"),
    threats=("C2", "T3"),
)
def cluster_vpc_config(r: Resource) -> list[Verdict]:
    """Every instance group of a SageMaker HyperPod cluster runs in VPC subnets behind security groups."""
    groups = _instance_groups(r)
    overridden = [(label, g) for label, g in groups if g.get("OverrideVpcConfig") is not None]
    out = [_vpc_verdict(r, g.get("OverrideVpcConfig"), f"{label}.OverrideVpcConfig") for label, g in overridden]
    if r.prop("VpcConfig") is not None or not groups or len(overridden) < len(groups):
        out.append(_vpc_verdict(r, r.prop("VpcConfig"), "VpcConfig"))
    return merge(*out)


def _stored_data_keys(r: Resource) -> list[tuple[str, Any]]:
    """``(label, key value)`` of every place a SageMaker resource of the table stores data."""
    t = r.template
    if r.type == "AWS::SageMaker::ModelCard":
        return [("SecurityConfig.KmsKeyId", r.prop("SecurityConfig", "KmsKeyId"))]
    if r.type == "AWS::SageMaker::ModelPackage":
        found = []
        # A package's SecurityConfig encrypts its model card: it matters only when it has one.
        if r.prop("ModelCard") is not None or r.prop("SecurityConfig") is not None:
            found.append(("SecurityConfig.KmsKeyId", r.prop("SecurityConfig", "KmsKeyId")))
        profiles = t.items(r.prop("ValidationSpecification", "ValidationProfiles"))
        for index, profile in enumerate([] if isinstance(profiles, Unresolved) else profiles):
            job = as_dict(get(t.mapping(profile), "TransformJobDefinition"))
            prefix = f"ValidationSpecification.ValidationProfiles[{index}].TransformJobDefinition."
            found.append((f"{prefix}TransformOutput.KmsKeyId", get(job, "TransformOutput", "KmsKeyId")))
            if not has_instance_storage(t.string(get(job, "TransformResources", "InstanceType"))):
                found.append(
                    (f"{prefix}TransformResources.VolumeKmsKeyId", get(job, "TransformResources", "VolumeKmsKeyId"))
                )
        return found
    if r.type == "AWS::SageMaker::InferenceExperiment":
        found = [("KmsKey", r.prop("KmsKey"))]
        if r.prop("DataStorageConfig") is not None:
            found.append(("DataStorageConfig.KmsKey", r.prop("DataStorageConfig", "KmsKey")))
        return found
    if r.type == "AWS::SageMaker::DeviceFleet":
        return [("OutputConfig.KmsKeyId", r.prop("OutputConfig", "KmsKeyId"))]
    if r.type == "AWS::SageMaker::PartnerApp":
        return [("KmsKeyId", r.prop("KmsKeyId"))]
    if r.type == CLUSTER:
        found = []
        for label, group in _instance_groups(r):
            configs = t.items(group.get("InstanceStorageConfigs"))
            for index, config in enumerate([] if isinstance(configs, Unresolved) else configs):
                ebs = get(t.mapping(config), "EbsVolumeConfig")
                if ebs is not None:
                    found.append(
                        (
                            f"{label}.InstanceStorageConfigs[{index}].EbsVolumeConfig.VolumeKmsKeyId",
                            get(t.mapping(ebs), "VolumeKmsKeyId"),
                        )
                    )
        return found
    return []


@rule(
    "SageMakerResourceKms",
    ERROR,
    (
        "AWS::SageMaker::ModelCard",
        "AWS::SageMaker::ModelPackage",
        "AWS::SageMaker::InferenceExperiment",
        "AWS::SageMaker::DeviceFleet",
        "AWS::SageMaker::PartnerApp",
        CLUSTER,
    ),
    info="The SageMaker resource stores data without a customer managed key.",
    explanation=(
        "Model cards and model packages describe models and their evaluation data, inference "
        "experiments capture shadow traffic, device fleets upload edge model data, partner apps "
        "and HyperPod EBS volumes hold working data; each takes a KMS key and uses a key AWS owns "
        "or manages without one. Each resource is checked at the places it stores data: "
        "SecurityConfig of model cards and packages (and the validation transform jobs of a "
        "package), KmsKey and DataStorageConfig.KmsKey of inference experiments, "
        "OutputConfig.KmsKeyId of device fleets, KmsKeyId of partner apps and every "
        "EbsVolumeConfig of a cluster's instance groups."
    ),
    fix="Set the resource's KMS key property to a customer managed key declared in the template.",
    practices=("P1", "P4"),
    threats=("T3", "T4"),
)
def sagemaker_resource_kms(r: Resource) -> list[Verdict]:
    """A SageMaker model card, model package, inference experiment, device fleet, partner app or cluster volume is encrypted with a customer managed key."""
    return merge(*(customer_key(r, value, label) for label, value in _stored_data_keys(r)))


@rule(
    "WorkforcePrivateNetwork",
    WARNING,
    WORKFORCE,
    info="The SageMaker private workforce portal is reachable from any address.",
    explanation=(
        "Labelers see raw training data in the workforce portal. Without WorkforceVpcConfig (the "
        "portal reached through an interface endpoint of your VPC) or a SourceIpConfig that "
        "narrows the allowed CIDRs, anyone with stolen credentials can reach it from anywhere."
    ),
    fix="Set WorkforceVpcConfig (VpcId, Subnets, SecurityGroupIds), or SourceIpConfig.Cidrs to your corporate ranges.",
    practices=("P8", "P10"),
    threats=("T3", "C2"),
)
def workforce_private_network(r: Resource) -> list[Verdict] | Verdict | None:
    """A SageMaker workforce is reached through a VPC or from allowed addresses only."""
    t = r.template
    if r.prop("WorkforceVpcConfig") is not None:
        return _vpc_verdict(r, r.prop("WorkforceVpcConfig"), "WorkforceVpcConfig")
    cidrs = t.items(r.prop("SourceIpConfig", "Cidrs"))
    if isinstance(cidrs, Unresolved):
        return unverifiable(f"SourceIpConfig.Cidrs cannot be verified: {cidrs}")
    rendered = [t.string(c) for c in cidrs]
    if any(isinstance(c, Unresolved) for c in rendered):
        return unverifiable("SourceIpConfig.Cidrs has a value that cannot be verified")
    narrow = [c for c in rendered if isinstance(c, str) and c not in ("0.0.0.0/0", "::/0")]
    if narrow and len(narrow) == len(rendered):
        return None
    return fail("neither WorkforceVpcConfig nor a SourceIpConfig narrower than 0.0.0.0/0 is set")
