"""One way to make an alarm that notifies a topic, after cdk-monitoring-constructs' ``AlarmFactory``.

Every alarm of the library counts events over a window, so no data means nothing happened
(``TreatMissingData: notBreaching``) and the usual comparison is "at least the threshold". The
factory holds what the alarms of one construct share (scope, topic, whether OK is notified) and
each call says only what is particular to one alarm.
"""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

#: The comparison of a count alarm: the threshold itself already alarms.
AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


class AlarmFactory:
    """Creates alarms in ``scope`` whose state changes go to ``topic``.

    :param scope: the construct the alarms are created in (their ids are relative to it).
    :param topic: the SNS topic that receives ALARM (and, with ``notify_ok``, OK) notifications.
    :param notify_ok: also notify ``topic`` when an alarm returns to OK, so a responder knows the
        incident ended. Default ``True``.
    :param treat_missing_data: how a period without data is evaluated. Default ``NOT_BREACHING``:
        the metrics count events, and no data means none happened.
    """

    def __init__(
        self,
        scope: Construct,
        topic: sns.ITopic,
        *,
        notify_ok: bool = True,
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        self._scope = scope
        self._action = cw_actions.SnsAction(topic)
        self._notify_ok = notify_ok
        self._treat_missing_data = treat_missing_data

    def alarm(
        self,
        id: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
        comparison_operator: cloudwatch.ComparisonOperator = AT_LEAST,
    ) -> cloudwatch.Alarm:
        """A static-threshold alarm on ``metric``: ``comparison_operator`` (default: at least)
        ``threshold`` for ``evaluation_periods`` periods (default 1)."""
        return self._create(
            cloudwatch.Alarm,
            id,
            description,
            evaluation_periods,
            comparison_operator,
            metric=metric,
            threshold=threshold,
        )

    def anomaly_alarm(
        self,
        id: str,
        *,
        metric: cloudwatch.Metric,
        std_devs: float,
        description: str,
        evaluation_periods: int = 1,
        comparison_operator: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
    ) -> cloudwatch.AnomalyDetectionAlarm:
        """An anomaly-detection alarm: ``metric`` outside its learned band of ``std_devs`` standard
        deviations (default: above it) for ``evaluation_periods`` periods (default 1)."""
        return self._create(
            cloudwatch.AnomalyDetectionAlarm,
            id,
            description,
            evaluation_periods,
            comparison_operator,
            metric=metric,
            std_devs=std_devs,
        )

    def _create(
        self,
        kind: type[cloudwatch.Alarm],
        id: str,
        description: str,
        evaluation_periods: int,
        comparison_operator: cloudwatch.ComparisonOperator,
        **measure: object,
    ) -> cloudwatch.Alarm:
        alarm = kind(
            self._scope,
            id,
            evaluation_periods=evaluation_periods,
            comparison_operator=comparison_operator,
            treat_missing_data=self._treat_missing_data,
            alarm_description=description,
            **measure,
        )
        alarm.add_alarm_action(self._action)
        if self._notify_ok:
            alarm.add_ok_action(self._action)
        return alarm


__all__ = ["AT_LEAST", "AlarmFactory"]
