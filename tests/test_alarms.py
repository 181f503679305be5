"""The one alarm helper: actions to the topic, missing data, description, comparison."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from secure_sagemaker.alarms import AlarmFactory
from tests.conftest import new_stack, resources

TOPIC_ARN = "arn:aws:sns:eu-west-1:111111111111:alerts"


def _metric(name: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(namespace="Test", metric_name=name, statistic="Sum", period=cdk.Duration.minutes(5))


@pytest.fixture(scope="module")
def template() -> dict:
    stack = new_stack()
    topic = sns.Topic.from_topic_arn(stack, "Topic", TOPIC_ARN)
    both = AlarmFactory(stack, topic)
    both.alarm("Count", metric=_metric("Count"), threshold=3, description="three or more")
    both.alarm(
        "Slow",
        metric=_metric("Slow"),
        threshold=1.5,
        description="slow",
        evaluation_periods=2,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    )
    both.anomaly_alarm("Anomaly", metric=_metric("Calls"), std_devs=2, description="odd", evaluation_periods=3)
    AlarmFactory(stack, topic, notify_ok=False).alarm("Once", metric=_metric("Once"), threshold=1, description="x")
    return Template.from_stack(stack).to_json()


def _alarm(template: dict, id_prefix: str) -> dict:
    (alarm,) = [
        r["Properties"] for lid, r in resources(template, "AWS::CloudWatch::Alarm").items() if lid.startswith(id_prefix)
    ]
    return alarm


def test_count_alarm_defaults(template: dict) -> None:
    alarm = _alarm(template, "Count")
    assert alarm["AlarmActions"] == [TOPIC_ARN] and alarm["OKActions"] == [TOPIC_ARN]
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert (alarm["Threshold"], alarm["EvaluationPeriods"], alarm["AlarmDescription"]) == (3, 1, "three or more")


def test_overrides_and_anomaly_band(template: dict) -> None:
    slow = _alarm(template, "Slow")
    assert (slow["ComparisonOperator"], slow["EvaluationPeriods"]) == ("GreaterThanThreshold", 2)
    anomaly = _alarm(template, "Anomaly")
    assert anomaly["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert anomaly["OKActions"] == [TOPIC_ARN] and anomaly["TreatMissingData"] == "notBreaching"
    assert anomaly["ThresholdMetricId"]


def test_notify_ok_false_sends_only_alarm(template: dict) -> None:
    once = _alarm(template, "Once")
    assert once["AlarmActions"] == [TOPIC_ARN] and "OKActions" not in once
