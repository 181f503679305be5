"""Deprecated alias of :mod:`secure_sagemaker.model_monitor`, kept for one release.

The module was renamed because it holds Model Monitor, while the rules for CloudTrail, GuardDuty,
logs and SNS live in ``secure_sagemaker.nag.rules``. Import from ``secure_sagemaker.model_monitor``
(or from ``secure_sagemaker``) instead.
"""

from __future__ import annotations

import warnings

from secure_sagemaker.model_monitor import *  # noqa: F403
from secure_sagemaker.model_monitor import __all__  # noqa: F401

warnings.warn(
    "secure_sagemaker.monitoring is renamed secure_sagemaker.model_monitor; import from there "
    "(or from secure_sagemaker). The old name goes in the next release.",
    DeprecationWarning,
    stacklevel=2,
)
