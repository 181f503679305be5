"""Audit: CloudTrail with security alarms, GuardDuty, AWS Config rules, and the alert topic.

- :class:`AlertTopic` (``alerts.py``): the KMS-encrypted, TLS-only SNS topic alerts go to.
- :class:`AuditTrail` (``trail.py``): the hardened multi-Region trail and its CIS-style alarms,
  one per :data:`SECURITY_WATCHES` entry (``watches.py``).
- :class:`ThreatDetection` (``detection.py``): GuardDuty with S3 protection, findings to the topic.
- :class:`ComplianceRules` (``compliance.py``): AWS Config managed rules as the periodic audit.
"""

from secure_sagemaker.audit._common import AUDIT_KEY_PURPOSE
from secure_sagemaker.audit.alerts import ALERTS_KEY_PURPOSE, AlertTopic
from secure_sagemaker.audit.compliance import DEFAULT_RULES, MANAGED_RULES, ComplianceRules, ManagedRuleInfo
from secure_sagemaker.audit.detection import (
    MAX_SEVERITY,
    MIN_SEVERITY,
    PUBLISHING_FREQUENCIES,
    ThreatDetection,
)
from secure_sagemaker.audit.trail import AuditTrail
from secure_sagemaker.audit.watches import SECURITY_WATCHES, SecurityWatch

__all__ = [
    "ALERTS_KEY_PURPOSE",
    "AUDIT_KEY_PURPOSE",
    "DEFAULT_RULES",
    "MANAGED_RULES",
    "MAX_SEVERITY",
    "MIN_SEVERITY",
    "PUBLISHING_FREQUENCIES",
    "SECURITY_WATCHES",
    "AlertTopic",
    "AuditTrail",
    "ComplianceRules",
    "ManagedRuleInfo",
    "SecurityWatch",
    "ThreatDetection",
]
