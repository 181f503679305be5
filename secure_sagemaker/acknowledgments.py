"""Acknowledging nag findings the one way this library does it.

Every acknowledgment names the full rule id (``<pack>::<rule>``) on the narrowest construct and
carries a reason a security reviewer would accept. ``docs/acknowledgments.md`` lists each one and
a test compares that list with what the baseline records. An id that names no rule of a known pack
fails here at once; ``SageMakerSecurityChecks`` runs the same check at synth on acknowledgments
made any other way (see ``secure_sagemaker.nag.acknowledged``).
"""

from __future__ import annotations

from typing import Any, Iterable

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from secure_sagemaker._flatten import NAG_IDS, flatten

#: The stock cdk-nag packs, by the prefix their rule ids carry.
STOCK_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def rule_id(rule: str) -> str:
    """The acknowledgment id for ``rule`` (``AwsSolutions-S1`` -> ``AwsSolutions::AwsSolutions-S1``)."""
    if "::" in rule.split("[", 1)[0]:
        return rule
    pack = rule.split("-", 1)[0]
    return f"{pack}::{rule}"


def acknowledge(construct: IConstruct, rules: Iterable[str], reason: str) -> None:
    """Acknowledge each of ``rules`` on ``construct`` (and its children) with ``reason``."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledge: reason {reason!r} is too short to convince a reviewer")
    from secure_sagemaker.nag.acknowledged import id_problem

    acks = [cdk.Acknowledgment(id=rule_id(r), reason=reason) for r in rules]
    for ack in acks:
        problem = id_problem(ack.id)
        if problem:  # the same check the pack runs at synth, here at construct time
            raise ValueError(f"acknowledge: {problem}")
    if acks:
        cdk.Validations.of(construct).acknowledge(*acks)


def flatten_cfn_reference(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in finding ids (its flattenCfnReference)."""
    return flatten(node, NAG_IDS)


def acknowledge_wildcard_resources(policy: iam.ManagedPolicy, reason: str) -> list[str]:
    """Acknowledge AwsSolutions-IAM5 for each wildcard resource of ``policy``, by its finding id.

    cdk-nag reports one finding per wildcard (``AwsSolutions-IAM5[Resource::<flattened ARN>]``) and
    an acknowledgment must name it exactly, logical ids included; deriving the ids from the policy
    keeps them right when construct paths change. Call it once the policy is complete. Wildcard
    *actions* are never acknowledged here. Returns the acknowledged rule ids.
    """
    document = cdk.Stack.of(policy).resolve(policy.document)
    findings: list[str] = []
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            flat = flatten_cfn_reference(resource)
            rule = f"AwsSolutions-IAM5[Resource::{flat}]"
            if "*" in flat and rule not in findings:
                findings.append(rule)
    acknowledge(policy, findings, reason)
    return findings
