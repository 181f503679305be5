"""The SageMaker jobs a template declares, wherever it declares them, as one shape the job rules read.

A job is declared by a resource (a processing job, a monitoring job definition, a monitoring
schedule's inline definition) or by a step of a pipeline's ``PipelineDefinitionBody`` (Training,
Processing, Transform and Tuning steps, inside Condition steps too). :func:`jobs` returns each with
the values the rules judge (network isolation, inter-container encryption, VPC config, volume and
output keys, instance types) and a label that names where it is (``step Train: ResourceConfig...``),
so that one rule per control covers resources and pipeline steps alike.

A pipeline body is a JSON string, or ``Fn::Sub`` / ``Fn::Join`` around one. It is rendered
leniently: a substituted value this template cannot resolve (a parameter, an import) becomes an
unverifiable value at that place, not a reason to give up on the whole definition. Pipeline
expressions (``{"Get": "Parameters.X"}``, ``Std:Join``...) are unverifiable values too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from secure_sagemaker.instance_storage import has_instance_storage
from secure_sagemaker.nag.rules._common import cached
from secure_sagemaker.nag.template import Resource, Template, Unresolved, as_dict, as_list, get, intrinsic

PROCESSING_JOB = "AWS::SageMaker::ProcessingJob"
PIPELINE = "AWS::SageMaker::Pipeline"
MONITORING_SCHEDULE = "AWS::SageMaker::MonitoringSchedule"
#: Monitoring job definitions CloudFormation declares, with the property holding their output config.
JOB_DEFINITIONS = {
    "AWS::SageMaker::DataQualityJobDefinition": "DataQualityJobOutputConfig",
    "AWS::SageMaker::ModelQualityJobDefinition": "ModelQualityJobOutputConfig",
    "AWS::SageMaker::ModelBiasJobDefinition": "ModelBiasJobOutputConfig",
    "AWS::SageMaker::ModelExplainabilityJobDefinition": "ModelExplainabilityJobOutputConfig",
}
#: Every resource type that declares jobs.
JOB_TYPES = (*JOB_DEFINITIONS, MONITORING_SCHEDULE, PROCESSING_JOB, PIPELINE)

#: A setting a kind of job does not have (a transform job has no network config of its own).
NOT_APPLICABLE = object()
_MAX_STEPS_DEPTH = 8
_PLACEHOLDER = re.compile(r"^\$\{([^}]+)\}$")
_PIPELINE_EXPRESSIONS = ("Get", "Std:Join", "Std:JsonGet")


@dataclass
class Job:
    """One job: where it is declared and the raw values of its security settings."""

    where: str  # "" for a resource, "step Train: " for a pipeline step
    isolation: Any = NOT_APPLICABLE
    inter_container: Any = NOT_APPLICABLE
    vpc: Any = NOT_APPLICABLE
    volume_key: Any = None
    output_key: Any = None
    labels: dict[str, str] = field(default_factory=dict)  # setting -> property path for messages
    instance_types: list[Any] = field(default_factory=list)

    def label(self, setting: str) -> str:
        return f"{self.where}{self.labels[setting]}"

    def local_storage_only(self) -> bool:
        """True when every instance of the job has local instance storage (no volume key possible)."""
        return bool(self.instance_types) and all(has_instance_storage(t) for t in self.instance_types)


def jobs(r: Resource) -> list[Job] | Unresolved:
    """The jobs ``r`` declares; :class:`Unresolved` when a pipeline definition cannot be read."""
    return cached(r.template, f"jobs.{r.logical_id}", lambda: _jobs(r))


def _network_job(where: str, prefix: str, network: Any, template: Template) -> Job:
    network = template.mapping(network)
    if isinstance(network, Unresolved):
        return Job(
            where, isolation=network, inter_container=network, vpc=network, labels=_labels(prefix, "NetworkConfig")
        )
    network = as_dict(network)
    return Job(
        where,
        isolation=network.get("EnableNetworkIsolation"),
        inter_container=network.get("EnableInterContainerTrafficEncryption"),
        vpc=network.get("VpcConfig"),
        labels=_labels(prefix, "NetworkConfig"),
    )


def _labels(prefix: str, network: str) -> dict[str, str]:
    return {
        "isolation": f"{prefix}{network}.EnableNetworkIsolation",
        "inter_container": f"{prefix}{network}.EnableInterContainerTrafficEncryption",
        "vpc": f"{prefix}{network}.VpcConfig",
    }


def _jobs(r: Resource) -> list[Job] | Unresolved:
    t = r.template
    if r.type == MONITORING_SCHEDULE:
        definition = t.mapping(r.prop("MonitoringScheduleConfig", "MonitoringJobDefinition"))
        if not isinstance(definition, dict):
            return []  # the schedule names a job definition, which is checked on its own
        prefix = "MonitoringScheduleConfig.MonitoringJobDefinition."
        job = _network_job("", prefix, definition.get("NetworkConfig"), t)
        cluster = as_dict(t.mapping(get(definition, "MonitoringResources", "ClusterConfig")))
        job.volume_key = cluster.get("VolumeKmsKeyId")
        job.output_key = get(definition, "MonitoringOutputConfig", "KmsKeyId")
        job.instance_types = [cluster.get("InstanceType")]
        job.labels.update(
            volume_key=f"{prefix}MonitoringResources.ClusterConfig.VolumeKmsKeyId",
            output_key=f"{prefix}MonitoringOutputConfig.KmsKeyId",
        )
        return [job]
    if r.type in JOB_DEFINITIONS:
        output = JOB_DEFINITIONS[r.type]
        job = _network_job("", "", r.prop("NetworkConfig"), t)
        cluster = as_dict(t.mapping(r.prop("JobResources", "ClusterConfig")))
        job.volume_key = cluster.get("VolumeKmsKeyId")
        job.output_key = r.prop(output, "KmsKeyId")
        job.instance_types = [cluster.get("InstanceType")]
        job.labels.update(volume_key="JobResources.ClusterConfig.VolumeKmsKeyId", output_key=f"{output}.KmsKeyId")
        return [job]
    if r.type == PROCESSING_JOB:
        return [_processing("", r.properties, t)]
    if r.type == PIPELINE:
        return _pipeline_jobs(r)
    return []


# ------------------------------------------------------------------------------------------
# Job requests (CreateProcessingJob, CreateTrainingJob...) as resources and pipeline steps
# ------------------------------------------------------------------------------------------


def _processing(where: str, args: dict, t: Template) -> Job:
    job = _network_job(where, "", args.get("NetworkConfig"), t)
    cluster = as_dict(t.mapping(get(args, "ProcessingResources", "ClusterConfig")))
    job.volume_key = cluster.get("VolumeKmsKeyId")
    job.output_key = get(args, "ProcessingOutputConfig", "KmsKeyId")
    job.instance_types = [cluster.get("InstanceType")]
    job.labels.update(
        volume_key="ProcessingResources.ClusterConfig.VolumeKmsKeyId", output_key="ProcessingOutputConfig.KmsKeyId"
    )
    return job


def _training(where: str, args: dict, t: Template, prefix: str = "") -> Job:
    resources = as_dict(t.mapping(args.get("ResourceConfig")))
    types = [resources.get("InstanceType")] if resources.get("InstanceType") is not None else []
    for group in as_list(resources.get("InstanceGroups")):
        types.append(as_dict(group).get("InstanceType"))
    return Job(
        where,
        isolation=args.get("EnableNetworkIsolation"),
        inter_container=args.get("EnableInterContainerTrafficEncryption"),
        vpc=args.get("VpcConfig"),
        volume_key=resources.get("VolumeKmsKeyId"),
        output_key=get(args, "OutputDataConfig", "KmsKeyId"),
        instance_types=types,
        labels={
            "isolation": f"{prefix}EnableNetworkIsolation",
            "inter_container": f"{prefix}EnableInterContainerTrafficEncryption",
            "vpc": f"{prefix}VpcConfig",
            "volume_key": f"{prefix}ResourceConfig.VolumeKmsKeyId",
            "output_key": f"{prefix}OutputDataConfig.KmsKeyId",
        },
    )


def _transform(where: str, args: dict, t: Template) -> Job:
    resources = as_dict(t.mapping(args.get("TransformResources")))
    return Job(
        where,
        volume_key=resources.get("VolumeKmsKeyId"),
        output_key=get(args, "TransformOutput", "KmsKeyId"),
        instance_types=[resources.get("InstanceType")],
        labels={"volume_key": "TransformResources.VolumeKmsKeyId", "output_key": "TransformOutput.KmsKeyId"},
    )


def _tuning(where: str, args: dict, t: Template) -> list[Job]:
    found = []
    if isinstance(args.get("TrainingJobDefinition"), dict):
        found.append(_training(where, args["TrainingJobDefinition"], t, "TrainingJobDefinition."))
    for index, definition in enumerate(as_list(args.get("TrainingJobDefinitions"))):
        if isinstance(definition, dict):
            found.append(_training(where, definition, t, f"TrainingJobDefinitions[{index}]."))
    return found


# ------------------------------------------------------------------------------------------
# Pipeline definitions
# ------------------------------------------------------------------------------------------


def pipeline_definition(r: Resource) -> dict | Unresolved | None:
    """The parsed ``PipelineDefinitionBody`` of a pipeline, :class:`Unresolved`, or None when absent."""
    t = r.template
    definition = t.mapping(r.prop("PipelineDefinition"))
    if isinstance(definition, Unresolved):
        return Unresolved(f"PipelineDefinition cannot be read: {definition}")
    definition = as_dict(definition)
    if definition.get("PipelineDefinitionS3Location") is not None and definition.get("PipelineDefinitionBody") is None:
        return Unresolved(
            "the pipeline definition is read from S3 (PipelineDefinitionS3Location), not from this template"
        )
    body = definition.get("PipelineDefinitionBody")
    if body is None:
        return None
    text = _lenient_text(body, t, 0)
    if not isinstance(text, str):
        return Unresolved("PipelineDefinitionBody is not a string this template can render")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        return Unresolved(f"PipelineDefinitionBody is not valid JSON ({exc.msg} at character {exc.pos})")
    if not isinstance(parsed, dict):
        return Unresolved("PipelineDefinitionBody is not a JSON object")
    return _expressions(parsed, t, 0)


def _lenient_text(value: Any, t: Template, depth: int) -> str | None:
    """``value`` as text, keeping ``${Name}`` for every substitution (resolved or not)."""
    if depth > 16:
        return None
    if isinstance(value, str):
        return value
    fn = intrinsic(value)
    if fn is None:
        return None
    name, arg = fn
    if name == "Fn::Sub":
        pattern = arg[0] if isinstance(arg, list) and arg else arg
        variables = as_dict(arg[1]) if isinstance(arg, list) and len(arg) > 1 else {}
        if not isinstance(pattern, str):
            return None

        def substitute(match: re.Match) -> str:
            inner = match.group(1).strip()
            if inner in variables:
                rendered = _lenient_text(variables[inner], t, depth + 1)
                if rendered is None:
                    rendered = t.render(variables[inner])
                return rendered if isinstance(rendered, str) else "${" + inner + "}"
            return match.group(0)

        return re.sub(r"\$\{([^}!][^}]*)\}", substitute, pattern)
    if name == "Fn::Join":
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], list)):
            return None
        parts = []
        for part in arg[1]:
            text = _lenient_text(part, t, depth + 1)
            if text is None:
                rendered = t.render(part)
                text = rendered if isinstance(rendered, str) else "${?}"
            parts.append(text)
        return arg[0].join(parts)
    rendered = t.render(value)
    return rendered if isinstance(rendered, str) else None


def _expressions(value: Any, t: Template, depth: int) -> Any:
    """Pipeline expressions and unresolvable ``${Name}`` strings as :class:`Unresolved`."""
    if depth > 64:
        return Unresolved("the pipeline definition nests too deeply to follow")
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _PIPELINE_EXPRESSIONS:
            return Unresolved(f"the value is the pipeline expression {json.dumps(value, separators=(',', ':'))[:80]}")
        return {k: _expressions(v, t, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_expressions(v, t, depth + 1) for v in value]
    if isinstance(value, str):
        match = _PLACEHOLDER.match(value)
        if match and match.group(1).split(".", 1)[0] not in t.resources:
            return Unresolved(f"the value is {value}, which this template cannot resolve")
    return value


def _steps(steps: Any, depth: int = 0) -> list[dict]:
    """Every step, those inside Condition steps included."""
    found = []
    if depth > _MAX_STEPS_DEPTH:
        return found
    for step in as_list(steps):
        if not isinstance(step, dict):
            continue
        found.append(step)
        if step.get("Type") == "Condition":
            arguments = as_dict(step.get("Arguments"))
            found.extend(_steps(arguments.get("IfSteps"), depth + 1))
            found.extend(_steps(arguments.get("ElseSteps"), depth + 1))
    return found


def _pipeline_jobs(r: Resource) -> list[Job] | Unresolved:
    definition = pipeline_definition(r)
    if definition is None:
        return []
    if isinstance(definition, Unresolved):
        return definition
    t = r.template
    found: list[Job] = []
    for index, step in enumerate(_steps(definition.get("Steps"))):
        name = step.get("Name")
        where = f"step {name}: " if isinstance(name, str) else f"step {index}: "
        args = step.get("Arguments")
        kind = step.get("Type")
        if kind not in ("Training", "Processing", "Transform", "Tuning"):
            continue
        if not isinstance(args, dict):
            unknown = Unresolved("the step's Arguments cannot be read")
            settings = ("isolation", "inter_container", "vpc", "volume_key", "output_key")
            found.append(Job(where, *(unknown,) * 5, labels=dict.fromkeys(settings, "Arguments")))
            continue
        if kind == "Training":
            found.append(_training(where, args, t))
        elif kind == "Processing":
            found.append(_processing(where, args, t))
        elif kind == "Transform":
            found.append(_transform(where, args, t))
        else:
            found.extend(_tuning(where, args, t))
    return found
