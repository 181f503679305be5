"""The alert topic every audit construct publishes to: SNS, customer-managed KMS key, TLS only."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._validation import describe, fail, is_token, require_type
from secure_sagemaker.audit._common import (
    ACCOUNT,
    arn,
    key_once,
    require_keyring,
    require_one_key_source,
    require_own_key,
    ring_key,
)
from secure_sagemaker.encryption import KeyRing, allow_service_on_key, new_customer_managed_key
from secure_sagemaker.reminders import NO_SUBSCRIBER_WARNING

#: The KeyRing purpose of the key that encrypts alert topics.
ALERTS_KEY_PURPOSE = "alerts"
#: What a service publishing to an encrypted topic needs on its key (Amazon SNS Developer Guide,
#: "Enable compatibility between event sources from AWS services and encrypted topics").
PUBLISHER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")

# Deliberately simple: one "@", no spaces, a dot in the domain. SNS itself sends a confirmation
# message, which is the real proof of an address; this catches typos and swapped arguments.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
MAX_EMAIL_LENGTH = 254
#: SNS topic display names (the sender name of email notifications) are at most 100 characters.
MAX_DISPLAY_NAME_LENGTH = 100


def cloudwatch_alarm_arns() -> str:
    """Every CloudWatch alarm of this account and region (``aws:SourceArn`` pattern)."""
    return arn("cloudwatch", "alarm:*")


def eventbridge_rule_arns() -> str:
    """Every EventBridge rule of this account and region (``aws:SourceArn`` pattern)."""
    return arn("events", "rule/*")


def admit_publishers_to_key(key: kms.Key) -> None:
    """Let CloudWatch alarms and EventBridge rules of this account publish to topics under ``key``.

    - CloudWatch: ``aws:SourceAccount`` and ``aws:SourceArn`` (alarms of this account and region).
    - EventBridge: AWS documents that ``aws:SourceAccount`` and ``aws:SourceArn`` are *not*
      supported in a KMS key policy for EventBridge-to-encrypted-topic delivery (Amazon SNS
      Developer Guide, key management; quoted in awslabs/landing-zone-accelerator-on-aws#407), so
      a condition on them would drop every notification silently. The statement is scoped instead
      by the encryption context SNS binds to every data key, ``aws:sns:topicArn``, to topics of
      this account and region.

    Idempotent: a key shared by several topics receives the statements once.
    """
    if not key_once(key, "AlertPublishersAdmitted"):
        return
    allow_service_on_key(
        key,
        "cloudwatch.amazonaws.com",
        PUBLISHER_KEY_ACTIONS,
        {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": cloudwatch_alarm_arns()},
        },
        sid="CloudWatchAlarmsOfThisAccount",
    )
    allow_service_on_key(
        key,
        "events.amazonaws.com",
        PUBLISHER_KEY_ACTIONS,
        {"StringLike": {"kms:EncryptionContext:aws:sns:topicArn": arn("sns", "*")}},
        sid="EventBridgeForTopicsOfThisAccount",
    )


def validate_email(me: str, prop: str, value: Any) -> None:
    """Fail unless ``value`` looks like one email address (SNS's confirmation message proves it)."""
    fix = "pass one address such as 'security-team@example.com', or None for no subscription"
    require_type(me, prop, value, str, fix)
    if is_token(value):
        return
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value):
        raise fail(me, prop, value, "is not an email address", fix)


@jsii.implements(events.IRuleTarget)
class TopicTarget:
    """An EventBridge rule target that publishes to an :class:`AlertTopic` and leaves its policy alone.

    ``aws_events_targets.SnsTopic`` adds an unconditioned ``sns:Publish`` for ``events.amazonaws.com``
    to the policy of a topic defined in the app; :class:`AlertTopic` already admits EventBridge
    rules of this account and region, with ``aws:SourceAccount`` and ``aws:SourceArn``.
    """

    def __init__(self, topic: sns.ITopic) -> None:
        self._topic = topic

    def bind(self, _rule: events.IRule, _id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn)


def is_subscribed(topic: sns.ITopic) -> bool:
    """Whether any stack of ``topic``'s app has an SNS subscription to it (an email, an
    ``add_subscription``, an ``sns.Subscription``), in the topic's stack or another one."""
    stack = cdk.Stack.of(topic)
    arn_token, arn_value = topic.topic_arn, stack.resolve(topic.topic_arn)
    for construct in topic.node.root.node.find_all():
        if not isinstance(construct, sns.CfnSubscription):
            continue
        # An L2 subscription anywhere keeps the topic's own ARN token; in the topic's stack, an L1
        # one given the resolved ARN resolves to the same value.
        if construct.topic_arn == arn_token:
            return True
        if cdk.Stack.of(construct) is stack and stack.resolve(construct.topic_arn) == arn_value:
            return True
    return False


@jsii.implements(constructs.IValidation)
class _WarnWithoutSubscriber:
    """At synth, once every subscription exists: warn when nothing in the app subscribes to the topic."""

    def __init__(self, owner: "AlertTopic") -> None:
        self._owner = owner

    def validate(self) -> list[str]:
        if not is_subscribed(self._owner.topic):
            cdk.Annotations.of(self._owner).add_warning_v2(
                NO_SUBSCRIBER_WARNING,
                "Nobody is subscribed to the alert topic, so alarms and security findings reach nobody. "
                "Subscribe a responder: email=... (secure-sagemaker:alertEmail in cdk.json), "
                "topic.add_subscription(...) or an sns.Subscription; where the topic is subscribed outside "
                "this app, acknowledge this warning on the AlertTopic.",
            )
        return []


class AlertTopic(Construct):
    """The SNS topic that security alarms, GuardDuty findings and other alerts publish to.

    - Encrypted with a customer-managed key: the ``alerts`` key of ``keys`` (added to the ring if
      it has none yet), ``encryption_key``, or a new key (child id ``Key``). The key admits
      CloudWatch alarms and EventBridge rules of this account only (see
      :func:`admit_publishers_to_key`); IAM principals of the account may use it through SNS only.
    - The topic policy denies publishing without TLS and admits exactly two services:
      ``cloudwatch.amazonaws.com`` for alarms of this account and region, and
      ``events.amazonaws.com`` for EventBridge rules of this account and region
      (``aws:SourceAccount`` and ``aws:SourceArn``). Principals of this account publish with
      their own IAM permissions (``topic.grant_publish(role)``); no other account can.
    - Optionally one email subscription, which the recipient must confirm.
    - At synth, a warning (``NO_SUBSCRIBER_WARNING``, ``@secure-sagemaker/alerts:noSubscriber``)
      when no stack of the app subscribes to the topic: alarms would reach nobody. It never fails
      synth, and ``secure-sagemaker summary`` lists it as a reminder rather than a finding
      (``secure_sagemaker.reminders``). Subscribe with ``email``, ``topic.add_subscription`` or an
      ``sns.Subscription`` (in any stack of the app), or, where the topic is subscribed outside the
      app, ``cdk.Annotations.of(alert_topic).acknowledge_warning(NO_SUBSCRIBER_WARNING, reason)``.

    Keyword-only props:

    :param keys: the KeyRing whose ``alerts`` key encrypts the topic. Default: none.
        Conflicts with ``encryption_key``.
    :param encryption_key: a ``kms.Key`` of this app to encrypt the topic with; its policy gains the
        publisher statements. Default: none. With neither ``keys`` nor ``encryption_key``, a new
        customer-managed key is created.
    :param email: an address to subscribe (protocol ``email``). Default: no subscription.
    :param topic_name: the topic's physical name. Default: generated by CloudFormation.
    :param display_name: the sender name of email notifications.
        Default: ``"Security alerts"``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        keys: KeyRing | None = None,
        encryption_key: kms.Key | None = None,
        email: str | None = None,
        topic_name: str | None = None,
        display_name: str = "Security alerts",
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        require_keyring(me, "keys", keys)
        require_own_key(me, "encryption_key", encryption_key)
        require_one_key_source(me, keys, "encryption_key", encryption_key)
        if email is not None:
            validate_email(me, "email", email)
        if topic_name is not None:
            require_type(me, "topic_name", topic_name, str, "pass a name of letters, digits, '-' and '_'")
            if not is_token(topic_name) and not re.match(r"^[A-Za-z0-9_-]{1,256}$", topic_name):
                raise fail(
                    me,
                    "topic_name",
                    topic_name,
                    "is not a valid SNS topic name",
                    "use 1-256 letters, digits, '-' and '_'",
                )
        require_type(me, "display_name", display_name, str, "pass a short sender name")
        if not is_token(display_name) and len(display_name) > MAX_DISPLAY_NAME_LENGTH:
            raise fail(
                me,
                "display_name",
                display_name,
                f"is {len(display_name)} characters long, more than the {MAX_DISPLAY_NAME_LENGTH} SNS accepts",
                f"use at most {MAX_DISPLAY_NAME_LENGTH} characters, such as 'Security alerts'",
            )

        if keys is not None:
            key = ring_key(
                keys, ALERTS_KEY_PURPOSE, description="secure-sagemaker: security alert topics", via_services=("sns",)
            )
        elif encryption_key is not None:
            key = encryption_key
        else:
            key = new_customer_managed_key(
                self, "Key", description=f"secure-sagemaker: alert topic {self.node.path}", via_services=("sns",)
            )
        admit_publishers_to_key(key)
        self._key = key

        self._topic = sns.Topic(
            self,
            "Topic",
            topic_name=topic_name,
            display_name=display_name,
            master_key=key,
            enforce_ssl=True,
        )
        stack = cdk.Stack.of(self)
        enforce_rules(
            self,
            resources=[self._topic.node.default_child],
            rules=["TopicKms"],
            identity=[("KmsMasterKeyId: the alerts key", lambda p: p["KmsMasterKeyId"] == stack.resolve(key.key_arn))],
        )
        for sid, service, source_arn in (
            ("CloudWatchAlarmsOfThisAccount", "cloudwatch.amazonaws.com", cloudwatch_alarm_arns()),
            ("EventBridgeRulesOfThisAccount", "events.amazonaws.com", eventbridge_rule_arns()),
        ):
            self._topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["sns:Publish"],
                    resources=[self._topic.topic_arn],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                        "ArnLike": {"aws:SourceArn": source_arn},
                    },
                )
            )
        if email is not None:
            sns.Subscription(self, "Email", topic=self._topic, protocol=sns.SubscriptionProtocol.EMAIL, endpoint=email)
        self.node.add_validation(_WarnWithoutSubscriber(self))

    @property
    def topic(self) -> sns.Topic:
        """The encrypted alert topic."""
        return self._topic

    @property
    def key(self) -> kms.Key:
        """The KMS key that encrypts the topic's messages."""
        return self._key
