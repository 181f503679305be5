"""Ref / GetAtt / Sub resolution and the "present but unverifiable" value type."""

from __future__ import annotations

import pytest

from secure_sagemaker.nag.policy import action_matches, statements
from secure_sagemaker.nag.rules._common import key_status
from secure_sagemaker.nag.template import Ref, Template, Unresolved, get, references

BODY = {
    "Parameters": {"Env": {"Type": "String"}},
    "Mappings": {"M": {"eu": {"size": "large"}}},
    "Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/data", "TargetKeyId": {"Ref": "Key"}}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "k", "Value": {"Ref": "Key"}}]}},
        "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"}}},
    },
}
T = Template(BODY)


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"Ref": "Key"}, Ref("Key")),
        ({"Fn::GetAtt": ["Key", "Arn"]}, Ref("Key", "Arn")),
        ({"Fn::GetAtt": "Key.Arn"}, Ref("Key", "Arn")),
        ({"Fn::Sub": "${Key.Arn}"}, Ref("Key", "Arn")),
        ({"Fn::Sub": "${Key}"}, Ref("Key")),
        ({"Fn::Sub": ["${x}", {"x": {"Ref": "Bucket"}}]}, Ref("Bucket")),
        ({"Fn::If": ["C", {"Ref": "Key"}, {"Ref": "Key"}]}, Ref("Key")),
        ({"Fn::Select": [1, ["a", {"Ref": "Key"}]]}, Ref("Key")),
        ({"Fn::Select": ["0", ["a", "b"]]}, "a"),
        ({"Fn::FindInMap": ["M", "eu", "size"]}, "large"),
        (
            {"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, {"Fn::GetAtt": ["Key", "Arn"]}]]},
            "a-${AWS::Region}-${Key.Arn}",
        ),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}, "arn:${AWS::Partition}:s3:::${Bucket}/*"),
        ({"Ref": "AWS::NoValue"}, None),
        ("literal", "literal"),
        (True, True),
        ([1, 2], [1, 2]),
    ],
)
def test_resolve(value, expected) -> None:
    assert T.resolve(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ({"Ref": "Env"}, "parameter Env"),
        ({"Ref": "Elsewhere"}, "not in this template"),
        ({"Fn::GetAtt": ["Elsewhere", "Arn"]}, "not in this template"),
        ({"Fn::ImportValue": "x"}, "another stack"),
        ({"Fn::If": ["C", "a", "b"]}, "condition C"),
        ({"Fn::Sub": "${Env}-x"}, "parameter Env"),
        ({"Fn::Join": ["", ["a", {"Ref": "Env"}]]}, "parameter Env"),
        ({"Fn::FindInMap": ["M", {"Ref": "Env"}, "size"]}, "FindInMap"),
        ({"Fn::Base64": "x"}, "Fn::Base64"),
        ({"Ref": "AWS::AccountId"}, "pseudo parameter"),
    ],
)
def test_unresolvable_values_say_why(value, reason) -> None:
    resolved = T.resolve(value)
    assert isinstance(resolved, Unresolved)
    assert reason in resolved.reason


def test_typed_reads() -> None:
    assert T.boolean("TRUE") is True and T.boolean("false") is False and T.boolean(None) is None
    assert isinstance(T.boolean({"Ref": "Env"}), Unresolved)
    assert T.boolean("yes") is False
    assert T.number("30") == 30.0 and T.number("x") is None and T.number(True) is None
    assert T.string(5) == "5" and T.string(None) is None
    assert T.items(None) == [] and T.items("a") == ["a"]
    assert T.mapping("x") is None and T.mapping({"a": 1}) == {"a": 1}


def test_render_keeps_pseudo_parameters_and_resources_symbolic() -> None:
    assert T.render({"Ref": "AWS::AccountId"}) == "${AWS::AccountId}"
    assert T.render({"Fn::Sub": ["${A}.${AWS::URLSuffix}", {"A": "x"}]}) == "x.${AWS::URLSuffix}"
    assert T.render({"Fn::Sub": "${!Literal}"}) == "${Literal}"
    assert T.render(7) == "7"
    assert isinstance(T.render({"a": 1}), Unresolved)


def test_target_and_referrers() -> None:
    assert T.target({"Fn::GetAtt": ["Key", "Arn"]}).logical_id == "Key"
    assert T.target({"Ref": "Key"}, "AWS::S3::Bucket") is None
    assert T.target("arn:aws:kms:...") is None
    assert {r.logical_id for r in T.referrers("Key")} == {"Alias", "Bucket"}
    assert [r.logical_id for r in T.referrers("Bucket", "AWS::S3::BucketPolicy")] == ["Policy"]
    assert references({"Fn::Sub": ["${A.B} ${C}", {"X": {"Ref": "D"}}]}) == {"A", "C", "D"}


@pytest.mark.parametrize(
    "value, status",
    [
        ({"Fn::GetAtt": ["Key", "Arn"]}, "customer"),
        ({"Ref": "Alias"}, "customer"),
        ("alias/data", "customer"),
        ({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}"}, "customer"),
        ("alias/aws/s3", "aws-managed"),
        ({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sns"}, "aws-managed"),
        (None, "absent"),
        ("", "absent"),
        ({"Ref": "Bucket"}, "invalid"),
        (42.5, "invalid"),
        ({"Ref": "Env"}, "unverifiable"),
        ("arn:aws:kms:eu-west-1:111122223333:key/1234", "unverifiable"),
    ],
)
def test_key_status_follows_keys_and_aliases(value, status) -> None:
    assert key_status(T, value)[0] == status


def test_policy_helpers() -> None:
    doc = {"Statement": {"Effect": "Allow", "Action": "s3:*"}}
    assert statements(T, doc) == [{"Effect": "Allow", "Action": "s3:*"}]
    assert statements(T, "junk") == []
    assert action_matches("s3:Get*", "s3:GetObject") and not action_matches("s3:Get*", "s3:PutObject")
    assert get({"a": [{"b": 1}]}, "a", 0, "b") == 1 and get({"a": 1}, "a", "b") is None


# --- references to other stacks of the same app ---------------------------------------------------

_PRODUCER = {
    "Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
    },
    "Outputs": {
        "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}, "Export": {"Name": "Net:KeyArn"}},
        "TopicArn": {"Value": {"Ref": "Topic"}},
    },
}
_STRONG = {"Fn::ImportValue": "Net:KeyArn"}
_WEAK = {"Fn::GetStackOutput": {"StackName": "Net", "Region": {"Ref": "AWS::Region"}, "OutputName": "KeyArn"}}


def _linked(*names: str) -> list[Template]:
    from secure_sagemaker.nag.template import link_exports

    templates = [Template(_PRODUCER, name=name) for name in names]
    consumer = Template({"Resources": {}}, name=names[0].rpartition("/")[0] + "/Work.template.json")
    link_exports([*templates, consumer])
    return [consumer, *templates]


@pytest.mark.parametrize("value", [_STRONG, _WEAK])
def test_a_key_of_another_stack_is_followed_through_import_or_stack_output(value):
    consumer, producer = _linked("out/Net.template.json")
    assert consumer.imported(value) == (producer, {"Fn::GetAtt": ["Key", "Arn"]})
    assert key_status(consumer, value) == ("customer", "Key")


def test_an_output_that_is_not_a_key_is_still_invalid_as_a_key():
    consumer, _ = _linked("out/Net.template.json")
    weak_topic = {"Fn::GetStackOutput": {"StackName": "Net", "OutputName": "TopicArn"}}
    assert key_status(consumer, weak_topic)[0] == "invalid"


def test_same_output_in_two_stages_is_taken_from_the_consumers_assembly():
    consumer, dev, prod = _linked("out/assembly-Dev/Net.template.json", "out/assembly-Prod/Net.template.json")
    assert consumer.imported(_WEAK)[0] is dev
    stray = Template({"Resources": {}}, name="elsewhere/Work.template.json")
    stray._outputs = consumer._outputs
    assert stray.imported(_WEAK) is None  # ambiguous: neither is in its folder
    assert key_status(stray, _WEAK)[0] == "unverifiable"


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::ImportValue": "Unknown:Export"},
        {"Fn::GetStackOutput": {"StackName": "Net", "OutputName": "Missing"}},
        {"Fn::ImportValue": {"Fn::Sub": "${Env}-key"}},
        {"Fn::GetStackOutput": "junk"},
    ],
)
def test_an_import_nobody_exports_stays_unverifiable(value):
    consumer, _ = _linked("out/Net.template.json")
    assert consumer.imported(value) is None
    assert key_status(consumer, value)[0] == "unverifiable"
    assert Template({"Resources": {}}).imported(value) is None  # an unlinked template follows nothing
