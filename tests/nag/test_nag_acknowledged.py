"""Acknowledgment ids checked against the rule ids of every known pack (pure Python, and at construct time)."""

from __future__ import annotations

import pytest

from secure_sagemaker.nag.acknowledged import Acknowledgment, id_problem, stock_rule_ids, unused


def test_the_stock_packs_rule_ids_come_from_the_installed_cdk_nag() -> None:
    ids = stock_rule_ids()
    assert {"AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"} <= set(ids)
    assert all(len(ids[pack]) > 50 for pack in ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"))
    assert {"AwsSolutions-IAM5", "AwsSolutions-S1", "AwsSolutions-EC23"} <= ids["AwsSolutions"]
    assert "HIPAA.Security-S3BucketLoggingEnabled" in ids["HIPAA.Security"]
    assert "PCI.DSS.321-APIGWCacheEnabledAndEncrypted" in ids["PCI.DSS.321"]


@pytest.mark.parametrize(
    "ack_id, expected",
    [
        ("AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::b/*]", None),
        ("SageMakerSecurity::SageMakerSecurity-TopicKms", None),
        ("CloudFormation-Validate::W3010", None),  # another plugin: not ours to judge
        ("@aws-cdk/aws-lambda:someWarning", None),  # an annotation id
        (
            "AwsSolutions-IAM5",
            "no '<pack>::' prefix, so CDK reads it as a construct annotation id and it suppresses no nag finding; "
            "use AwsSolutions::AwsSolutions-IAM5",
        ),
        ("Annotation::AwsSolutions-IAM5", "use AwsSolutions::AwsSolutions-IAM5"),  # how CDK records a bare id
        (
            "SageMakerSecurity::SageMakerSecurity-TopicKsm",
            "did you mean SageMakerSecurity::SageMakerSecurity-TopicKms?",
        ),
        (
            "HIPAA.Security::HIPAA.Security-S3BucketLogingEnabled",
            "did you mean HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled?",
        ),
        (
            "AwsSolution::AwsSolutions-S1",
            "names the pack AwsSolution, which is not registered; did you mean AwsSolutions::AwsSolutions-S1?",
        ),
    ],
)
def test_an_id_that_names_no_rule_is_a_problem_with_the_closest_id(ack_id: str, expected: str | None) -> None:
    problem = id_problem(ack_id)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_unused_acknowledgments_of_a_pack() -> None:
    acks = [
        Acknowledgment("App/Model", "SageMakerSecurity::SageMakerSecurity-ModelVpcConfig", "r"),
        Acknowledgment("App/Key", "SageMakerSecurity::SageMakerSecurity-TopicKms", "r"),
        Acknowledgment("App", "SageMakerSecurity::SageMakerSecurity-KmsKeyRotation", "r"),  # covers the tree below it
        Acknowledgment("App/Key", "AwsSolutions::AwsSolutions-KMS5", "r"),  # another pack's
    ]
    findings = [
        ("SageMakerSecurity-ModelVpcConfig", "App/Model"),
        ("SageMakerSecurity-KmsKeyRotation", "App/Key/Resource"),
    ]
    assert [a.id for a in unused(acks, "SageMakerSecurity", findings)] == [
        "SageMakerSecurity::SageMakerSecurity-TopicKms"
    ]


def test_the_acknowledge_helper_refuses_an_id_of_no_rule_at_construct_time() -> None:
    import aws_cdk as cdk

    from secure_sagemaker.acknowledgments import acknowledge

    stack = cdk.Stack(cdk.App(), "S")
    reason = "A reason long enough to convince a reviewer."
    acknowledge(stack, ["AwsSolutions-IAM5", "SageMakerSecurity-TopicKms"], reason)
    with pytest.raises(ValueError, match="did you mean SageMakerSecurity::SageMakerSecurity-TopicKms"):
        acknowledge(stack, ["SageMakerSecurity-TopicKsm"], reason)
