"""Synth-time checks: the stock cdk-nag packs and this library's own rule pack.

The rule engine (``template``, ``rule``, ``engine``, ``rules``) is pure Python; only the pack
adapter imports the CDK. This module imports ``aws_cdk`` and ``cdk_nag`` inside its functions so
that ``secure-sagemaker audit`` runs without starting Node.js.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

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


#: The type of the stack metadata entry (in the cloud assembly) that lists the nag packs
#: registered on the stack's App or Stage; ``secure-sagemaker summary`` reads it.
PACKS_METADATA = "secure-sagemaker:nag-packs"


def add_all_packs(app: "Construct") -> None:
    """Register every nag pack on ``app`` (an App or Stage) so `synth` runs them: the four stock
    packs and ``SageMakerSecurityChecks``; and record them in the cloud assembly (see
    :func:`record_packs`)."""
    import aws_cdk as cdk

    from secure_sagemaker.nag.pack import SageMakerSecurityChecks

    packs = [*stock_packs(app), SageMakerSecurityChecks(app)]
    cdk.Validations.of(app).add_plugins(*packs)
    record_packs(app, packs)


def record_packs(scope: "Construct", packs: "Sequence[cdk.IPolicyValidationPlugin]") -> None:
    """Record in the cloud assembly that ``packs`` are registered on ``scope`` (an App or Stage).

    CDK leaves a pack that found nothing out of ``validation-report.json``, so the report alone
    cannot tell "ran and found nothing" from "never ran". At synth, every stack under ``scope``
    gets a :data:`PACKS_METADATA` metadata entry with the packs' names (in the stack's
    ``<stack>.metadata.json``), which ``secure-sagemaker summary`` reads. :func:`add_all_packs`
    calls this; call it yourself after ``Validations.of(scope).add_plugins(...)`` with packs of
    your own choosing.

    Call it once the app's Stages exist (as `app.py` calls ``add_all_packs`` last): CDK
    synthesizes a Stage's stacks before the App's own validations run, so the record reaches a
    Stage's stacks through a validation on each Stage found now.
    """
    import aws_cdk as cdk

    from secure_sagemaker.nag.registered import RecordPacks

    names = [pack.name for pack in packs]
    for construct in [scope, *(c for c in scope.node.find_all() if isinstance(c, cdk.Stage) and c is not scope)]:
        construct.node.add_validation(RecordPacks(construct, names))
