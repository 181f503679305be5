"""checkov skips: written with the nag acknowledgments' reasons, and listed in docs/checkov.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from secure_sagemaker.acknowledgments import CHECKOV_EQUIVALENTS, acknowledge, skip_checkov
from secure_sagemaker.nag.acknowledged import construct_paths
from tests.helpers import ROOT


def test_the_docs_list_exactly_the_skips_of_the_baseline(baseline_assembly) -> None:
    skips = {}
    for (template_path, logical_id), path in construct_paths(baseline_assembly).items():
        resource = json.loads(Path(template_path).read_text())["Resources"].get(logical_id, {})
        for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            skips[(path.strip("/").split("/", 1)[-1], skip["id"])] = skip["comment"]
    listed = set(re.findall(r"^\| `([^`]+)` \| `(CKV_[A-Z0-9_]+)` \|", (ROOT / "docs/checkov.md").read_text(), re.M))
    assert set(skips) == listed
    assert all(len(reason) > 80 for reason in skips.values()), skips


def test_an_acknowledgment_with_a_checkov_equivalent_skips_it_with_the_same_reason_once() -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    bucket = s3.Bucket(stack, "Bucket")
    reason = "A reason that a security reviewer would accept, long enough to read as one."
    acknowledge(bucket, ["AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled", "AwsSolutions-S10"], reason)
    template = cdk.assertions.Template.from_stack(stack)
    (resource,) = template.find_resources("AWS::S3::Bucket").values()
    assert resource["Metadata"]["checkov"] == {"skip": [{"id": "CKV_AWS_18", "comment": reason}]}
    assert "checkov" not in (template.find_resources("AWS::S3::BucketPolicy") or {"-": {}}).popitem()[1].get(
        "Metadata", {}
    )


def test_a_skip_lands_only_on_resources_of_the_checks_type() -> None:
    stack = cdk.Stack(cdk.App(), "Stack")
    function = lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    skip_checkov(function, *CHECKOV_EQUIVALENTS["LambdaDLQ"], "A reason long enough for a security reviewer.")
    template = cdk.assertions.Template.from_stack(stack).to_json()
    skipped = {r["Type"] for r in template["Resources"].values() if "checkov" in r.get("Metadata", {})}
    assert skipped == {"AWS::Lambda::Function"}
