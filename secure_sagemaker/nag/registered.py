"""Which nag packs an App or Stage registered, recorded in its cloud assembly (see ``record_packs``)."""

from __future__ import annotations

import aws_cdk as cdk
import constructs
import jsii

from secure_sagemaker.nag import PACKS_METADATA


@jsii.implements(constructs.IValidation)
class RecordPacks:
    """Adds a :data:`~secure_sagemaker.nag.PACKS_METADATA` entry to every stack under a scope.

    A validation rather than an aspect: CDK calls it once per synthesis, when the tree is
    complete and before the stacks' metadata is written, where an aspect would cross from Node.js
    to Python once per construct. It reports no problem.
    """

    def __init__(self, scope: constructs.Construct, names: list[str]) -> None:
        self._scope = scope
        self._names = list(names)

    def validate(self) -> list[str]:
        for construct in self._scope.node.find_all():
            if isinstance(construct, cdk.Stack):
                construct.node.add_metadata(PACKS_METADATA, self._names)
        return []
