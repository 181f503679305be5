"""Reminders: construct warnings about a deployment step only the user can take, not findings.

A nag finding says the template is wrong. A reminder says the template is right but something
outside it is still missing, such as a person subscribed to the alert topic: the CDK cannot know
the address, so the default app cannot have one. CDK reports construct warnings
(``Annotations.add_warning_v2``) in the validation report under its "Construct Annotations"
plugin, where ``cdk synth`` prints them; they never fail synth. ``secure-sagemaker summary`` (the
end of ``make synth``) lists the ids below as reminders instead of counting them as unacknowledged
findings, so the default app passes while every user without a subscriber still sees the warning.
Every other construct warning, and every finding of a nag pack, still counts.

Pure Python (no CDK import): the summary reads the report without Node.js.
"""

from __future__ import annotations

from typing import Any

#: The warning an :class:`~secure_sagemaker.audit.alerts.AlertTopic` gets at synth when nothing in
#: the app subscribes to its topic.
NO_SUBSCRIBER_WARNING = "@secure-sagemaker/alerts:noSubscriber"
#: Every reminder id. Keep it short: an id here never fails ``make synth``.
REMINDERS = frozenset({NO_SUBSCRIBER_WARNING})
#: The validation-report plugin that carries construct annotations, and its rule-id namespace.
ANNOTATIONS_PLUGIN = "Construct Annotations"
_ANNOTATIONS_NAMESPACE = "Annotation"


def reminder_id(plugin_name: str, violation: dict[str, Any]) -> str | None:
    """The id in :data:`REMINDERS` that ``violation`` of the report's ``plugin_name`` is (a warning of
    the construct-annotations plugin whose id is listed), or None when it is a finding."""
    if plugin_name != ANNOTATIONS_PLUGIN or violation.get("severity") != "warning":
        return None
    rule = str(violation.get("ruleName", ""))
    namespace, _, warning = rule.rpartition("::")
    return warning if warning in REMINDERS and namespace in ("", _ANNOTATIONS_NAMESPACE) else None


def is_reminder(plugin_name: str, violation: dict[str, Any]) -> bool:
    """Whether ``violation`` of the report's ``plugin_name`` is one of :data:`REMINDERS`, rather than a finding."""
    return reminder_id(plugin_name, violation) is not None
