"""SageMaker Model Monitor data-quality monitoring of a SecureEndpoint's captured data.

``SecureDataQualityMonitor`` defines a data-quality job definition
(``AWS::SageMaker::DataQualityJobDefinition``) and the schedule that runs it
(``AWS::SageMaker::MonitoringSchedule``). The job reads the requests a
:class:`~secure_sagemaker.inference.SecureEndpoint` captures, computes statistics of them and, with
a baseline, reports violations of the baseline's constraints. It runs network-isolated in the
isolated subnets of the endpoint's network, with its volume and its reports on customer-managed
keys. An EventBridge rule sends failed or stopped monitoring jobs to the endpoint's alarm topic
(with a caveat the class docstring states).

As in :mod:`secure_sagemaker.inference` and :mod:`secure_sagemaker.feature_store`, the controls are
checked again at synthesis, so later edits of the exposed L1 resources fail ``cdk synth``, and the
construct grants an :class:`~secure_sagemaker.identity.ExecutionRole` what its jobs use.

Model Monitor's availability: the SageMaker Developer Guide now says that "Amazon SageMaker Model
Monitor is no longer open to new customers. Existing customers can continue to use the service as
normal" (the note at the top of the Model Monitor pages, seen on
https://docs.amazonaws.cn/en_us/sagemaker/latest/dg/model-monitor-byoc-containers.html, pointing to
"Amazon SageMaker Model Monitor availability change"). An account that has never used Model Monitor
may therefore be refused when this stack is deployed; nothing at synthesis can tell.

References (checked when this module was written):

- The prebuilt analyzer image ``sagemaker-model-monitor-analyzer`` and its registry account per
  Region: *Amazon SageMaker Model Monitor prebuilt container*, Amazon SageMaker Developer Guide
  (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html), in the
  edition whose source is ``doc_source/model-monitor-pre-built-container.md`` of
  awsdocs/amazon-sagemaker-developer-guide (the table of 25 Regions copied into
  :data:`ANALYZER_REGISTRY_ACCOUNTS`). The current page sends readers to *Docker Registry Paths and
  Example Code* (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html,
  choose the Region, then "Model Monitor (algorithm)"), which also lists Regions added since. The
  image cannot be pulled by customers; SageMaker pulls it with its own credentials, and the path
  has no tag (the page's example is ``159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer``).
  China Regions use the ``amazonaws.com.cn`` suffix, hence ``AWS::URLSuffix``.
- ``ScheduleConfig.ScheduleExpression``: hourly ``cron(0 * ? * * *)``, daily ``cron(0 H ? * * *)``,
  every N hours ``cron(0 H/N ? * * *)``, or ``NOW`` for one run
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html).
- ``MonitoringStoppingCondition.MaxRuntimeInSeconds``: 1 to 86400, and no longer than the
  schedule's interval (3600 seconds for an hourly data-quality schedule)
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringStoppingCondition.html).
- Network isolation is supported for data-quality jobs: AWS Config's managed rule
  ``sagemaker-data-quality-job-isolation`` reports ``AWS::SageMaker::DataQualityJobDefinition``
  resources whose ``NetworkConfig.EnableNetworkIsolation`` is false
  (https://docs.aws.amazon.com/config/latest/developerguide/sagemaker-data-quality-job-isolation.html).
  The analyzer needs no network of its own: SageMaker copies the captured data to the input's
  ``LocalPath`` and uploads the output's ``LocalPath`` (*Container Contract Inputs*,
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-contract-inputs.html), and the
  container emits CloudWatch metrics by writing files under ``/opt/ml/output/metrics/cloudwatch``
  (*CloudWatch Metrics for Bring Your Own Containers*,
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-cloudwatch.html).
- ``publish_cloudwatch_metrics``: the container environment variable, ``Enabled`` or ``Disabled``
  (the same contract page; the SageMaker Python SDK sets it under that name).
- CloudWatch metrics of the analyzer: ``feature_baseline_drift_<feature>`` and others per feature
  (*CloudWatch Metrics*, https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html).
  The documentation names the namespace and dimensions inconsistently
  (``/aws/sagemaker/Endpoints/data-metric`` with ``EndpointName`` and ``ScheduleName`` on that page,
  ``/aws/sagemaker/Endpoint/data-metrics`` with ``Endpoint`` and ``MonitoringSchedule`` on the
  bring-your-own-container page), and the metric names depend on the model's features, so this
  construct creates no drift alarm: an alarm on a metric that never arrives never fires.
- EventBridge: SageMaker sends ``SageMaker Processing Job State Change`` events
  (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-sagemaker.html); a processing job
  that a schedule starts carries ``MonitoringScheduleArn`` in its description, next to
  ``ProcessingJobStatus`` (``InProgress``, ``Completed``, ``Failed``, ``Stopping``, ``Stopped``)
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeProcessingJob.html).
- The CloudFormation resource schemas (as cfn-lint ships them): every property of the job
  definition but ``EndpointName`` is create-only and ``JobDefinitionName`` is optional, so the job
  definition keeps a generated name and is replaced on any change; ``MonitoringScheduleName`` is
  required and create-only.
"""

from __future__ import annotations

import re
import warnings
from types import MappingProxyType
from typing import Any, Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from secure_sagemaker import _grants as grants
from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._flatten import TOKEN_MARK
from secure_sagemaker._validation import (
    describe,
    fail,
    is_token,
    rendered_string,
    require_attribute,
    require_instance_type,
    require_key,
    require_type,
    require_whole_number,
    s3_key_prefix,
)
from secure_sagemaker._workload import execution_role_of
from secure_sagemaker.audit.alerts import TopicTarget
from secure_sagemaker.identity import ExecutionRole, S3Prefix
from secure_sagemaker.inference import SecureEndpoint
from secure_sagemaker.instance_storage import has_instance_storage
from secure_sagemaker.interfaces import (
    EncryptedBucket,
    WorkloadNetwork,
    is_encrypted_bucket,
    require_encrypted_bucket,
    require_network,
)

#: The repository of Model Monitor's prebuilt analyzer image in each Region's registry.
ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
#: Region -> the AWS account whose registry holds :data:`ANALYZER_REPOSITORY`, as the SageMaker
#: Developer Guide's *Amazon SageMaker Model Monitor prebuilt container* lists them (25 Regions;
#: see the module docstring). A Region not listed needs ``image_uri``.
ANALYZER_REGISTRY_ACCOUNTS: Mapping[str, str] = MappingProxyType(
    {
        "us-east-1": "156813124566",
        "us-east-2": "777275614652",
        "us-west-1": "890145073186",
        "us-west-2": "159807026194",
        "af-south-1": "875698925577",
        "ap-east-1": "001633400207",
        "ap-northeast-1": "574779866223",
        "ap-northeast-2": "709848358524",
        "ap-northeast-3": "990339680094",
        "ap-south-1": "126357580389",
        "ap-southeast-1": "245545462676",
        "ap-southeast-2": "563025443158",
        "ap-southeast-3": "669540362728",
        "ca-central-1": "536280801234",
        "cn-north-1": "453000072557",
        "cn-northwest-1": "453252182341",
        "eu-central-1": "048819808253",
        "eu-north-1": "895015795356",
        "eu-south-1": "933208885752",
        "eu-west-1": "468650794304",
        "eu-west-2": "749857270468",
        "eu-west-3": "680080141114",
        "me-south-1": "607024016150",
        "sa-east-1": "539772159869",
        "us-gov-west-1": "362178532790",
    }
)
#: Logical id of the stack-level mapping of :data:`ANALYZER_REGISTRY_ACCOUNTS`.
ANALYZER_MAPPING_ID = "ModelMonitorAnalyzerRegistries"
#: Every hour, on the hour (UTC): the API's own example, and the default here.
HOURLY = "cron(0 * ? * * *)"
#: The schedule expressions SageMaker accepts for a recurring schedule: hourly, daily at an hour,
#: or every N hours from an hour.
_SCHEDULE = re.compile(r"^cron\(0 (?:\*|(?P<hour>\d{1,2})(?:/(?P<every>\d{1,2}))?) \? \* \* \*\)$")
#: Where SageMaker puts the captured data and picks up the reports in the container (the paths
#: the SageMaker Python SDK uses).
INPUT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
#: The analyzer's environment: publish per-feature CloudWatch metrics.
ANALYZER_ENVIRONMENT: Mapping[str, str] = MappingProxyType({"publish_cloudwatch_metrics": "Enabled"})
#: Processing job states that mean a monitoring run produced no analysis.
FAILED_JOB_STATES = ("Failed", "Stopped")
#: Instances of a monitoring job (the resource schema's range).
MIN_INSTANCES, MAX_INSTANCES = 1, 100
#: ML storage volume of a monitoring job, in GB (the resource schema's range).
MIN_VOLUME_GB, MAX_VOLUME_GB = 1, 16384
#: ``MaxRuntimeInSeconds`` never exceeds a day.
MAX_RUNTIME_SECONDS = 86_400
#: ``S3Output.S3Uri`` is at most this long.
MAX_OUTPUT_URI_LENGTH = 512
#: What a monitor reads of its endpoint (a SecureEndpoint has them all).
_ENDPOINT_ATTRIBUTES = ("endpoint_name", "model", "data_capture_bucket", "data_capture_prefix", "alarm_topic")
#: Monitoring schedule names (the API's pattern).
SCHEDULE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_ECR_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9]+(?:[._/-][a-z0-9]+)*(?:[:@]\S+)?$"
)
_S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S*[^/\s]$")


def analyzer_image_uri(scope: Construct) -> str:
    """The analyzer image of the stack's Region, resolved at deployment through a ``CfnMapping``.

    One mapping per stack (logical id :data:`ANALYZER_MAPPING_ID`) keyed by ``AWS::Region``; a
    deployment to a Region the mapping lacks fails in CloudFormation (``Fn::FindInMap`` cannot
    find the key) before any resource is created.
    """
    stack = cdk.Stack.of(scope)
    mapping = stack.node.try_find_child(ANALYZER_MAPPING_ID)
    if mapping is None:
        mapping = cdk.CfnMapping(
            stack,
            ANALYZER_MAPPING_ID,
            mapping={region: {"account": account} for region, account in ANALYZER_REGISTRY_ACCOUNTS.items()},
        )
    account = mapping.find_in_map(cdk.Aws.REGION, "account")
    return f"{account}.dkr.ecr.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}/{ANALYZER_REPOSITORY}"


def schedule_interval_hours(expression: str) -> int | None:
    """Hours between two runs of ``expression``, or None when SageMaker does not accept it."""
    match = _SCHEDULE.match(expression)
    if match is None:
        return None
    hour, every = match.group("hour"), match.group("every")
    if hour is None:
        return 1
    if not 0 <= int(hour) <= 23:
        return None
    if every is None:
        return 24
    return int(every) if 1 <= int(every) <= 24 else None


def _prefix_parts(prefix: str) -> list[str]:
    return [part for part in prefix.split("/") if part]


class SecureDataQualityMonitor(Construct):
    """Model Monitor data-quality monitoring of a SecureEndpoint: isolated, encrypted, alarmed.

    - Job definition (``AWS::SageMaker::DataQualityJobDefinition``) whose input is the endpoint's
      captured data (``EndpointInput`` with the endpoint's name; SageMaker copies the data of the
      monitoring period to ``/opt/ml/processing/input/endpoint``) and whose output is
      ``output_prefix`` of ``output_bucket`` (by default the endpoint's data-capture bucket under
      ``monitoring``), uploaded at the end of the job with ``KmsKeyId`` set to that bucket's key
      (enforced).
    - Job resources: ``instance_count`` instances of ``instance_type`` with ``volume_size`` GB
      volumes encrypted with ``encryption_key`` (``VolumeKmsKeyId``, enforced), stopped after
      ``max_runtime``. Instance types with local instance storage
      (:func:`~secure_sagemaker.instance_storage.has_instance_storage`) get no ``VolumeKmsKeyId``:
      SageMaker rejects one for them, and their volumes are encrypted in hardware.
    - ``NetworkConfig`` (enforced, no opt-out): ``EnableNetworkIsolation: true``,
      ``EnableInterContainerTrafficEncryption: true`` and ``VpcConfig`` in the isolated subnets of
      the endpoint's model's PrivateNetwork with its workload security group. The prebuilt analyzer
      needs no network: SageMaker moves the data in and the reports out, through the VPC's S3
      gateway endpoint, and the container writes its metrics to files (see the module docstring).
    - The image: Model Monitor's prebuilt ``sagemaker-model-monitor-analyzer``, looked up at
      deployment in a per-stack ``CfnMapping`` of Region -> registry account
      (:data:`ANALYZER_REGISTRY_ACCOUNTS`, 25 Regions). A stack with an explicit Region outside the
      table is a PropError; an environment-agnostic stack deployed to such a Region fails in
      CloudFormation. ``image_uri`` replaces the lookup (a Region added since, or a pinned tag or
      digest). The analyzer publishes per-feature CloudWatch metrics
      (``publish_cloudwatch_metrics: Enabled``).
    - Baseline (optional, recommended): ``baseline_constraints_uri`` and
      ``baseline_statistics_uri``, the ``constraints.json`` and ``statistics.json`` a baselining job
      (the SageMaker Python SDK's ``DefaultModelMonitor.suggest_baseline``) computed from the
      training data. Without constraints the job only computes statistics of the captured data and
      reports no violation; without statistics there is no drift against the training
      distribution. This construct runs no baselining job.
    - Schedule (``AWS::SageMaker::MonitoringSchedule``, type ``DataQuality``) on
      ``schedule_expression``: hourly by default; daily (``cron(0 H ? * * *)``) or every N hours
      (``cron(0 H/N ? * * *)``) as the API accepts. ``NOW`` (one run at deployment, then nothing)
      is refused: that is a one-off analysis, not monitoring. SageMaker starts a run up to 20
      minutes after the scheduled time.
    - Alert: an EventBridge rule sends ``SageMaker Processing Job State Change`` events of this
      schedule's jobs (``MonitoringScheduleArn``) that end ``Failed`` or ``Stopped`` to the
      endpoint's ``alarm_topic``, whose policy and key must admit ``events.amazonaws.com``
      (:class:`~secure_sagemaker.audit.alerts.AlertTopic` does). Without an AWS account it was not
      possible to see a real event: the rule assumes that the event's ``detail`` carries the job's
      ``MonitoringScheduleArn`` as ``DescribeProcessingJob`` does (SageMaker's training and
      transform job events carry their whole description). Confirm it once after deployment, for
      example with ``aws events test-event-pattern`` on an event of a stopped monitoring job. No
      alarm on drift itself (see the module docstring); read the violations report under
      ``output_s3_uri``, or alarm on the analyzer's metrics once you have seen their namespace and
      dimensions in your account.
    - Nothing is retained: the job definition, schedule and rule hold no data. The reports are in
      ``output_bucket``, a retained SecureBucket.
    - ``RoleArn``: ``role``, which SageMaker assumes for every run. It needs to read the captured
      data (``capture_bucket`` under ``capture_prefix``) and the baseline objects, to write under
      ``output_prefix`` of ``output_bucket``, to use ``encryption_key`` and both buckets' keys, to
      create network interfaces in the subnets with the security group, and to write the logs of
      ``/aws/sagemaker/ProcessingJobs``. An :class:`~secure_sagemaker.identity.ExecutionRole` is
      granted the data parts of that: ``grant_read`` on the capture prefix and on the folder of
      each baseline object (a literal key; an object at a bucket's root or a token key is not
      granted), ``grant_read_write`` on the output prefix (each with its bucket's key) and
      ``grant_encrypt_decrypt`` on ``encryption_key``. Its network and log permissions come from
      its props: ``ExecutionRole(subnets=network.subnets,
      security_groups=[network.workload_security_group])`` (the default ``log_groups`` include
      the processing jobs'). Any other ``iam.IRole`` is granted nothing: give it all of the above
      yourself.

    Keyword-only props:

    :param endpoint: the SecureEndpoint whose captured data is monitored (or an object with its
        ``endpoint_name``, ``model``, ``data_capture_bucket``, ``data_capture_prefix`` and
        ``alarm_topic``, such as a SecureEndpoint of another stack). Required.
    :param role: the role of the monitoring jobs: an
        :class:`~secure_sagemaker.identity.ExecutionRole` (its ``role`` is used) or an ``iam.IRole``
        assumed by ``sagemaker.amazonaws.com``. Required.
    :param encryption_key: customer-managed KMS key of the monitoring instances' volumes (a key
        itself, not an alias). Required.
    :param output_bucket: the bucket receiving the reports, whose key encrypts them: an
        :class:`~secure_sagemaker.interfaces.EncryptedBucket` (a SecureBucket, or
        ``EncryptedBucketRef(bucket, key)``) or an ``s3.IBucket`` whose customer-managed
        ``encryption_key`` is known. Default: the endpoint's ``data_capture_bucket``.
    :param output_prefix: key prefix of the reports in ``output_bucket``; in the capture bucket it
        must lie outside the capture prefix. Default ``"monitoring"``.
    :param schedule_expression: when the job runs (see above). Default ``"cron(0 * ? * * *)"``,
        hourly.
    :param baseline_constraints_uri: ``s3://`` URI of the baseline's ``constraints.json``.
        Default: none (no violations are reported).
    :param baseline_statistics_uri: ``s3://`` URI of the baseline's ``statistics.json``.
        Default: none.
    :param baseline_bucket: the bucket holding both baseline objects (a SecureBucket, an
        EncryptedBucketRef or an ``s3.IBucket``); the URIs must then be objects in it. Default: none, and the URIs need
        only be ``s3://<bucket>/<key>``.
    :param instance_type: ``ml.*`` instance type of the job. Default ``"ml.m5.xlarge"`` (the
        SageMaker Python SDK's default for Model Monitor).
    :param instance_count: instances of the job, 1 to 100. Default 1.
    :param volume_size: ML storage volume per instance in GB, 1 to 16384. Default 30.
    :param max_runtime: how long a run may take before SageMaker stops it: whole seconds, at most
        a day and at most the schedule's interval. Default ``Duration.minutes(60)``.
    :param image_uri: the analyzer image, an ECR image URI. Default: the prebuilt image of the
        deployment Region, from the mapping.
    :param schedule_name: the schedule's name, unique in the account and Region (1-63 letters,
        digits and hyphens; validated unless a token). Default: generated from the construct path
        (CloudFormation requires a name).

    Read-only attributes: ``job_definition`` (``CfnDataQualityJobDefinition``),
    ``job_definition_arn``, ``job_definition_name``, ``schedule`` (``CfnMonitoringSchedule``),
    ``schedule_name``, ``schedule_arn``, ``schedule_expression``, ``failure_rule``
    (``events.Rule``), ``endpoint``, ``role`` (always an ``iam.IRole``), ``encryption_key``,
    ``image_uri``, ``network``, ``capture_bucket`` (an EncryptedBucket), ``capture_prefix``,
    ``output_bucket`` (an EncryptedBucket), ``output_prefix``, ``output_s3_uri``,
    ``output_encryption_key``, ``baseline_constraints_uri``, ``baseline_statistics_uri``,
    ``baseline_bucket``. Deprecated, removed in the next release: ``role_read_prefixes``,
    ``role_write_prefixes`` (tuples of :class:`~secure_sagemaker.identity.S3Prefix`), ``role_keys``
    (tuple of keys), which said what the role needed before the construct granted it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: SecureEndpoint,
        role: iam.IRole | ExecutionRole,
        encryption_key: kms.IKey,
        output_bucket: EncryptedBucket | s3.IBucket | None = None,
        output_prefix: str = "monitoring",
        schedule_expression: str = HOURLY,
        baseline_constraints_uri: str | None = None,
        baseline_statistics_uri: str | None = None,
        baseline_bucket: EncryptedBucket | s3.IBucket | None = None,
        instance_type: str = "ml.m5.xlarge",
        instance_count: int = 1,
        volume_size: int = 30,
        max_runtime: cdk.Duration = cdk.Duration.minutes(60),
        image_uri: str | None = None,
        schedule_name: str | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        for attribute in _ENDPOINT_ATTRIBUTES:
            require_attribute(
                me, "endpoint", endpoint, attribute, "pass the SecureEndpoint whose captured data to monitor"
            )
        require_encrypted_bucket(me, "endpoint.data_capture_bucket", endpoint.data_capture_bucket)
        self._role = execution_role_of(me, "role", role)
        require_key(
            me, "encryption_key", encryption_key, "pass a customer-managed kms.IKey, e.g. KeyRing(...).models_key"
        )
        network = require_network(me, "endpoint.model.network", getattr(endpoint.model, "network", None))
        self._output_bucket, self._output_prefix = self._check_output(me, endpoint, output_bucket, output_prefix)
        interval = self._check_schedule(me, schedule_expression)
        runtime = self._check_resources(me, instance_type, instance_count, volume_size, max_runtime, interval)
        self._baseline_bucket = self._check_baseline(
            me, baseline_constraints_uri, baseline_statistics_uri, baseline_bucket
        )
        self._image_uri = self._check_image(me, image_uri)
        self._schedule_name = self._check_schedule_name(me, schedule_name)

        self._endpoint = endpoint
        self._key = encryption_key
        self._network = network
        self._schedule_expression = schedule_expression
        self._constraints_uri = baseline_constraints_uri
        self._statistics_uri = baseline_statistics_uri
        self._output_s3_uri = f"s3://{self._output_bucket.bucket.bucket_name}/{self._output_prefix}"
        subnets = [s.subnet_id for s in network.subnets.subnets or []]
        sg_id = network.workload_security_group.security_group_id
        output_key_arn = self._output_bucket.key.key_arn
        baseline: sagemaker.CfnDataQualityJobDefinition.DataQualityBaselineConfigProperty | None = None
        if baseline_constraints_uri is not None or baseline_statistics_uri is not None:
            baseline = sagemaker.CfnDataQualityJobDefinition.DataQualityBaselineConfigProperty(
                constraints_resource=sagemaker.CfnDataQualityJobDefinition.ConstraintsResourceProperty(
                    s3_uri=baseline_constraints_uri
                )
                if baseline_constraints_uri is not None
                else None,
                statistics_resource=sagemaker.CfnDataQualityJobDefinition.StatisticsResourceProperty(
                    s3_uri=baseline_statistics_uri
                )
                if baseline_statistics_uri is not None
                else None,
            )
        definition = sagemaker.CfnDataQualityJobDefinition
        self._job = definition(
            self,
            "JobDefinition",
            role_arn=self._role.role_arn,
            data_quality_app_specification=definition.DataQualityAppSpecificationProperty(
                image_uri=self._image_uri, environment=dict(ANALYZER_ENVIRONMENT)
            ),
            data_quality_baseline_config=baseline,
            data_quality_job_input=definition.DataQualityJobInputProperty(
                endpoint_input=definition.EndpointInputProperty(
                    endpoint_name=endpoint.endpoint_name, local_path=INPUT_LOCAL_PATH
                )
            ),
            data_quality_job_output_config=definition.MonitoringOutputConfigProperty(
                kms_key_id=output_key_arn,
                monitoring_outputs=[
                    definition.MonitoringOutputProperty(
                        s3_output=definition.S3OutputProperty(
                            local_path=OUTPUT_LOCAL_PATH, s3_uri=self._output_s3_uri, s3_upload_mode="EndOfJob"
                        )
                    )
                ],
            ),
            job_resources=definition.MonitoringResourcesProperty(
                cluster_config=definition.ClusterConfigProperty(
                    instance_count=instance_count,
                    instance_type=instance_type,
                    volume_size_in_gb=volume_size,
                    volume_kms_key_id=None if has_instance_storage(instance_type) else encryption_key.key_arn,
                )
            ),
            network_config=definition.NetworkConfigProperty(
                enable_network_isolation=True,
                enable_inter_container_traffic_encryption=True,
                vpc_config=definition.VpcConfigProperty(security_group_ids=[sg_id], subnets=subnets),
            ),
            stopping_condition=definition.StoppingConditionProperty(max_runtime_in_seconds=runtime),
        )
        self._grant_what_the_jobs_use()
        # The generated name is the last part of the ARN (``...:data-quality-job-definition/<name>``);
        # a name of our own would make every change, all of which replace the definition, fail.
        self._job_name = cdk.Fn.select(1, cdk.Fn.split("/", self._job.attr_job_definition_arn))
        self._schedule = sagemaker.CfnMonitoringSchedule(
            self,
            "Schedule",
            monitoring_schedule_name=self._schedule_name,
            endpoint_name=endpoint.endpoint_name,
            monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
                monitoring_job_definition_name=self._job_name,
                monitoring_type="DataQuality",
                schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(
                    schedule_expression=schedule_expression
                ),
            ),
        )
        self._rule = events.Rule(
            self,
            "FailedRunsRule",
            description="Data-quality monitoring runs of this schedule that failed or were stopped, to the endpoint's alarm "
            "topic",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Processing Job State Change"],
                detail={
                    "ProcessingJobStatus": list(FAILED_JOB_STATES),
                    "MonitoringScheduleArn": [self._schedule.attr_monitoring_schedule_arn],
                },
            ),
            targets=[TopicTarget(endpoint.alarm_topic)],
        )

        r = cdk.Stack.of(self).resolve
        enforce_rules(
            self,
            resources=[self._job],
            rules=["JobNetworkIsolation", "JobInterContainerEncryption", "JobVpcConfig", "JobKms"],
            identity=[
                (
                    "NetworkConfig.VpcConfig in these isolated subnets with the workload security group",
                    lambda p: (
                        p["NetworkConfig"]["VpcConfig"] == {"SecurityGroupIds": [r(sg_id)], "Subnets": r(subnets)}
                    ),
                ),
                (
                    "no JobResources.ClusterConfig.VolumeKmsKeyId (the instance type's local storage is encrypted in "
                    "hardware)",
                    lambda p: "VolumeKmsKeyId" not in p["JobResources"]["ClusterConfig"],
                )
                if has_instance_storage(instance_type)
                else (
                    "JobResources.ClusterConfig.VolumeKmsKeyId: this encryption_key",
                    lambda p: p["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == r(encryption_key.key_arn),
                ),
                (
                    "DataQualityJobOutputConfig with the output bucket's KmsKeyId",
                    lambda p: (
                        p["DataQualityJobOutputConfig"]["KmsKeyId"] == r(output_key_arn)
                        and [o["S3Output"]["S3Uri"] for o in p["DataQualityJobOutputConfig"]["MonitoringOutputs"]]
                        == [r(self._output_s3_uri)]
                    ),
                ),
                (
                    "DataQualityJobInput.EndpointInput of the endpoint",
                    lambda p: (
                        p["DataQualityJobInput"]
                        == {"EndpointInput": {"EndpointName": r(endpoint.endpoint_name), "LocalPath": INPUT_LOCAL_PATH}}
                    ),
                ),
            ],
        )

    # --- validation -----------------------------------------------------------------------

    def _check_output(self, me: str, endpoint: SecureEndpoint, bucket: Any, prefix: Any) -> tuple[EncryptedBucket, str]:
        if bucket is not None:
            bucket = require_encrypted_bucket(me, "output_bucket", bucket)
        bucket = bucket or endpoint.data_capture_bucket
        prefix = s3_key_prefix(
            me, "output_prefix", prefix, "monitoring", max_uri_length=MAX_OUTPUT_URI_LENGTH, uri="output URI"
        )
        if is_token(prefix):
            return bucket, prefix
        capture = endpoint.data_capture_prefix
        if bucket is endpoint.data_capture_bucket and not is_token(capture):
            ours, theirs = _prefix_parts(prefix), _prefix_parts(capture)
            shorter = min(len(ours), len(theirs))
            if ours[:shorter] == theirs[:shorter]:
                raise fail(
                    me,
                    "output_prefix",
                    prefix,
                    f"overlaps the endpoint's data-capture prefix {capture!r} in the same bucket, so the reports "
                    f"would mix "
                    "with the captured data the role may only read",
                    "pass a prefix beside it, such as 'monitoring', or another output_bucket",
                )
        return bucket, prefix

    @staticmethod
    def _check_schedule(me: str, expression: Any) -> int | None:
        fix = (
            f"pass '{HOURLY}' (hourly), 'cron(0 H ? * * *)' (daily at hour H, UTC) or 'cron(0 H/N ? * * *)' "
            "(every N hours from hour H)"
        )
        require_type(me, "schedule_expression", expression, str, fix)
        if is_token(expression):
            return None
        if expression.strip().upper() == "NOW":
            raise fail(
                me,
                "schedule_expression",
                expression,
                "runs the job once at deployment and never again, which is no monitoring",
                "run a one-off analysis from code (the SDK's DefaultModelMonitor), or " + fix,
            )
        hours = schedule_interval_hours(expression)
        if hours is None:
            raise fail(me, "schedule_expression", expression, "is not a schedule SageMaker Model Monitor accepts", fix)
        return hours

    @staticmethod
    def _check_resources(
        me: str, instance_type: Any, count: Any, volume: Any, runtime: Any, interval_hours: int | None
    ) -> int:
        require_instance_type(me, "instance_type", instance_type, "ml.m5.xlarge")
        require_whole_number(me, "instance_count", count, MIN_INSTANCES, MAX_INSTANCES, "instances")
        require_whole_number(me, "volume_size", volume, MIN_VOLUME_GB, MAX_VOLUME_GB, "GB")
        fix = "pass cdk.Duration.minutes(n) (or hours, seconds): whole seconds, at most the schedule's interval"
        require_type(me, "max_runtime", runtime, cdk.Duration, fix)
        if runtime.is_unresolved():
            raise fail(
                me,
                "max_runtime",
                runtime,
                "is a token, so it cannot be checked against the schedule",
                "pass a literal duration",
            )
        seconds = runtime.to_seconds(integral=False)
        if seconds < 1 or seconds != int(seconds) or seconds > MAX_RUNTIME_SECONDS:
            raise fail(
                me,
                "max_runtime",
                runtime.to_human_string(),
                f"is not a whole number of seconds from 1 to {MAX_RUNTIME_SECONDS}",
                fix,
            )
        if interval_hours is not None and seconds > interval_hours * 3600:
            raise fail(
                me,
                "max_runtime",
                runtime.to_human_string(),
                f"is longer than the schedule's interval ({interval_hours} h), which SageMaker refuses",
                f"pass at most cdk.Duration.hours({interval_hours}), or schedule the job less often",
            )
        return int(seconds)

    def _check_baseline(self, me: str, constraints: Any, statistics: Any, bucket: Any) -> s3.IBucket | None:
        if bucket is not None:
            if constraints is None and statistics is None:
                raise fail(
                    me,
                    "baseline_bucket",
                    getattr(getattr(bucket, "node", None), "path", bucket),
                    "is given without baseline_constraints_uri or baseline_statistics_uri",
                    "pass the baseline URIs too, or drop baseline_bucket",
                )
            bucket = bucket.bucket if is_encrypted_bucket(bucket) else bucket
            require_attribute(
                me,
                "baseline_bucket",
                bucket,
                "bucket_name",
                "pass a SecureBucket, an EncryptedBucketRef or an s3.IBucket",
            )
        for prop, uri, file in (
            ("baseline_constraints_uri", constraints, "constraints.json"),
            ("baseline_statistics_uri", statistics, "statistics.json"),
        ):
            if uri is None:
                continue
            fix = f"pass the s3:// URI of the baseline's {file}, e.g. f's3://{{bucket.bucket_name}}/baselines/{file}'"
            require_type(me, prop, uri, str, fix)
            rendered = rendered_string(self, uri)
            shown = uri if TOKEN_MARK not in rendered else cdk.Stack.of(self).resolve(uri)
            if bucket is not None:
                prefix = "s3://" + rendered_string(self, bucket.bucket_name) + "/"
                key = rendered[len(prefix) :]
                if not rendered.startswith(prefix) or not key or key.endswith("/"):
                    raise fail(me, prop, shown, f"is not an object in baseline_bucket {bucket.node.path}", fix)
            elif TOKEN_MARK not in rendered and not _S3_URI.match(uri):
                raise fail(me, prop, uri, "is not an s3://<bucket>/<key> URI of an object", fix)
            elif TOKEN_MARK in rendered and not rendered.startswith("s3://"):
                raise fail(me, prop, shown, "does not start with s3://", fix)
        return bucket

    def _check_image(self, me: str, image_uri: Any) -> str:
        if image_uri is None:
            region = cdk.Stack.of(self).region
            if not cdk.Token.is_unresolved(region) and region not in ANALYZER_REGISTRY_ACCOUNTS:
                raise fail(
                    me,
                    "image_uri",
                    None,
                    f"is missing and the stack's Region {region} is not among the "
                    f"{len(ANALYZER_REGISTRY_ACCOUNTS)} Regions "
                    "whose analyzer registry this library knows",
                    "pass the sagemaker-model-monitor-analyzer image URI of that Region from the SageMaker Docker "
                    "registry "
                    "paths page ('Model Monitor (algorithm)')",
                )
            return analyzer_image_uri(self)
        fix = (
            "pass an ECR image URI such as '<account>.dkr.ecr.<region>.amazonaws.com/sagemaker-model-monitor-analyzer'"
        )
        require_type(me, "image_uri", image_uri, str, fix)
        if not is_token(image_uri) and not _ECR_IMAGE.match(image_uri):
            raise fail(me, "image_uri", image_uri, "is not an ECR image URI", fix)
        return image_uri

    def _check_schedule_name(self, me: str, name: Any) -> str:
        fix = "use 1-63 letters, digits and single hyphens, starting and ending with a letter or digit"
        if name is None:
            return cdk.Names.unique_resource_name(self, max_length=63, separator="-")
        require_type(me, "schedule_name", name, str, fix)
        if not is_token(name) and not SCHEDULE_NAME.match(name):
            raise fail(me, "schedule_name", name, "is not a valid monitoring schedule name", fix)
        return name

    # --- attributes -----------------------------------------------------------------------

    @property
    def job_definition(self) -> sagemaker.CfnDataQualityJobDefinition:
        """The ``AWS::SageMaker::DataQualityJobDefinition`` resource."""
        return self._job

    @property
    def job_definition_arn(self) -> str:
        """The job definition's ARN."""
        return self._job.attr_job_definition_arn

    @property
    def job_definition_name(self) -> str:
        """The job definition's name (generated by CloudFormation; the last part of its ARN)."""
        return self._job_name

    @property
    def schedule(self) -> sagemaker.CfnMonitoringSchedule:
        """The ``AWS::SageMaker::MonitoringSchedule`` resource."""
        return self._schedule

    @property
    def schedule_name(self) -> str:
        """The schedule's name (given or generated)."""
        return self._schedule_name

    @property
    def schedule_arn(self) -> str:
        """The schedule's ARN."""
        return self._schedule.attr_monitoring_schedule_arn

    @property
    def schedule_expression(self) -> str:
        """When the job runs."""
        return self._schedule_expression

    @property
    def failure_rule(self) -> events.Rule:
        """The EventBridge rule that sends failed and stopped runs to the endpoint's alarm topic."""
        return self._rule

    @property
    def endpoint(self) -> SecureEndpoint:
        """The monitored endpoint."""
        return self._endpoint

    @property
    def role(self) -> iam.IRole:
        """The monitoring jobs' role (the ``role`` of an ExecutionRole prop)."""
        return self._role

    @property
    def encryption_key(self) -> kms.IKey:
        """The key of the jobs' volumes (the role needs to use it)."""
        return self._key

    @property
    def image_uri(self) -> str:
        """The analyzer image (a deploy-time lookup unless ``image_uri`` was given)."""
        return self._image_uri

    @property
    def network(self) -> WorkloadNetwork:
        """The private network the jobs run in (the endpoint's model's)."""
        return self._network

    @property
    def capture_bucket(self) -> EncryptedBucket:
        """The bucket of the captured data the jobs read."""
        return self._endpoint.data_capture_bucket

    @property
    def capture_prefix(self) -> str:
        """The key prefix of the captured data in ``capture_bucket``."""
        return self._endpoint.data_capture_prefix

    @property
    def output_bucket(self) -> EncryptedBucket:
        """The bucket of the reports (given, or the endpoint's data-capture bucket)."""
        return self._output_bucket

    @property
    def output_prefix(self) -> str:
        """The key prefix of the reports in ``output_bucket`` (no leading or trailing '/')."""
        return self._output_prefix

    @property
    def output_s3_uri(self) -> str:
        """``s3://<output bucket>/<output prefix>``, where the reports go."""
        return self._output_s3_uri

    @property
    def output_encryption_key(self) -> kms.IKey:
        """The key of the reports (the output bucket's; the role needs ``kms:GenerateDataKey`` on it)."""
        return self._output_bucket.key

    @property
    def baseline_constraints_uri(self) -> str | None:
        """The baseline's ``constraints.json``, or None."""
        return self._constraints_uri

    @property
    def baseline_statistics_uri(self) -> str | None:
        """The baseline's ``statistics.json``, or None."""
        return self._statistics_uri

    @property
    def baseline_bucket(self) -> s3.IBucket | None:
        """The bucket of the baseline objects (the role needs to read them), or None."""
        return self._baseline_bucket

    def _grant_what_the_jobs_use(self) -> None:
        """Grant an ExecutionRole ``role`` what the jobs read, write and encrypt with (see the class docstring)."""
        grants.grant_read(self._role, self.capture_bucket.bucket, self.capture_prefix)
        for uri in (self._constraints_uri, self._statistics_uri):
            if uri is None:
                continue
            if self._baseline_bucket is not None:
                grants.grant_read(self._role, self._baseline_bucket, grants.object_prefix(self._baseline_bucket, uri))
            elif not is_token(uri) and "/" in uri[len("s3://") :].partition("/")[2]:
                bucket_name, _, key = uri[len("s3://") :].partition("/")
                grants.grant_read(self._role, bucket_name, key.rpartition("/")[0])
        grants.grant_read_write(self._role, self._output_bucket.bucket, self._output_prefix)
        grants.grant_encrypt_decrypt(self._role, self._key)

    @property
    def role_read_prefixes(self) -> tuple[S3Prefix, ...]:
        """Deprecated (the construct grants an ExecutionRole what it uses): the captured data."""
        _deprecated_role_attribute("role_read_prefixes")
        return (S3Prefix(self.capture_bucket.bucket, self.capture_prefix),)

    @property
    def role_write_prefixes(self) -> tuple[S3Prefix, ...]:
        """Deprecated (the construct grants an ExecutionRole what it uses): the reports."""
        _deprecated_role_attribute("role_write_prefixes")
        return (S3Prefix(self._output_bucket.bucket, self._output_prefix),)

    @property
    def role_keys(self) -> tuple[kms.IKey, ...]:
        """Deprecated (the construct grants an ExecutionRole what it uses): the volume key and the
        keys of the capture and output buckets, once each."""
        _deprecated_role_attribute("role_keys")
        keys: list[kms.IKey] = []
        for key in (self._key, self.capture_bucket.key, self._output_bucket.key):
            if all(key is not k for k in keys):
                keys.append(key)
        return tuple(keys)


def _deprecated_role_attribute(name: str) -> None:
    warnings.warn(
        f"SecureDataQualityMonitor.{name} is deprecated and will be removed in the next release: the monitor "
        "grants an ExecutionRole what its jobs use; for another iam.IRole, see the class docstring",
        DeprecationWarning,
        stacklevel=3,
    )


__all__ = [
    "ANALYZER_REGISTRY_ACCOUNTS",
    "ANALYZER_REPOSITORY",
    "HOURLY",
    "SecureDataQualityMonitor",
    "analyzer_image_uri",
    "schedule_interval_hours",
]
