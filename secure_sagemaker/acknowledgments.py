"""Acknowledging nag findings the one way this library does it.

Every acknowledgment names the full rule id (``<pack>::<rule>``) on the narrowest construct and
carries a reason a security reviewer would accept. Where checkov has a check for the same control
(``CHECKOV_EQUIVALENTS``), the same reason is written as a checkov skip in the resource's own
metadata, so a team that also runs checkov on ``cdk.out`` reads one explanation, not two. ``docs/acknowledgments.md`` lists each one and
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


#: cdk-nag rules (without their pack) -> the checkov check of the same control and the resource
#: type checkov runs it on.
CHECKOV_EQUIVALENTS: dict[str, tuple[str, str]] = {
    "S1": ("CKV_AWS_18", "AWS::S3::Bucket"),
    "S3BucketLoggingEnabled": ("CKV_AWS_18", "AWS::S3::Bucket"),
    "APIGWCacheEnabledAndEncrypted": ("CKV_AWS_120", "AWS::ApiGateway::Stage"),
    "LambdaConcurrency": ("CKV_AWS_115", "AWS::Lambda::Function"),
    "LambdaDLQ": ("CKV_AWS_116", "AWS::Lambda::Function"),
    "LambdaInsideVPC": ("CKV_AWS_117", "AWS::Lambda::Function"),
}
#: The metadata key checkov reads skips from: ``{"checkov": {"skip": [{"id": ..., "comment": ...}]}}``.
CHECKOV_METADATA_KEY = "checkov"


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
    for rule in rules:
        name = rule.split("::", 1)[-1].split("[", 1)[0].split("-", 1)[-1]
        if name in CHECKOV_EQUIVALENTS:
            check, resource_type = CHECKOV_EQUIVALENTS[name]
            skip_checkov(construct, check, resource_type, reason)


def skip_checkov(construct: IConstruct, check: str, resource_type: str, reason: str) -> None:
    """Skip checkov's ``check`` with ``reason`` on each ``resource_type`` L1 resource of ``construct``
    (itself or below it), in the resource's ``checkov`` metadata; once per check and resource."""
    for node in construct.node.find_all():
        if not isinstance(node, cdk.CfnResource) or node.cfn_resource_type != resource_type:
            continue
        metadata = node.get_metadata(CHECKOV_METADATA_KEY) or {}
        skips = list(metadata.get("skip", []))
        if all(entry.get("id") != check for entry in skips):
            skips.append({"id": check, "comment": reason})
            node.add_metadata(CHECKOV_METADATA_KEY, {**metadata, "skip": skips})


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
