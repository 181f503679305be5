"""Synth-time checks: the stock cdk-nag packs and this library's own rule pack."""

from __future__ import annotations

import aws_cdk as cdk
import cdk_nag
from constructs import Construct


def stock_packs(scope: Construct) -> list[cdk.IPolicyValidationPlugin]:
    """The four stock cdk-nag packs the baseline must pass."""
    return [
        cdk_nag.AwsSolutionsChecks(scope),
        cdk_nag.HIPAASecurityChecks(scope),
        cdk_nag.NIST80053R5Checks(scope),
        cdk_nag.PCIDSS321Checks(scope),
    ]


def add_all_packs(app: Construct) -> None:
    """Register every nag pack on ``app`` (an App or Stage) so `synth` runs them."""
    cdk.Validations.of(app).add_plugins(*stock_packs(app))
