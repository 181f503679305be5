"""Synth-time checks: the stock cdk-nag packs and this library's own rule pack.

The rule engine (``template``, ``rule``, ``engine``, ``rules``) is pure Python; only the pack
adapter imports the CDK. This module imports ``aws_cdk`` and ``cdk_nag`` inside its functions so
that ``secure-sagemaker audit`` runs without starting Node.js.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import aws_cdk as cdk
    from constructs import Construct


def stock_packs(scope: "Construct") -> list["cdk.IPolicyValidationPlugin"]:
    """The four stock cdk-nag packs the baseline must pass."""
    import cdk_nag

    return [
        cdk_nag.AwsSolutionsChecks(scope),
        cdk_nag.HIPAASecurityChecks(scope),
        cdk_nag.NIST80053R5Checks(scope),
        cdk_nag.PCIDSS321Checks(scope),
    ]


def add_all_packs(app: "Construct") -> None:
    """Register every nag pack on ``app`` (an App or Stage) so `synth` runs them: the four stock
    packs and ``SageMakerSecurityChecks``."""
    import aws_cdk as cdk

    from secure_sagemaker.nag.pack import SageMakerSecurityChecks

    cdk.Validations.of(app).add_plugins(*stock_packs(app), SageMakerSecurityChecks(app))
