"""SageMaker Feature Store feature groups with every store on a customer-managed key.

``SecureFeatureGroup`` defines a feature group (``AWS::SageMaker::FeatureGroup``) whose offline
store lives in a :class:`~secure_sagemaker.storage.SecureBucket` under that bucket's KMS key and
whose online store, when there is one, is encrypted with a customer-managed key the caller names.
Feature names and types are checked at construction against the rules of the SageMaker API, so a
typo fails ``cdk synth`` instead of the deployment.

As in :mod:`secure_sagemaker.studio` and :mod:`secure_sagemaker.inference`, the encryption of both
stores is checked again at synthesis, so later edits of the exposed L1 resource fail ``cdk synth``.
Like the models and endpoints there, the feature group grants an
:class:`~secure_sagemaker.identity.ExecutionRole` what it uses: write access to its offline store.

References (checked when this module was written):

- ``AWS::SageMaker::FeatureGroup`` and its ``OfflineStoreConfig``, ``S3StorageConfig``,
  ``OnlineStoreConfig``, ``OnlineStoreSecurityConfig`` and ``FeatureDefinition`` property types,
  AWS CloudFormation Template Reference
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sagemaker-featuregroup.html),
  and the resource schema cfn-lint ships (``TableFormat``: ``Glue`` or ``Iceberg``;
  ``FeatureDefinitions``: 1 to 2500 items; ``FeatureGroupName`` required).
- ``CreateFeatureGroup``, ``FeatureDefinition``, ``OfflineStoreConfig`` and
  ``OnlineStoreSecurityConfig``, Amazon SageMaker API Reference
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateFeatureGroup.html).
- ``DeleteFeatureGroup``: deleting a feature group deletes the data of its online store; the
  offline store's objects and Glue tables stay
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteFeatureGroup.html).
- *AWS managed policies for Amazon SageMaker Feature Store*
  (https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from secure_sagemaker import _grants as grants
from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import (
    describe,
    fail,
    is_token,
    require_attribute,
    require_key,
    require_one_of,
    require_type,
    s3_key_prefix,
)
from secure_sagemaker._workload import execution_role_of
from secure_sagemaker.identity import ExecutionRole
from secure_sagemaker.interfaces import EncryptedBucket, require_encrypted_bucket
from secure_sagemaker.storage import SecureBucket

#: The value types a feature may have.
FEATURE_TYPES = ("String", "Integral", "Fractional")
#: The types the event-time feature may have: an ISO-8601 string or a Unix timestamp in seconds.
EVENT_TIME_TYPES = ("String", "Fractional")
#: Feature names the API reserves (the offline store adds columns of these names).
RESERVED_FEATURE_NAMES = ("is_deleted", "write_time", "api_invocation_time")
#: At most this many feature definitions per feature group.
MAX_FEATURES = 2500
#: Offline store table formats CloudFormation accepts.
TABLE_FORMATS = ("Glue", "Iceberg")
#: ``TtlDuration`` units, largest first, in seconds.
TTL_UNITS = (("Weeks", 604_800), ("Days", 86_400), ("Hours", 3_600), ("Minutes", 60), ("Seconds", 1))
#: Feature names and feature group names (the SageMaker API's pattern; 1 to 64 characters).
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")
#: Free-form descriptions are at most this long.
MAX_DESCRIPTION_LENGTH = 128
#: ``S3StorageConfig.S3Uri`` is at most this long.
MAX_S3_URI_LENGTH = 1024

_NAME_FIX = "use 1-64 letters, digits, '-' and '_', starting and ending with a letter or digit"


def _check_name(me: str, prop: str, name: Any) -> None:
    require_type(me, prop, name, str, _NAME_FIX)
    if not NAME_PATTERN.match(name):
        raise fail(me, prop, name, "is not a valid feature name", _NAME_FIX)


class SecureFeatureGroup(Construct):
    """A SageMaker Feature Store feature group whose stores are all on customer-managed keys.

    - Offline store (default on; ``offline_store=False`` drops it): the full history of every
      record, written by SageMaker as Parquet files to ``offline_store_bucket`` (or a new
      SecureBucket encrypted with ``encryption_key``) under ``offline_store_prefix``, with
      ``S3StorageConfig.KmsKeyId`` set to that bucket's key (enforced). SageMaker writes below
      ``<prefix>/<account>/sagemaker/<region>/offline-store/<group name>-<creation time>/data/``.
    - Online store (default off; ``online_store=True`` adds it): the latest record per identifier
      for low-latency reads, with ``SecurityConfig.KmsKeyId`` set to ``encryption_key`` (enforced).
      Off by default because the SageMaker API and SDK default to it being off and because it is a
      second copy of the data behind a read API (``GetRecord``); a group that serves real-time
      inference turns it on. Optionally with a time to live (``online_ttl``) after which records
      are hard-deleted from the online store (and remain in the offline store).
    - No AWS Glue Data Catalog table by default (``DisableGlueTableCreation: true``): a table
      needs ``glue:GetTable`` and ``glue:UpdateTable`` for the role, which
      :class:`~secure_sagemaker.identity.ExecutionRole` never grants, and puts the data's schema
      and location in the account's catalog, a second path to it to govern. ``create_glue_table=True``
      creates one (Athena queries, the Iceberg format); the role then needs those Glue actions
      on the ``sagemaker_featurestore`` database and its tables, and whoever deploys the stack
      ``glue:CreateDatabase``/``CreateTable``. Without the table, define one yourself over the
      offline store's location when you need to query it.
    - The feature group is retained when the stack is deleted (``DeletionPolicy: RetainExceptOnCreate``): deleting
      it would delete every record of the online store, which exists nowhere else. The offline
      store's objects are in a retained SecureBucket either way. The name then stays taken in the
      account and region until someone deletes the group (``DeleteFeatureGroup``).
    - ``RoleArn``: ``role``, the role SageMaker uses to write the offline store. It needs
      ``s3:PutObject`` under the offline prefix (``s3:GetObject`` too, for the store's metadata
      files) and ``kms:GenerateDataKey`` on the bucket's key (the API's stated requirement). An
      :class:`~secure_sagemaker.identity.ExecutionRole` is granted that (``grant_read_write`` on
      the offline store prefix, which brings the bucket's key); any other ``iam.IRole`` is granted
      nothing, and the ``offline_store_bucket``, ``offline_store_prefix`` and
      ``offline_store_encryption_key`` attributes say what to give it. AWS's managed policy
      for this purpose (``AmazonSageMakerFeatureStoreAccess``) also allows ``s3:GetBucketAcl`` and
      ``s3:PutObjectAcl``, which ExecutionRole does not grant; if writes to the offline store are
      denied, those are the actions to add.
    - The online store's key is used by the caller, not by the role: whoever creates the group
      (CloudFormation's role) needs ``kms:CreateGrant``, ``kms:DescribeKey`` and the other actions
      the API lists on ``encryption_key``; every caller of ``PutRecord``, ``GetRecord`` and
      ``DeleteRecord`` needs ``kms:Decrypt`` on it.

    Keyword-only props:

    :param encryption_key: customer-managed KMS key of the online store and of the offline store
        bucket this construct creates (the data key of a KeyRing). Required.
    :param record_identifier_feature_name: the feature whose value identifies a record; one of
        ``features``. Required.
    :param event_time_feature_name: the feature holding each record's event time; one of
        ``features``, of type ``"String"`` (ISO-8601) or ``"Fractional"`` (Unix seconds). Required.
    :param features: feature name -> type (``"String"``, ``"Integral"`` or ``"Fractional"``), 1 to
        2500 of them. Names have 1-64 letters, digits, ``-`` and ``_``, start and end with a letter
        or digit, are not ``is_deleted``, ``write_time`` or ``api_invocation_time``, and (with an
        offline store) differ in more than case, since Glue and Athena lowercase column names.
        Required.
    :param role: the role SageMaker writes the offline store with: an
        :class:`~secure_sagemaker.identity.ExecutionRole` (its ``role`` is used) or an ``iam.IRole``
        assumed by ``sagemaker.amazonaws.com``. Required with an offline store; optional without.
    :param feature_group_name: the group's name, unique in the account and region (validated
        unless it is a token). Default: generated from the construct path (CloudFormation requires
        a name).
    :param description: free-form description, at most 128 characters. Default: none.
    :param offline_store: ``False`` drops the offline store (then ``online_store`` must be on).
        Default ``True``.
    :param offline_store_bucket: the bucket of the offline store, whose key encrypts it: an
        :class:`~secure_sagemaker.interfaces.EncryptedBucket` (a SecureBucket, or
        ``EncryptedBucketRef(bucket, key)``) or an ``s3.IBucket`` whose customer-managed
        ``encryption_key`` is known. Default: a new SecureBucket (child id ``OfflineStore``)
        encrypted with ``encryption_key``.
    :param offline_store_access_log_bucket: where the created offline store bucket logs, as
        SecureBucket's ``access_log_bucket``. Default: a new AccessLogBucket. Conflicts with
        ``offline_store_bucket``.
    :param offline_store_prefix: key prefix of the offline store in its bucket. Default
        ``"feature-store"``.
    :param create_glue_table: ``True`` lets Feature Store create a Glue Data Catalog table for the
        offline store (see above). Default ``False``.
    :param table_format: the offline store's table format, ``"Glue"`` or ``"Iceberg"`` (Iceberg
        only with ``create_glue_table=True``; Feature Store then also keeps the table's metadata in
        the bucket, under a ``metadata`` prefix). Default ``"Glue"``.
    :param online_store: ``True`` adds the online store. Default ``False``.
    :param online_ttl: how long after its event time a record is hard-deleted from the online
        store, a whole number of seconds, at least one; written in the largest unit that divides
        it. Only with ``online_store=True``. Default: records stay until overwritten.

    Read-only attributes: ``feature_group`` (the ``CfnFeatureGroup``), ``feature_group_name``,
    ``record_identifier_feature_name``, ``event_time_feature_name``, ``features`` (read-only
    mapping), ``encryption_key``, ``role`` (an ``iam.IRole`` or None), ``online_store_enabled``,
    ``offline_store_enabled``, ``offline_store_bucket`` (an EncryptedBucket or None),
    ``offline_store_prefix`` (no leading or trailing ``/``), ``offline_store_s3_uri``,
    ``offline_store_encryption_key``, ``glue_table_created``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        encryption_key: kms.IKey,
        record_identifier_feature_name: str,
        event_time_feature_name: str,
        features: Mapping[str, str],
        role: iam.IRole | ExecutionRole | None = None,
        feature_group_name: str | None = None,
        description: str | None = None,
        offline_store: bool = True,
        offline_store_bucket: EncryptedBucket | s3.IBucket | None = None,
        offline_store_access_log_bucket: s3.IBucket | None = None,
        offline_store_prefix: str = "feature-store",
        create_glue_table: bool = False,
        table_format: str | None = None,
        online_store: bool = False,
        online_ttl: cdk.Duration | None = None,
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        self._key = require_key(
            me, "encryption_key", encryption_key, "pass a customer-managed kms.IKey, e.g. KeyRing(...).data_key"
        )
        for prop, value in (
            ("offline_store", offline_store),
            ("online_store", online_store),
            ("create_glue_table", create_glue_table),
        ):
            require_type(me, prop, value, bool, "pass True or False")
        if not (offline_store or online_store):
            raise fail(
                me,
                "offline_store",
                offline_store,
                "is False while online_store is False, so the group stores nothing",
                "keep the offline store, or pass online_store=True",
            )
        self._features = self._check_features(
            me, features, record_identifier_feature_name, event_time_feature_name, offline_store
        )
        self._identifier = record_identifier_feature_name
        self._event_time = event_time_feature_name
        if offline_store:
            if role is None:
                raise fail(
                    me,
                    "role",
                    None,
                    "is missing, but SageMaker writes the offline store with this role",
                    "pass an ExecutionRole (granted write access to the offline store here), or an iam.IRole",
                )
            self._role = execution_role_of(me, "role", role)
        else:
            self._role = execution_role_of(me, "role", role, optional=True)
            for prop, value, default in (
                ("offline_store_bucket", offline_store_bucket, None),
                ("offline_store_access_log_bucket", offline_store_access_log_bucket, None),
                ("offline_store_prefix", offline_store_prefix, "feature-store"),
                ("create_glue_table", create_glue_table, False),
                ("table_format", table_format, None),
            ):
                if value != default:
                    shown = value.node.path if hasattr(value, "node") else value
                    raise fail(
                        me,
                        prop,
                        shown,
                        "only applies to the offline store, which offline_store=False drops",
                        f"drop {prop}, or keep the offline store",
                    )
        self._name = self._check_group_name(me, feature_group_name)
        if description is not None:
            require_type(me, "description", description, str, "pass a short text")
            if not is_token(description) and len(description) > MAX_DESCRIPTION_LENGTH:
                raise fail(
                    me,
                    "description",
                    description,
                    f"is {len(description)} characters long, more than {MAX_DESCRIPTION_LENGTH}",
                    f"shorten it to {MAX_DESCRIPTION_LENGTH} characters",
                )
        ttl = self._check_ttl(me, online_ttl, online_store)

        self._online = online_store
        self._glue = create_glue_table
        self._bucket: EncryptedBucket | None = None
        self._prefix: str | None = None
        self._s3_uri: str | None = None
        offline_config: dict[str, Any] | None = None
        if offline_store:
            self._bucket, self._prefix, fmt = self._check_offline_store(
                me,
                offline_store_bucket,
                offline_store_access_log_bucket,
                offline_store_prefix,
                create_glue_table,
                table_format,
            )
            if self._bucket is None:
                self._bucket = SecureBucket(
                    self, "OfflineStore", encryption_key=self._key, access_log_bucket=offline_store_access_log_bucket
                )
            self._s3_uri = f"s3://{self._bucket.bucket.bucket_name}/{self._prefix}"
            offline_config = {
                "S3StorageConfig": {"S3Uri": self._s3_uri, "KmsKeyId": self._bucket.key.key_arn},
                "DisableGlueTableCreation": not create_glue_table,
                "TableFormat": fmt,
            }
        online_config: dict[str, Any] = {"EnableOnlineStore": online_store}
        if online_store:
            online_config["SecurityConfig"] = {"KmsKeyId": self._key.key_arn}
            if ttl is not None:
                online_config["TtlDuration"] = ttl

        self._group = sagemaker.CfnFeatureGroup(
            self,
            "FeatureGroup",
            feature_group_name=self._name,
            record_identifier_feature_name=record_identifier_feature_name,
            event_time_feature_name=event_time_feature_name,
            feature_definitions=[
                sagemaker.CfnFeatureGroup.FeatureDefinitionProperty(feature_name=n, feature_type=t)
                for n, t in self._features.items()
            ],
            description=description,
            role_arn=self._role.role_arn if self._role is not None else None,
            offline_store_config=offline_config,
            online_store_config=online_config,
        )
        if self._bucket is not None:
            grants.grant_read_write(self._role, self._bucket.bucket, self._prefix)
        self._group.apply_removal_policy(RETAINED)
        stack = cdk.Stack.of(self)
        rules, identity = [], []
        if offline_store:
            rules.append("FeatureGroupOfflineStoreKms")
            identity.append(
                (
                    "OfflineStoreConfig.S3StorageConfig with the offline store bucket's KmsKeyId",
                    lambda p: (
                        p["OfflineStoreConfig"]["S3StorageConfig"]
                        == stack.resolve({"S3Uri": self._s3_uri, "KmsKeyId": self._bucket.key.key_arn})
                    ),
                )
            )
        if online_store:
            rules.append("FeatureGroupOnlineStoreKms")
            identity.append(
                (
                    "OnlineStoreConfig.SecurityConfig.KmsKeyId: this encryption_key",
                    lambda p: p["OnlineStoreConfig"]["SecurityConfig"]["KmsKeyId"] == stack.resolve(self._key.key_arn),
                )
            )
        enforce_rules(self, resources=[self._group], rules=rules, identity=identity)

    # --- validation -----------------------------------------------------------------------

    @staticmethod
    def _check_features(me: str, features: Any, identifier: Any, event_time: Any, offline: bool) -> dict[str, str]:
        fix = "pass a mapping of feature names to 'String', 'Integral' or 'Fractional', e.g. {'customer_id': 'String'}"
        if not isinstance(features, Mapping):
            raise fail(me, "features", features, "is not a mapping of feature names to types", fix)
        if not 1 <= len(features) <= MAX_FEATURES:
            raise fail(
                me,
                "features",
                f"<{len(features)} features>",
                f"is not 1 to {MAX_FEATURES} features, the API's limit",
                f"define 1 to {MAX_FEATURES} features, or split them across feature groups",
            )
        lowered: dict[str, str] = {}
        for name, kind in features.items():
            _check_name(me, "features", name)
            if name.lower() in RESERVED_FEATURE_NAMES:
                raise fail(
                    me,
                    "features",
                    name,
                    "is a name Feature Store reserves for its own columns",
                    f"rename it; {', '.join(RESERVED_FEATURE_NAMES)} are reserved",
                )
            if kind not in FEATURE_TYPES:
                raise fail(
                    me, f"features[{name!r}]", kind, "is not a feature type", f"use one of {', '.join(FEATURE_TYPES)}"
                )
            if offline and name.lower() in lowered:
                raise fail(
                    me,
                    "features",
                    name,
                    f"differs from feature {lowered[name.lower()]!r} only in case, so both "
                    "would be the same column of the offline store (Glue and Athena lowercase column names)",
                    "rename one of them",
                )
            lowered[name.lower()] = name
        for prop, value in (("record_identifier_feature_name", identifier), ("event_time_feature_name", event_time)):
            _check_name(me, prop, value)
            if value not in features:
                raise fail(
                    me,
                    prop,
                    value,
                    "is not one of features",
                    f"add {value!r} to features, or name one of {sorted(features)}",
                )
        if features[event_time] not in EVENT_TIME_TYPES:
            raise fail(
                me,
                "event_time_feature_name",
                event_time,
                f"is a {features[event_time]} feature, but an event time "
                "is a String (ISO-8601) or a Fractional (Unix seconds)",
                f"declare features[{event_time!r}] as 'String' or 'Fractional'",
            )
        return dict(features)

    def _check_group_name(self, me: str, name: Any) -> str:
        if name is None:
            return cdk.Names.unique_resource_name(self, max_length=64, separator="-")
        require_type(me, "feature_group_name", name, str, _NAME_FIX)
        if not is_token(name) and not NAME_PATTERN.match(name):
            raise fail(me, "feature_group_name", name, "is not a valid feature group name", _NAME_FIX)
        return name

    @staticmethod
    def _check_ttl(me: str, ttl: Any, online: bool) -> dict[str, Any] | None:
        if ttl is None:
            return None
        fix = "pass cdk.Duration.days(n) (or hours, minutes, seconds) of at least one second"
        if not online:
            raise fail(
                me,
                "online_ttl",
                ttl.to_human_string() if isinstance(ttl, cdk.Duration) else ttl,
                "only applies to the online store, which is off",
                "pass online_store=True, or drop online_ttl",
            )
        require_type(me, "online_ttl", ttl, cdk.Duration, fix)
        if ttl.is_unresolved():
            raise fail(me, "online_ttl", ttl, "is a token, so its unit cannot be chosen", "pass a literal duration")
        seconds = ttl.to_seconds(integral=False)
        if seconds < 1 or seconds != int(seconds):
            raise fail(me, "online_ttl", ttl.to_human_string(), "is not a whole number of seconds, at least one", fix)
        for unit, size in TTL_UNITS:
            if int(seconds) % size == 0:
                return {"Unit": unit, "Value": int(seconds) // size}
        raise AssertionError("unreachable: Seconds divides every whole number")  # pragma: no cover

    @staticmethod
    def _check_offline_store(
        me: str, bucket: Any, access_log_bucket: Any, prefix: Any, glue: bool, table_format: Any
    ) -> tuple[EncryptedBucket | None, str, str]:
        require_one_of(me, ("offline_store_bucket", bucket), [("offline_store_access_log_bucket", access_log_bucket)])
        if bucket is not None:
            bucket = require_encrypted_bucket(me, "offline_store_bucket", bucket)
        if access_log_bucket is not None:
            require_attribute(
                me,
                "offline_store_access_log_bucket",
                access_log_bucket,
                "bucket_name",
                "pass an s3.IBucket, e.g. AccessLogBucket(...).bucket",
            )
        prefix = s3_key_prefix(
            me,
            "offline_store_prefix",
            prefix,
            "feature-store",
            max_uri_length=MAX_S3_URI_LENGTH,
            uri="offline store URI",
        )
        fmt = "Glue" if table_format is None else table_format
        if fmt not in TABLE_FORMATS:
            raise fail(
                me,
                "table_format",
                table_format,
                "is not a table format CloudFormation accepts",
                f"use one of {', '.join(TABLE_FORMATS)}",
            )
        if fmt == "Iceberg" and not glue:
            raise fail(
                me,
                "table_format",
                fmt,
                "needs a Glue table, and create_glue_table is False",
                "pass create_glue_table=True with it, or use the 'Glue' format",
            )
        return bucket, prefix, fmt

    # --- attributes -----------------------------------------------------------------------

    @property
    def feature_group(self) -> sagemaker.CfnFeatureGroup:
        """The ``AWS::SageMaker::FeatureGroup`` resource."""
        return self._group

    @property
    def feature_group_name(self) -> str:
        """The feature group's name (given or generated)."""
        return self._name

    @property
    def record_identifier_feature_name(self) -> str:
        """The feature that identifies a record."""
        return self._identifier

    @property
    def event_time_feature_name(self) -> str:
        """The feature holding each record's event time."""
        return self._event_time

    @property
    def features(self) -> Mapping[str, str]:
        """Feature name -> type, read-only."""
        return MappingProxyType(self._features)

    @property
    def encryption_key(self) -> kms.IKey:
        """The key of the online store (callers of the record APIs need ``kms:Decrypt`` on it)."""
        return self._key

    @property
    def role(self) -> iam.IRole | None:
        """The role SageMaker writes the offline store with (the ``role`` of an ExecutionRole prop), or None."""
        return self._role

    @property
    def online_store_enabled(self) -> bool:
        """Whether the group has an online store."""
        return self._online

    @property
    def offline_store_enabled(self) -> bool:
        """Whether the group has an offline store."""
        return self._bucket is not None

    @property
    def offline_store_bucket(self) -> EncryptedBucket | None:
        """The bucket of the offline store (the role needs write access under the prefix), or None."""
        return self._bucket

    @property
    def offline_store_prefix(self) -> str | None:
        """The offline store's key prefix in its bucket (no leading or trailing '/'), or None."""
        return self._prefix

    @property
    def offline_store_s3_uri(self) -> str | None:
        """``s3://<bucket>/<prefix>``, the offline store's location, or None."""
        return self._s3_uri

    @property
    def offline_store_encryption_key(self) -> kms.IKey | None:
        """The key of the offline store bucket (the role needs ``kms:GenerateDataKey`` on it), or None."""
        return self._bucket.key if self._bucket is not None else None

    @property
    def glue_table_created(self) -> bool:
        """Whether Feature Store creates a Glue Data Catalog table for the offline store."""
        return self._bucket is not None and self._glue


__all__ = [
    "EVENT_TIME_TYPES",
    "FEATURE_TYPES",
    "MAX_FEATURES",
    "RESERVED_FEATURE_NAMES",
    "SecureFeatureGroup",
    "TABLE_FORMATS",
]
