"""SageMaker models and real-time endpoints that stay private, encrypted and watched.

``SecureModel`` runs its container network-isolated in the isolated subnets of a
:class:`~secure_sagemaker.network.PrivateNetwork`, from an image in an ECR repository the caller
names, with model data from an encrypted bucket. ``SecureEndpoint`` serves it on at least two
instances under a customer-managed key, captures requests and responses to an encrypted bucket,
and raises CloudWatch alarms on client and server errors, latency and unusual invocation volume
(a model-extraction signal) to an alert topic.

As in :mod:`secure_sagemaker.studio`, the controls without a legitimate exception are checked
again at synthesis, so later edits of the exposed L1 resources fail ``cdk synth``.
"""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Any, Collection, Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
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
    require_number,
    require_one_of,
    require_type,
    s3_key_prefix,
)
from secure_sagemaker._workload import execution_role_of
from secure_sagemaker.alarms import AlarmFactory
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.instance_storage import has_instance_storage
from secure_sagemaker.interfaces import EncryptedBucket, WorkloadNetwork, require_encrypted_bucket, require_network
from secure_sagemaker.storage import SecureBucket

#: Environment variables whose value names a model the container fetches itself unless it is a
#: local path: the Hugging Face inference toolkit and TGI (``HF_MODEL_ID``), DJL/LMI
#: (``OPTION_MODEL_ID``).
MODEL_ID_VARIABLES = ("HF_MODEL_ID", "OPTION_MODEL_ID")
#: Environment variables that only make sense with access to the Hugging Face Hub.
HUB_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN")
_REMOTE_VALUE = re.compile(r"^\s*(https?|s3|ftp)://", re.IGNORECASE)

#: CloudFormation's limit on an endpoint config's data capture ``DestinationS3Uri``.
MAX_CAPTURE_URI_LENGTH = 512
#: CloudWatch namespace of SageMaker endpoint invocation metrics.
SAGEMAKER_NAMESPACE = "AWS/SageMaker"
_ALARM_PERIOD = cdk.Duration.minutes(5)
#: The service-linked role Application Auto Scaling creates and uses for SageMaker variants
#: (Application Auto Scaling User Guide, "Service-linked role ARN reference").
SCALING_SERVICE_LINKED_ROLE = (
    "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
#: Scale out quickly under load; scale in only after five quiet minutes, so that a burst that
#: ends does not remove capacity the next burst needs.
SCALE_OUT_COOLDOWN = cdk.Duration.minutes(1)
SCALE_IN_COOLDOWN = cdk.Duration.minutes(5)

_URL_SUFFIX = TOKEN_MARK + json.dumps({"Ref": "AWS::URLSuffix"}) + TOKEN_MARK
_URL_SUFFIXES = ("amazonaws.com", "amazonaws.com.cn")


def environment_problems(environment: Mapping[str, str]) -> list[str]:
    """What in a container ``environment`` needs network access that isolation takes away.

    Detected (values that are tokens are skipped):

    - ``SAGEMAKER_SUBMIT_DIRECTORY`` (or any other variable) whose value is an ``s3://``,
      ``http(s)://`` or ``ftp://`` URL: the container would download it itself. SageMaker's own
      download of ``ModelDataUrl`` into ``/opt/ml/model`` is not affected by isolation; the
      SageMaker Python SDK repacks inference code into the model archive and sets
      ``SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code`` for network-isolated models.
    - ``HF_MODEL_ID`` / ``OPTION_MODEL_ID`` that is not an absolute path: a Hub model id (or S3 URL)
      the container would download at start-up.
    - ``HF_TOKEN``, ``HUGGING_FACE_HUB_TOKEN``, ``HF_API_TOKEN``: credentials for the Hub, which an
      isolated container cannot reach.

    Not detected: downloads coded into the image or the inference script, variables of other
    serving stacks, or values assembled at run time. An isolated container that needs the network
    fails its health check at deployment, so those mistakes are loud, only later.
    """
    problems = []
    for name, value in environment.items():
        if not isinstance(value, str) or is_token(value):
            continue
        if name in HUB_TOKEN_VARIABLES:
            problems.append(f"{name} is set, which only serves downloads from the Hugging Face Hub")
        elif name in MODEL_ID_VARIABLES and not value.startswith("/"):
            problems.append(f"{name}={value!r} makes the container download the model at start-up")
        elif _REMOTE_VALUE.match(value):
            problems.append(f"{name}={value!r} makes the container fetch from the network")
    return problems


class SecureModel(Construct):
    """A SageMaker model whose container has no network access and comes from a named repository.

    - ``EnableNetworkIsolation: true`` unless ``allow_network_access=True``: the container can make
      no outbound call at all (SageMaker itself still downloads the model data). An environment
      that visibly needs the network (see :func:`environment_problems`) is a PropError.
    - ``VpcConfig`` (enforced) in the isolated subnets of ``network`` with its workload security
      group. A model without a VPC is a PropError, isolated or not.
    - ``ExecutionRoleArn``: ``execution_role``. It needs read access to the model data and its key,
      and pull access to the images' repositories. An
      :class:`~secure_sagemaker.identity.ExecutionRole` is granted exactly that: ``grant_pull`` on
      each of ``repositories``, ``grant_read`` on the folder of ``model_data_url`` (the URL itself
      when it ends in ``/``) and ``grant_encrypt_decrypt`` on the model data's key. An archive at
      the bucket's root, or a key given as a token, gets no read grant (grant it yourself). Any
      other ``iam.IRole`` is granted nothing: give it those permissions yourself (the
      ``model_data_bucket``, ``model_data_encryption_key`` and ``repositories`` attributes say what).
    - The image must be in one of ``repositories``: its registry and repository path must be a
      repository's URI followed by ``:tag`` or ``@digest``. Pass
      ``repository.repository_uri_for_tag("v1")`` (or ``..._for_digest``) for a repository defined
      in the app, or a literal URI with ``ecr.Repository.from_repository_arn`` (literal ARN) for
      one outside it, such as an AWS Deep Learning Container repository.
    - Model data must be inside ``model_data_bucket`` (an encrypted bucket): ``model_data_url``
      starts with ``s3://<that bucket's name>/``. A URL ending in ``/`` is an uncompressed prefix
      (``ModelDataSource``), any other an archive (``ModelDataUrl``).

    Keyword-only props:

    :param network: the network whose isolated subnets and workload security group the model's
        containers use: a PrivateNetwork, or any :class:`~secure_sagemaker.interfaces.WorkloadNetwork`
        such as an :class:`~secure_sagemaker.interfaces.ImportedNetwork`. Required (None is a
        PropError).
    :param execution_role: the model's execution role: an
        :class:`~secure_sagemaker.identity.ExecutionRole` (its ``role`` is used) or an ``iam.IRole``
        assumed by ``sagemaker.amazonaws.com``. Required.
    :param image_uri: the container image, from one of ``repositories``. Required.
    :param repositories: the ECR repositories images may come from. Required, at least one.
    :param model_data_url: ``s3://`` URL of the model archive (``.tar.gz``) or, ending in ``/``, an
        uncompressed prefix. Default: none (the image carries the model).
    :param model_data_bucket: the bucket holding the model data: an
        :class:`~secure_sagemaker.interfaces.EncryptedBucket` (a SecureBucket, an
        ``EncryptedBucketRef(bucket, key)``), or an ``s3.IBucket`` together with
        ``model_data_encryption_key`` (or imported with ``encryption_key``). Required with
        ``model_data_url``.
    :param model_data_encryption_key: the KMS key of an ``s3.IBucket`` given as
        ``model_data_bucket``. Default: the bucket's ``encryption_key``. Conflicts with an
        EncryptedBucket, which has its own.
    :param environment: environment variables of the container (no secrets: they are visible in
        the model's description). Default: none.
    :param allow_network_access: ``True`` gives up network isolation: the container may call
        whatever the workload security group and the VPC endpoints allow (never the internet,
        which the isolated subnets do not reach). Default ``False``. The template then carries
        ``EnableNetworkIsolation: false``, which the nag pack reports until acknowledged.

    Read-only attributes: ``model`` (the ``CfnModel``), ``model_name``, ``model_arn``,
    ``execution_role`` (always an ``iam.IRole``), ``network``, ``image_uri``, ``repositories``, ``model_data_url``,
    ``model_data_bucket`` (an ``s3.IBucket`` or None), ``model_data_encryption_key``,
    ``network_isolation``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: WorkloadNetwork | None,
        execution_role: iam.IRole | ExecutionRole,
        image_uri: str,
        repositories: Sequence[ecr.IRepository],
        model_data_url: str | None = None,
        model_data_bucket: SecureBucket | s3.IBucket | None = None,
        model_data_encryption_key: kms.IKey | None = None,
        environment: Mapping[str, str] | None = None,
        allow_network_access: bool = False,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_type(me, "allow_network_access", allow_network_access, bool, "pass True or False")
        if network is None:
            problem = "is missing"
            if not allow_network_access:
                problem += (
                    ": a network-isolated model still runs in a VPC here, so that its traffic to SageMaker stays "
                    "private"
                )
            raise fail(
                me, "network", network, problem, "pass the PrivateNetwork whose isolated subnets the model should use"
            )
        network = require_network(me, "network", network)
        execution_role = execution_role_of(me, "execution_role", execution_role)
        self._repositories = self._check_repositories(me, repositories)
        self._check_image(me, image_uri)
        bucket, key = self._check_model_data(me, model_data_url, model_data_bucket, model_data_encryption_key)
        environment = dict(environment or {})
        for name, value in environment.items():
            require_type(me, "environment", name, str, "pass a mapping of variable names to strings")
            require_type(me, f"environment[{name!r}]", value, str, "pass string values")
        if not allow_network_access:
            problems = environment_problems(environment)
            if problems:
                raise fail(
                    me,
                    "environment",
                    environment,
                    "asks a network-isolated container to reach the network (" + "; ".join(problems) + ")",
                    "package the model and code in model_data_url (SageMaker extracts it to /opt/ml/model; set "
                    "HF_MODEL_ID=/opt/ml/model and SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code), or pass "
                    "allow_network_access=True for S3 URLs reached through the VPC's gateway endpoint",
                )

        self._network = network
        self._execution_role = execution_role
        self._image_uri = image_uri
        self._model_data_url = model_data_url
        self._bucket = bucket
        self._key = key
        self._network_isolation = not allow_network_access
        container: dict[str, Any] = {"image": image_uri}
        if environment:
            container["environment"] = environment
        if model_data_url is not None:
            if not is_token(model_data_url) and model_data_url.endswith("/"):
                container["model_data_source"] = sagemaker.CfnModel.ModelDataSourceProperty(
                    s3_data_source=sagemaker.CfnModel.S3DataSourceProperty(
                        s3_uri=model_data_url, s3_data_type="S3Prefix", compression_type="None"
                    )
                )
            else:
                container["model_data_url"] = model_data_url
        subnets = [s.subnet_id for s in network.subnets.subnets or []]
        sg_id = network.workload_security_group.security_group_id
        self._model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=execution_role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(**container),
            enable_network_isolation=self._network_isolation,
            vpc_config=sagemaker.CfnModel.VpcConfigProperty(security_group_ids=[sg_id], subnets=subnets),
        )
        self._grant_what_the_model_uses()
        stack = cdk.Stack.of(self)
        enforce_rules(
            self,
            resources=[self._model],
            # allow_network_access=True is the documented opt-out of ModelNetworkIsolation.
            rules=["ModelVpcConfig", "ModelNetworkIsolation"] if self._network_isolation else ["ModelVpcConfig"],
            identity=[
                (
                    "VpcConfig in these isolated subnets with the workload security group",
                    lambda p: (
                        p["VpcConfig"]["Subnets"] == stack.resolve(subnets)
                        and p["VpcConfig"]["SecurityGroupIds"] == [stack.resolve(sg_id)]
                    ),
                ),
                (
                    "the image from a named repository",
                    lambda p: p["PrimaryContainer"]["Image"] == stack.resolve(image_uri),
                ),
            ],
        )

    # --- validation -----------------------------------------------------------------------

    @staticmethod
    def _check_repositories(me: str, repositories: Any) -> list[ecr.IRepository]:
        fix = "pass the ECR repositories images may come from, e.g. [ecr.Repository.from_repository_arn(...)]"
        if isinstance(repositories, (str, bytes)) or not isinstance(repositories, Sequence) or not repositories:
            raise fail(me, "repositories", repositories, "is not a non-empty list of ECR repositories", fix)
        for repository in repositories:
            require_attribute(me, "repositories", repository, "repository_uri", fix)
            name = repository.repository_name
            if not is_token(name) and ("*" in name or not name):
                raise fail(me, "repositories", name, "is a wildcard, not a repository", "name each repository exactly")
        return list(repositories)

    def _check_image(self, me: str, image_uri: Any) -> None:
        fix = (
            "pass repository.repository_uri_for_tag('<tag>') (or _for_digest) of one of repositories, or add "
            "the image's repository to repositories"
        )
        require_type(me, "image_uri", image_uri, str, fix)
        image = rendered_string(self, image_uri)
        literal = TOKEN_MARK not in image
        for repository in self._repositories:
            base = rendered_string(self, repository.repository_uri)
            candidates = [base]
            if literal and _URL_SUFFIX in base:
                candidates += [base.replace(_URL_SUFFIX, suffix) for suffix in _URL_SUFFIXES]
            for candidate in candidates:
                if image.startswith(candidate) and image[len(candidate) : len(candidate) + 1] in (":", "@"):
                    reference = image[len(candidate) + 1 :]
                    if reference and "/" not in reference.split(TOKEN_MARK)[0]:
                        return
        shown = image_uri if literal else cdk.Stack.of(self).resolve(image_uri)
        raise fail(
            me, "image_uri", shown, "is not an image (repository:tag or repository@digest) of any of repositories", fix
        )

    def _check_model_data(self, me: str, url: Any, bucket: Any, key: Any) -> tuple[s3.IBucket | None, kms.IKey | None]:
        if url is None:
            for given, value in (("model_data_bucket", bucket), ("model_data_encryption_key", key)):
                if value is not None:
                    shown = value.node.path if hasattr(value, "node") else value
                    raise fail(
                        me, given, shown, "is given without model_data_url", f"pass model_data_url too, or drop {given}"
                    )
            return None, None
        fix = "pass an s3:// URL built from the bucket, e.g. f's3://{bucket.bucket_name}/models/model.tar.gz'"
        require_type(me, "model_data_url", url, str, fix)
        if bucket is None:
            raise fail(
                me,
                "model_data_bucket",
                None,
                "is missing, so nothing shows that the model data is encrypted",
                "pass the SecureBucket (or s3.IBucket with model_data_encryption_key) that holds model_data_url",
            )
        encrypted = require_encrypted_bucket(
            me, "model_data_bucket", bucket, key=key, key_prop="model_data_encryption_key"
        )
        s3_bucket, key = encrypted.bucket, encrypted.key
        rendered_url = rendered_string(self, url)
        prefix = "s3://" + rendered_string(self, s3_bucket.bucket_name) + "/"
        if not rendered_url.startswith(prefix) or len(rendered_url) == len(prefix):
            shown = url if TOKEN_MARK not in rendered_url else cdk.Stack.of(self).resolve(url)
            raise fail(me, "model_data_url", shown, f"is not an object or prefix in bucket {s3_bucket.node.path}", fix)
        return s3_bucket, key

    def _grant_what_the_model_uses(self) -> None:
        for repository in self._repositories:
            grants.grant_pull(self._execution_role, repository)
        if self._bucket is not None:
            grants.grant_read(
                self._execution_role, self._bucket, grants.object_prefix(self._bucket, self._model_data_url)
            )
            grants.grant_encrypt_decrypt(self._execution_role, self._key)

    # --- attributes -----------------------------------------------------------------------

    @property
    def model(self) -> sagemaker.CfnModel:
        """The ``AWS::SageMaker::Model`` resource."""
        return self._model

    @property
    def model_name(self) -> str:
        """The model's name (generated by CloudFormation)."""
        return self._model.attr_model_name

    @property
    def model_arn(self) -> str:
        """The model's ARN."""
        return self._model.attr_model_arn

    @property
    def execution_role(self) -> iam.IRole:
        """The model's execution role (the ``role`` of an ExecutionRole prop)."""
        return self._execution_role

    @property
    def network(self) -> WorkloadNetwork:
        """The private network the model's containers run in."""
        return self._network

    @property
    def image_uri(self) -> str:
        """The container image."""
        return self._image_uri

    @property
    def repositories(self) -> list[ecr.IRepository]:
        """The repositories images may come from (the role needs pull access to them)."""
        return list(self._repositories)

    @property
    def model_data_url(self) -> str | None:
        """The model data location, or None."""
        return self._model_data_url

    @property
    def model_data_bucket(self) -> s3.IBucket | None:
        """The bucket of the model data (the role needs read access to it), or None."""
        return self._bucket

    @property
    def model_data_encryption_key(self) -> kms.IKey | None:
        """The KMS key of the model data (the role needs kms:Decrypt through S3), or None."""
        return self._key

    @property
    def network_isolation(self) -> bool:
        """Whether the container runs network-isolated."""
        return self._network_isolation


class SecureEndpoint(Construct):
    """A real-time SageMaker endpoint for a SecureModel: encrypted, redundant, captured, alarmed.

    - Endpoint configuration with ``KmsKeyId`` (enforced): ``encryption_key`` encrypts the ML
      storage volumes of the instances. Instance types with local NVMe instance storage (``ml.g5``,
      ``ml.g6``, ``ml.p4d``, ``ml.p5``, the ``*d`` types: see
      :data:`~secure_sagemaker.instance_storage.INSTANCE_STORAGE_FAMILIES`) get no ``KmsKeyId``:
      SageMaker rejects one for them (CreateEndpointConfig fails) because a hardware module on
      the instance encrypts those volumes. That is the control for them, not a weaker setting;
      the key still encrypts captured data. A token ``instance_type`` is treated as EBS-backed.
    - One production variant with ``instance_count`` instances, at least 2 by default so that
      SageMaker spreads them over availability zones; 1 only with ``accept_single_instance=True``,
      below 1 never.
    - Data capture (enforced) of requests and responses, ``sampling_percentage`` percent of them,
      to ``data_capture_bucket`` (or a new SecureBucket encrypted with ``encryption_key``) under
      ``data_capture_prefix``, with that bucket's KMS key. The model's execution role writes the
      captured data: an :class:`~secure_sagemaker.identity.ExecutionRole` is granted
      ``grant_read_write`` on the prefix (and so the bucket's key); any other ``iam.IRole`` needs
      ``s3:PutObject`` there and the key through S3 from you (``data_capture_bucket`` and
      ``data_capture_prefix`` say what).
    - CloudWatch alarms, each sending ALARM and OK notifications to ``alarm_topic``:
      ``Invocation4XXErrors`` (probing, malformed or adversarial input), ``Invocation5XXErrors``,
      ``ModelLatency`` (p99) and an anomaly-detection band on ``Invocations`` that fires when the
      volume rises above what the model has learned (a model-extraction or denial-of-service
      signal). All are per variant (dimensions ``EndpointName`` and ``VariantName``) over 5-minute
      periods, missing data not breaching.
    - Optional auto scaling (``max_instance_count``): Application Auto Scaling keeps the variant
      between ``instance_count`` and ``max_instance_count`` instances, tracking
      ``target_invocations_per_instance`` (scale out after 1 minute, in after 5). The maximum is
      required: it caps what a flood of requests (or a model-extraction run) can cost, and the
      invocation anomaly alarm still fires while the endpoint scales. It uses the service-linked
      role ``AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint``, which AWS creates on
      first use; no IAM role is created here.

    Keyword-only props:

    :param model: the SecureModel to serve (or an object with its ``model_name`` and ``network``,
        such as a SecureModel of another stack). Required.
    :param encryption_key: customer-managed KMS key of the instances' volumes (the models key of a
        KeyRing). Required.
    :param alarm_topic: the SNS topic that receives the alarms (KMS-encrypted; its key must let
        ``cloudwatch.amazonaws.com`` use it). Required: an alarm nobody receives is no control.
    :param instance_type: ``ml.*`` instance type. Default ``"ml.m5.large"``.
    :param instance_storage_families: the instance families with local instance storage, which
        get no volume key. Default: :data:`~secure_sagemaker.instance_storage.INSTANCE_STORAGE_FAMILIES`
        (the SageMaker Developer Guide's "Instance storage volumes" list); pass your own set when
        AWS adds a family before this library does.
    :param instance_count: initial instance count. Default 2.
    :param accept_single_instance: ``True`` gives up availability: one instance, so one instance or
        zone failure takes the endpoint down. Default ``False``.
    :param variant_name: the production variant's name. Default ``"AllTraffic"``.
    :param data_capture_bucket: the bucket receiving captured data, whose key encrypts it
        (``DataCaptureConfig.KmsKeyId``): an :class:`~secure_sagemaker.interfaces.EncryptedBucket` (a
        SecureBucket, or ``EncryptedBucketRef(bucket, key)`` for a bucket made elsewhere) or an
        ``s3.IBucket`` whose customer-managed ``encryption_key`` is known. Default: a new
        SecureBucket (child id ``DataCapture``) encrypted with ``encryption_key``.
    :param data_capture_access_log_bucket: where the created data-capture bucket logs, as
        SecureBucket's ``access_log_bucket``. Default: a new AccessLogBucket. Conflicts with
        ``data_capture_bucket``.
    :param data_capture_prefix: key prefix of captured data. Default ``"data-capture"``.
    :param sampling_percentage: whole percentage of requests captured, 0 to 100. Default 100.
    :param client_error_threshold: 4XX errors per variant in 5 minutes that raise the alarm, at
        least 1. Default 50.
    :param server_error_threshold: 5XX errors per variant in 5 minutes that raise the alarm, at
        least 1. Default 1.
    :param latency_threshold: p99 model latency that raises the alarm when exceeded in two
        consecutive 5-minute periods. Default ``Duration.seconds(1)``.
    :param invocation_anomaly_std_devs: width of the anomaly band on invocations in standard
        deviations, above 0. Default 3 (alarm after three consecutive 5-minute periods above it).
    :param max_instance_count: the most instances auto scaling may run, above ``instance_count``
        (the least). Default: None, a fixed ``instance_count`` and no scaling.
    :param target_invocations_per_instance: invocations per instance per minute that scaling keeps
        the variant at, at least 1 (measure it by load-testing the model). Required with
        ``max_instance_count``, not allowed without it.

    Read-only attributes: ``endpoint`` (``CfnEndpoint``), ``endpoint_config``
    (``CfnEndpointConfig``), ``endpoint_name``, ``endpoint_arn``, ``variant_name``, ``model``,
    ``encryption_key``, ``data_capture_bucket`` (an EncryptedBucket), ``data_capture_prefix``,
    ``alarm_topic``, ``alarms`` (read-only mapping: ``"ClientErrors"``, ``"ServerErrors"``,
    ``"ModelLatency"``, ``"InvocationAnomaly"``), ``scalable_target`` (None without
    ``max_instance_count``).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: SecureModel,
        encryption_key: kms.IKey,
        alarm_topic: sns.ITopic,
        instance_type: str = "ml.m5.large",
        instance_storage_families: Collection[str] | None = None,
        instance_count: int = 2,
        accept_single_instance: bool = False,
        variant_name: str = "AllTraffic",
        data_capture_bucket: EncryptedBucket | s3.IBucket | None = None,
        data_capture_access_log_bucket: s3.IBucket | None = None,
        data_capture_prefix: str = "data-capture",
        sampling_percentage: int = 100,
        client_error_threshold: int = 50,
        server_error_threshold: int = 1,
        latency_threshold: cdk.Duration = cdk.Duration.seconds(1),
        invocation_anomaly_std_devs: float = 3,
        max_instance_count: int | None = None,
        target_invocations_per_instance: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_attribute(me, "model", model, "model_name", "pass the SecureModel to serve")
        require_attribute(me, "model", model, "network", "pass the SecureModel to serve")
        require_network(me, "model.network", model.network)
        require_attribute(
            me, "encryption_key", encryption_key, "key_arn", "pass the models key of a KeyRing (a kms.IKey)"
        )
        require_attribute(
            me, "alarm_topic", alarm_topic, "topic_arn", "pass the KMS-encrypted sns.ITopic that receives alerts"
        )
        require_one_of(
            me,
            ("data_capture_bucket", data_capture_bucket),
            [("data_capture_access_log_bucket", data_capture_access_log_bucket)],
        )
        if data_capture_bucket is not None:
            data_capture_bucket = require_encrypted_bucket(me, "data_capture_bucket", data_capture_bucket)
        require_instance_type(me, "instance_type", instance_type, "ml.m5.large")
        self._check_count(me, instance_count, accept_single_instance)
        self._check_scaling(me, instance_count, max_instance_count, target_invocations_per_instance)
        require_type(me, "variant_name", variant_name, str, "pass a name such as 'AllTraffic'")
        if not re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", variant_name):
            raise fail(
                me,
                "variant_name",
                variant_name,
                "is not a valid variant name",
                "use 1-63 letters, digits and single hyphens",
            )
        capture_prefix = s3_key_prefix(
            me,
            "data_capture_prefix",
            data_capture_prefix,
            "data-capture",
            max_uri_length=MAX_CAPTURE_URI_LENGTH,
            uri="data capture destination URI",
        )
        require_number(
            me, "sampling_percentage", sampling_percentage, "pass a whole percentage from 0 to 100", integer=True
        )
        if not 0 <= sampling_percentage <= 100:
            raise fail(
                me,
                "sampling_percentage",
                sampling_percentage,
                "is outside 0..100",
                "pass a whole percentage from 0 to 100",
            )
        for prop, value in (
            ("client_error_threshold", client_error_threshold),
            ("server_error_threshold", server_error_threshold),
        ):
            require_number(me, prop, value, "pass a whole number of errors, at least 1", integer=True)
            if value < 1:
                raise fail(
                    me,
                    prop,
                    value,
                    "is below 1, so the alarm would always fire",
                    "pass a whole number of errors, at least 1",
                )
        require_type(me, "latency_threshold", latency_threshold, cdk.Duration, "pass cdk.Duration.millis(n) with n > 0")
        latency_us = latency_threshold.to_milliseconds(integral=False) * 1000
        if latency_us <= 0:
            raise fail(
                me,
                "latency_threshold",
                latency_threshold.to_human_string(),
                "is not positive",
                "pass cdk.Duration.millis(n) with n > 0",
            )
        require_number(
            me, "invocation_anomaly_std_devs", invocation_anomaly_std_devs, "pass a number above 0, such as 3"
        )
        if invocation_anomaly_std_devs <= 0:
            raise fail(
                me,
                "invocation_anomaly_std_devs",
                invocation_anomaly_std_devs,
                "is not above 0",
                "pass a number above 0, such as 3",
            )

        self._model = model
        self._key = encryption_key
        self._topic = alarm_topic
        self._variant_name = variant_name
        self._capture_prefix = capture_prefix
        self._capture_bucket = data_capture_bucket or SecureBucket(
            self, "DataCapture", encryption_key=encryption_key, access_log_bucket=data_capture_access_log_bucket
        )
        capture_key_arn = self._capture_bucket.key.key_arn
        if instance_storage_families is not None and (
            isinstance(instance_storage_families, str) or not all(isinstance(f, str) for f in instance_storage_families)
        ):
            raise fail(
                me,
                "instance_storage_families",
                instance_storage_families,
                "is not a collection of family names",
                "pass names such as {'g5', 'p4d'}",
            )
        self._hardware_encrypted = has_instance_storage(instance_type, instance_storage_families)
        self._config = sagemaker.CfnEndpointConfig(
            self,
            "Config",
            kms_key_id=None if self._hardware_encrypted else encryption_key.key_arn,
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=model.model_name,
                    instance_type=instance_type,
                    initial_instance_count=instance_count,
                    initial_variant_weight=1,
                )
            ],
            data_capture_config=sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
                enable_capture=True,
                initial_sampling_percentage=sampling_percentage,
                destination_s3_uri=f"s3://{self._capture_bucket.bucket.bucket_name}/{self._capture_prefix}",
                kms_key_id=capture_key_arn,
                capture_options=[
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Input"),
                    sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode="Output"),
                ],
            ),
        )
        self._endpoint = sagemaker.CfnEndpoint(
            self, "Endpoint", endpoint_config_name=self._config.attr_endpoint_config_name
        )
        grants.grant_read_write(model.execution_role, self._capture_bucket.bucket, self._capture_prefix)
        stack = cdk.Stack.of(self)
        rules = ["EndpointConfigKms", "EndpointConfigDataCapture", "EndpointConfigDataCaptureKms"]
        identity = [
            (
                "DataCaptureConfig with the capture bucket's KmsKeyId",
                lambda p: p["DataCaptureConfig"]["KmsKeyId"] == stack.resolve(capture_key_arn),
            ),
        ]
        if self._hardware_encrypted:
            # SageMaker rejects a volume key for instance types with local storage (encrypted in hardware).
            identity.append(
                (
                    "no KmsKeyId (the instance type's local storage is encrypted in hardware)",
                    lambda p: "KmsKeyId" not in p,
                )
            )
        enforce_rules(
            self,
            resources=[self._config],
            # accept_single_instance=True is the documented opt-out of EndpointConfigMultipleInstances.
            rules=rules if accept_single_instance else [*rules, "EndpointConfigMultipleInstances"],
            identity=identity,
        )
        self._alarms = self._create_alarms(
            client_error_threshold, server_error_threshold, latency_us, latency_threshold, invocation_anomaly_std_devs
        )
        self._scalable_target = None
        if max_instance_count is not None:
            self._scalable_target = self._create_scaling(
                instance_count, max_instance_count, target_invocations_per_instance
            )

    @staticmethod
    def _check_count(me: str, count: Any, accept_single_instance: Any) -> None:
        require_type(me, "accept_single_instance", accept_single_instance, bool, "pass True or False")
        require_number(me, "instance_count", count, "pass a whole number of instances, 2 or more", integer=True)
        if count < 1:
            raise fail(me, "instance_count", count, "is below 1, so the endpoint could serve nothing", "pass 2 or more")
        if count == 1 and not accept_single_instance:
            raise fail(
                me,
                "instance_count",
                count,
                "is a single instance, so one instance or zone failure takes the endpoint down",
                "pass 2 or more, or pass accept_single_instance=True to give up availability",
            )

    @staticmethod
    def _check_scaling(me: str, least: int, most: Any, target: Any) -> None:
        if most is None:
            if target is not None:
                raise fail(
                    me,
                    "target_invocations_per_instance",
                    target,
                    "is given without max_instance_count, so nothing scales",
                    "pass max_instance_count too, or drop target_invocations_per_instance",
                )
            return
        require_number(
            me, "max_instance_count", most, "pass a whole number of instances above instance_count", integer=True
        )
        if most <= least:
            raise fail(
                me,
                "max_instance_count",
                most,
                f"is not above instance_count ({least}), so nothing would scale",
                "pass a larger maximum, or drop max_instance_count for a fixed instance count",
            )
        if target is None:
            raise fail(
                me,
                "target_invocations_per_instance",
                None,
                "is missing, but scaling needs a target",
                "pass the invocations per instance per minute the model sustains (from a load test)",
            )
        require_number(
            me,
            "target_invocations_per_instance",
            target,
            "pass a whole number of invocations per minute, at least 1",
            integer=True,
        )
        if target < 1:
            raise fail(
                me,
                "target_invocations_per_instance",
                target,
                "is below 1",
                "pass a whole number of invocations per minute, at least 1",
            )

    def _create_scaling(self, least: int, most: int, target: int) -> appscaling.ScalableTarget:
        service_linked_role = iam.Role.from_role_arn(
            self,
            "ScalingRole",
            cdk.Stack.of(self).format_arn(
                service="iam",
                region="",
                resource=SCALING_SERVICE_LINKED_ROLE.split("/", 1)[0],
                resource_name=SCALING_SERVICE_LINKED_ROLE.split("/", 1)[1],
            ),
            mutable=False,
        )
        scalable_target = appscaling.ScalableTarget(
            self,
            "Scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self._endpoint.attr_endpoint_name}/variant/{self._variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=least,
            max_capacity=most,
            role=service_linked_role,
        )
        scalable_target.scale_to_track_metric(
            "InvocationsPerInstance",
            target_value=target,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
            scale_in_cooldown=SCALE_IN_COOLDOWN,
        )
        return scalable_target

    def _metric(self, name: str, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=SAGEMAKER_NAMESPACE,
            metric_name=name,
            dimensions_map={"EndpointName": self._endpoint.attr_endpoint_name, "VariantName": self._variant_name},
            statistic=statistic,
            period=_ALARM_PERIOD,
        )

    def _create_alarms(
        self, client_errors: int, server_errors: int, latency_us: float, latency: cdk.Duration, std_devs: float
    ) -> Mapping[str, cloudwatch.Alarm]:
        factory = AlarmFactory(self, self._topic)
        alarms: dict[str, cloudwatch.Alarm] = {
            "ClientErrors": factory.alarm(
                "ClientErrorsAlarm",
                metric=self._metric("Invocation4XXErrors", "Sum"),
                threshold=client_errors,
                description=f"{self.node.path}: {client_errors}+ client (4XX) errors in 5 minutes: probing, "
                "malformed or adversarial requests, or a broken client",
            ),
            "ServerErrors": factory.alarm(
                "ServerErrorsAlarm",
                metric=self._metric("Invocation5XXErrors", "Sum"),
                threshold=server_errors,
                description=f"{self.node.path}: {server_errors}+ server (5XX) errors in 5 minutes",
            ),
            "ModelLatency": factory.alarm(
                "ModelLatencyAlarm",
                metric=self._metric("ModelLatency", "p99"),
                threshold=latency_us,
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"{self.node.path}: p99 model latency above {latency.to_human_string()} "
                "(ModelLatency is in microseconds) for 10 minutes: overload, denial of service or a degraded model",
            ),
            "InvocationAnomaly": factory.anomaly_alarm(
                "InvocationAnomalyAlarm",
                metric=self._metric("Invocations", "Sum"),
                std_devs=std_devs,
                evaluation_periods=3,
                description=f"{self.node.path}: invocations above the learned band for 15 minutes: "
                "possible model extraction (systematic querying) or denial of service",
            ),
        }
        return MappingProxyType(alarms)

    # --- attributes -----------------------------------------------------------------------

    @property
    def endpoint(self) -> sagemaker.CfnEndpoint:
        """The ``AWS::SageMaker::Endpoint`` resource."""
        return self._endpoint

    @property
    def volumes_encrypted_by_hardware(self) -> bool:
        """True when the instance type has local instance storage, so the config has no volume key."""
        return self._hardware_encrypted

    @property
    def endpoint_config(self) -> sagemaker.CfnEndpointConfig:
        """The ``AWS::SageMaker::EndpointConfig`` resource."""
        return self._config

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (generated by CloudFormation)."""
        return self._endpoint.attr_endpoint_name

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        return self._endpoint.attr_endpoint_arn

    @property
    def variant_name(self) -> str:
        """The production variant's name."""
        return self._variant_name

    @property
    def model(self) -> SecureModel:
        """The model served."""
        return self._model

    @property
    def encryption_key(self) -> kms.IKey:
        """The KMS key of the instances' volumes."""
        return self._key

    @property
    def data_capture_bucket(self) -> EncryptedBucket:
        """The bucket receiving captured requests and responses (given or created)."""
        return self._capture_bucket

    @property
    def data_capture_prefix(self) -> str:
        """The key prefix of captured data in ``data_capture_bucket`` (no leading or trailing '/')."""
        return self._capture_prefix

    @property
    def alarm_topic(self) -> sns.ITopic:
        """The topic the alarms notify."""
        return self._topic

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """The alarms by purpose: ClientErrors, ServerErrors, ModelLatency, InvocationAnomaly."""
        return self._alarms

    @property
    def scalable_target(self) -> appscaling.ScalableTarget | None:
        """The variant's Application Auto Scaling target, or None without ``max_instance_count``."""
        return self._scalable_target


__all__ = [
    "HUB_TOKEN_VARIABLES",
    "MODEL_ID_VARIABLES",
    "SAGEMAKER_NAMESPACE",
    "SecureEndpoint",
    "SecureModel",
    "environment_problems",
]
