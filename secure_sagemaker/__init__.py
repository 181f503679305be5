"""secure-sagemaker: a hardened Amazon SageMaker baseline as AWS CDK v2 constructs.

Every public construct is importable from the package root (``from secure_sagemaker import
KeyRing, SecureBucket``) as well as from the module that defines it
(``from secure_sagemaker.encryption import KeyRing``); both give the same object.

The root re-exports are lazy (PEP 562): ``import secure_sagemaker`` does not import ``aws_cdk``,
``constructs`` or ``cdk_nag``. A name is imported from its module the first time it is looked up.
This keeps ``secure-sagemaker audit`` (the pure-Python rule engine and CLI, which import this
package) from starting the CDK's Node.js kernel.
"""

from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("secure-sagemaker")  # the one place the version lives is pyproject.toml
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0.0.0+unknown"

#: Public name -> the module that defines it. Keep in step with the ``TYPE_CHECKING`` imports
#: below (tests/test_public_api.py checks both, and that every public construct is listed here).
_EXPORTS: dict[str, str] = {
    # encryption, storage, network, identity
    "KeyRing": "secure_sagemaker.encryption",
    "AccessLogBucket": "secure_sagemaker.storage",
    "SecureBucket": "secure_sagemaker.storage",
    "PrivateNetwork": "secure_sagemaker.network",
    "DnsFirewall": "secure_sagemaker.dns",
    "PackageMirror": "secure_sagemaker.packages",
    "ExecutionRole": "secure_sagemaker.identity",
    "Guardrails": "secure_sagemaker.identity",
    "S3Prefix": "secure_sagemaker.identity",
    # the data-science workflow: least privilege for data scientists, separation of duties for models
    "DataScientistPermissions": "secure_sagemaker.workflow",
    "ModelRegistry": "secure_sagemaker.workflow",
    "ReleaseRole": "secure_sagemaker.workflow",
    # per-person isolation: one profile, execution role, training role and home prefix per person
    "PersonalWorkspace": "secure_sagemaker.people",
    "GuardrailsServiceControlPolicy": "secure_sagemaker.organization",
    # what constructs accept: protocols our classes satisfy, and wrappers for resources made elsewhere
    "WorkloadNetwork": "secure_sagemaker.interfaces",
    "ImportedNetwork": "secure_sagemaker.interfaces",
    "EncryptedBucket": "secure_sagemaker.interfaces",
    "EncryptedBucketRef": "secure_sagemaker.interfaces",
    "InferenceEndpoint": "secure_sagemaker.interfaces",
    "EndpointRef": "secure_sagemaker.interfaces",
    # Studio, notebooks, inference, Feature Store, Model Monitor
    "SecureStudioDomain": "secure_sagemaker.studio",
    "SecureUserProfile": "secure_sagemaker.studio",
    "SecureNotebookInstance": "secure_sagemaker.studio",
    "SecureModel": "secure_sagemaker.inference",
    "SecureEndpoint": "secure_sagemaker.inference",
    "SecureFeatureGroup": "secure_sagemaker.feature_store",
    "SecureDataQualityMonitor": "secure_sagemaker.model_monitor",
    # the inference edge
    "ProtectedInferenceApi": "secure_sagemaker.edge.api",
    # audit
    "AlertTopic": "secure_sagemaker.audit.alerts",
    "AuditTrail": "secure_sagemaker.audit.trail",
    "ThreatDetection": "secure_sagemaker.audit.detection",
    "ComplianceRules": "secure_sagemaker.audit.compliance",
    "ApiGatewayCloudWatchRole": "secure_sagemaker.edge.account_logging",
    # the composed baselines (per account, per workload) and their configuration
    "SecureSageMakerAccountBaseline": "secure_sagemaker.account",
    "SecureSageMakerAccountStack": "secure_sagemaker.account",
    "SecureSageMakerBaseline": "secure_sagemaker.baseline",
    "SecureSageMakerStack": "secure_sagemaker.baseline",
    "DeployTimeZonesStack": "secure_sagemaker.zones",
    "BaselineConfig": "secure_sagemaker.config",
    # synth-time checks
    "SageMakerSecurityChecks": "secure_sagemaker.nag.pack",
    "add_all_packs": "secure_sagemaker.nag",
    # the error a construct raises on a bad prop
    "PropError": "secure_sagemaker._validation",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see; at run time see __getattr__
    from secure_sagemaker._validation import PropError
    from secure_sagemaker.account import SecureSageMakerAccountBaseline, SecureSageMakerAccountStack
    from secure_sagemaker.audit.alerts import AlertTopic
    from secure_sagemaker.audit.compliance import ComplianceRules
    from secure_sagemaker.audit.detection import ThreatDetection
    from secure_sagemaker.audit.trail import AuditTrail
    from secure_sagemaker.baseline import SecureSageMakerBaseline, SecureSageMakerStack
    from secure_sagemaker.config import BaselineConfig
    from secure_sagemaker.dns import DnsFirewall
    from secure_sagemaker.edge.account_logging import ApiGatewayCloudWatchRole
    from secure_sagemaker.edge.api import ProtectedInferenceApi
    from secure_sagemaker.encryption import KeyRing
    from secure_sagemaker.feature_store import SecureFeatureGroup
    from secure_sagemaker.identity import ExecutionRole, Guardrails, S3Prefix
    from secure_sagemaker.inference import SecureEndpoint, SecureModel
    from secure_sagemaker.interfaces import (
        EncryptedBucket,
        EncryptedBucketRef,
        EndpointRef,
        ImportedNetwork,
        InferenceEndpoint,
        WorkloadNetwork,
    )
    from secure_sagemaker.model_monitor import SecureDataQualityMonitor
    from secure_sagemaker.nag import add_all_packs
    from secure_sagemaker.nag.pack import SageMakerSecurityChecks
    from secure_sagemaker.network import PrivateNetwork
    from secure_sagemaker.organization import GuardrailsServiceControlPolicy
    from secure_sagemaker.packages import PackageMirror
    from secure_sagemaker.people import PersonalWorkspace
    from secure_sagemaker.storage import AccessLogBucket, SecureBucket
    from secure_sagemaker.studio import SecureNotebookInstance, SecureStudioDomain, SecureUserProfile
    from secure_sagemaker.workflow import DataScientistPermissions, ModelRegistry, ReleaseRole
    from secure_sagemaker.zones import DeployTimeZonesStack


def __getattr__(name: str) -> Any:
    """Import a re-exported name from its module on first use (PEP 562), then cache it here."""
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_import_module(module), name)
    globals()[name] = value  # later lookups no longer reach __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
