"""`secure-sagemaker diff`: each kind of change in both directions, on templates given as dicts,
then the command (formats, exit codes, bad input) on files, and once end to end on two synths of
app.py."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from secure_sagemaker.cli import main as cli_main
from secure_sagemaker.securitydiff import create_only_properties, diff_templates, is_stateful
from secure_sagemaker.securitydiff.output import render_json, render_markdown, render_text

ROOT = Path(__file__).resolve().parent.parent
RETAINED = {"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain"}


def _base() -> dict:
    """A small compliant workload: key, bucket, log group, role, security group, model, alarm."""
    return {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                **RETAINED,
                "Properties": {
                    "EnableKeyRotation": True,
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    },
                },
            },
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                **RETAINED,
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]},
                                }
                            }
                        ]
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "Tags": [{"Key": "team", "Value": "ml"}],
                },
            },
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Deny",
                                "Principal": {"AWS": "*"},
                                "Action": "s3:*",
                                "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ]
                    },
                },
            },
            "Logs": {
                "Type": "AWS::Logs::LogGroup",
                **RETAINED,
                "Properties": {"RetentionInDays": 365, "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "sagemaker.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                            }
                        ]
                    },
                    "Policies": [
                        {
                            "PolicyName": "data",
                            "PolicyDocument": {
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": ["s3:GetObject"],
                                        "Resource": {
                                            "Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/training/*"]]
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            },
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "endpoints",
                    "VpcId": "vpc-1",
                    "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/16"}
                    ],
                },
            },
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {
                    "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                    "EnableNetworkIsolation": True,
                    "VpcConfig": {"SecurityGroupIds": [{"Ref": "Group"}], "Subnets": ["subnet-1"]},
                },
            },
            "Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmDescription": "errors",
                    "MetricName": "Errors",
                    "Namespace": "AWS/SageMaker",
                    "Dimensions": [{"Name": "Model", "Value": {"Ref": "Model"}}],
                    "ComparisonOperator": "GreaterThanThreshold",
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                },
            },
        }
    }


def _diff(change) -> tuple[list, list, object]:
    """Diff the base against a copy that ``change(resources)`` edited, and the reverse."""
    base = _base()
    head = copy.deepcopy(base)
    change(head["Resources"])
    forward = diff_templates({"t": base}, {"t": head})
    backward = diff_templates({"t": head}, {"t": base})
    return forward, backward, head


def _messages(report, kind: str | None = None, worse: bool | None = True) -> list[str]:
    return [c.message for c in report.changes if (kind is None or c.kind == kind) and c.worse is worse]


def test_no_change_is_no_worse():
    report = diff_templates({"t": _base()}, {"t": _base()})
    assert report.changes == [] and report.exit_code == 0
    assert render_markdown(report).count("\n") == 2  # the title and one line


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r["Bucket"]["Properties"].update(Tags=[{"Key": "team", "Value": "data"}]),
        lambda r: r["Alarm"]["Properties"].update(AlarmDescription="errors: page the on-call"),
        lambda r: r["Group"]["Properties"].update(GroupDescription="the endpoints' group"),
        lambda r: r["Group"]["Properties"]["SecurityGroupIngress"][0].update(Description="HTTPS from the VPC"),
    ],
    ids=["tag", "alarm text", "group description", "rule description"],
)
def test_descriptions_alarm_text_and_tags_are_not_worse(edit):
    forward, backward, _ = _diff(edit)
    assert forward.exit_code == 0 and backward.exit_code == 0
    assert forward.changes == [] and backward.changes == []


# --------------------------------------------------------------------------------------------
# Controls weakened / strengthened
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda r: r["Key"]["Properties"].update(EnableKeyRotation=False),
            "key rotation off: EnableKeyRotation true -> false",
        ),
        (
            lambda r: r["Model"]["Properties"].pop("EnableNetworkIsolation"),
            "network isolation off: EnableNetworkIsolation true -> (absent)",
        ),
        (
            lambda r: r["Bucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
                "ServerSideEncryptionByDefault"
            ].pop("KMSMasterKeyID"),
            "customer-managed KMS key off",
        ),
        (
            lambda r: r["Bucket"]["Properties"].update(VersioningConfiguration={"Status": "Suspended"}),
            'versioning off: VersioningConfiguration.Status "Enabled" -> "Suspended"',
        ),
        (lambda r: r["Logs"]["Properties"].pop("KmsKeyId"), "KMS encryption off: KmsKeyId"),
        (lambda r: r["Logs"]["Properties"].update(RetentionInDays=7), "retention shortened: RetentionInDays 365 -> 7"),
        (
            lambda r: r["Key"]["Properties"].update(EnableKeyRotation={"Ref": "Rotate"}),
            'key rotation off: EnableKeyRotation true -> {"Ref": "Rotate"}',
        ),
    ],
    ids=["rotation", "isolation", "key removed", "versioning", "log key", "retention", "from a parameter"],
)
def test_a_weakened_control_is_worse_and_the_reverse_is_better(edit, expected):
    forward, backward, _ = _diff(edit)
    assert forward.exit_code == 1
    assert any(expected in m for m in _messages(forward, "control")), forward.changes
    assert backward.exit_code == 0
    assert _messages(backward, "control", worse=False), backward.changes


def test_a_retention_policy_dropped_from_a_stateful_resource_is_worse():
    forward, backward, _ = _diff(lambda r: r["Bucket"].pop("DeletionPolicy"))
    assert _messages(forward, "control") == [
        "DeletionPolicy RetainExceptOnCreate -> (absent: Delete): the data is no longer kept"
    ]
    assert backward.exit_code == 0 and _messages(backward, "control", worse=False)


# --------------------------------------------------------------------------------------------
# IAM
# --------------------------------------------------------------------------------------------


def _statement(r):
    return r["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda r: _statement(r)["Action"].append("s3:PutObject"), "newly allows s3:PutObject"),
        (lambda r: _statement(r).update(Action="s3:*"), "newly allows s3:*"),
        (lambda r: _statement(r).update(Resource="*"), "newly allows s3:GetObject on *"),
        (
            lambda r: r["Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0].pop("Condition"),
            'allows sts:AssumeRole to {"Service": "sagemaker.amazonaws.com"} without condition aws:SourceAccount',
        ),
        (
            lambda r: r["Role"]["Properties"]["Policies"].append(
                {
                    "PolicyName": "more",
                    "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]},
                }
            ),
            "newly allows ecr:* on *",
        ),
        (
            lambda r: r["Role"]["Properties"].update(ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"]),
            "ManagedPolicyArns gains arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        (lambda r: r["BucketPolicy"]["Properties"]["PolicyDocument"]["Statement"].clear(), "no longer denies s3:*"),
        (
            lambda r: r.update(
                Extra={
                    "Type": "AWS::IAM::Policy",
                    "Properties": {
                        "PolicyName": "x",
                        "Roles": [{"Ref": "Role"}],
                        "PolicyDocument": {
                            "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]
                        },
                    },
                }
            ),
            "newly allows kms:Decrypt on *",
        ),
    ],
    ids=[
        "action added",
        "action broadened",
        "resource broadened",
        "condition dropped",
        "statement added",
        "managed policy",
        "deny dropped",
        "new policy",
    ],
)
def test_a_broadened_permission_is_worse_and_the_reverse_is_better(edit, expected):
    forward, backward, _ = _diff(edit)
    assert forward.exit_code == 1
    assert any(expected in m for m in _messages(forward, "iam")), forward.changes
    assert backward.exit_code == 0, backward.changes
    assert _messages(backward, "iam", worse=False), backward.changes


def test_a_narrower_statement_under_a_wildcard_is_not_broader():
    forward, _, _ = _diff(lambda r: _statement(r).update(Action=["s3:GetObject", "s3:GetObjectVersion"]))
    assert forward.exit_code == 1  # a new action
    base = _base()
    _statement(base["Resources"]).update(Action="s3:Get*")
    head = copy.deepcopy(base)
    _statement(head["Resources"]).update(Action=["s3:GetObject", "s3:GetObjectVersion"])
    assert diff_templates({"t": base}, {"t": head}).exit_code == 0


def test_an_added_condition_narrows():
    base = _base()
    head = copy.deepcopy(base)
    _statement(head["Resources"])["Condition"] = {"StringEquals": {"s3:ExistingObjectTag/class": "public"}}
    report = diff_templates({"t": base}, {"t": head})
    assert report.exit_code == 0
    assert diff_templates({"t": head}, {"t": base}).exit_code == 1


# --------------------------------------------------------------------------------------------
# Security groups and network
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit, expected",
    [
        (
            lambda r: r["Group"]["Properties"]["SecurityGroupIngress"].append(
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
            ),
            "ingress rule added",
        ),
        (
            lambda r: r["Group"]["Properties"]["SecurityGroupIngress"][0].update(CidrIp="0.0.0.0/0"),
            "ingress rule added",
        ),
        (
            lambda r: r.update(
                Open={
                    "Type": "AWS::EC2::SecurityGroupEgress",
                    "Properties": {
                        "GroupId": {"Fn::GetAtt": ["Group", "GroupId"]},
                        "IpProtocol": "-1",
                        "CidrIp": "0.0.0.0/0",
                    },
                }
            ),
            "egress rule added",
        ),
        (lambda r: r.update(Igw={"Type": "AWS::EC2::InternetGateway", "Properties": {}}), "opens a path"),
        (
            lambda r: r.update(
                Out={
                    "Type": "AWS::EC2::Route",
                    "Properties": {
                        "RouteTableId": "rtb-1",
                        "DestinationCidrBlock": "0.0.0.0/0",
                        "NatGatewayId": "nat-1",
                    },
                }
            ),
            "route added to NatGatewayId",
        ),
    ],
    ids=["new ingress", "widened ingress", "standalone egress", "internet gateway", "route"],
)
def test_a_network_opening_is_worse_and_the_reverse_is_better(edit, expected):
    forward, backward, _ = _diff(edit)
    assert forward.exit_code == 1
    assert any(expected in m for m in _messages(forward, "network")), forward.changes
    assert backward.exit_code == 0, backward.changes
    assert _messages(backward, "network", worse=False), backward.changes


# --------------------------------------------------------------------------------------------
# Stateful resources
# --------------------------------------------------------------------------------------------


def test_a_deleted_bucket_is_data_loss():
    forward, backward, _ = _diff(lambda r: (r.pop("Bucket"), r.pop("BucketPolicy")))
    assert forward.exit_code == 1
    (message,) = _messages(forward, "stateful")
    assert message.startswith("DELETED") and "RetainExceptOnCreate keeps the old one" in message
    assert not _messages(backward, "stateful") and not _messages(backward, "stateful", worse=False)


def test_a_renamed_bucket_is_a_replacement():
    def rename(r):
        r["DataBucket"] = r.pop("Bucket")
        text = (
            json.dumps(r)
            .replace('{"Ref": "Bucket"}', '{"Ref": "DataBucket"}')
            .replace('["Bucket", ', '["DataBucket", ')
        )
        r.update(json.loads(text))

    forward, backward, _ = _diff(rename)
    assert forward.exit_code == 1 and backward.exit_code == 1  # either way round, a new bucket
    (message,) = _messages(forward, "stateful")
    assert message.startswith("REPLACED: its logical id changed to DataBucket")
    # its findings moved with it: the rename is the change, not findings resolved and found again
    assert not [c for c in forward.changes if c.kind == "finding" and c.resource in ("Bucket", "DataBucket")]


def test_a_create_only_property_change_is_a_replacement():
    forward, backward, _ = _diff(lambda r: r["Bucket"]["Properties"].update(BucketName="ml-data"))
    (message,) = _messages(forward, "stateful")
    assert message.startswith("REPLACED: BucketName can only be set on creation")
    assert message.endswith("UpdateReplacePolicy keeps the old one, orphaned")
    assert _messages(backward, "stateful")  # naming it back replaces it again


def test_an_unretained_stateful_resource_deleted_loses_its_data():
    forward, _, _ = _diff(lambda r: (r["Logs"].pop("DeletionPolicy"), r.pop("Logs")))
    base = _base()
    del base["Resources"]["Logs"]["DeletionPolicy"]
    head = copy.deepcopy(base)
    del head["Resources"]["Logs"]
    (message,) = _messages(diff_templates({"t": base}, {"t": head}), "stateful")
    assert message.endswith("its data is lost (no DeletionPolicy Retain)")


def test_a_stack_that_disappears_deletes_its_stateful_resources():
    report = diff_templates({"a": _base(), "b": _base()}, {"a": _base()})
    assert {(c.template, c.resource) for c in report.changes if c.kind == "stateful"} == {
        ("b", "Key"),
        ("b", "Bucket"),
        ("b", "Logs"),
    }


def test_the_stateful_table_is_what_cfn_lint_says():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import stateful_table
    finally:
        sys.path.pop(0)
    pinned = json.loads((ROOT / "secure_sagemaker" / "securitydiff" / "stateful.json").read_text())["types"]
    assert pinned == stateful_table.build_table(), "run python scripts/stateful_table.py"
    assert is_stateful("AWS::S3::Bucket") and not is_stateful("AWS::IAM::Role")
    assert "KmsKeyId" in create_only_properties("AWS::EFS::FileSystem")


# --------------------------------------------------------------------------------------------
# Findings and acknowledgments
# --------------------------------------------------------------------------------------------


def test_findings_added_and_removed_per_rule():
    forward, backward, _ = _diff(lambda r: r["Key"]["Properties"].update(EnableKeyRotation=False))
    added = [c for c in forward.changes if c.kind == "finding" and c.worse]
    assert added and all(c.resource == "Key" for c in added)
    assert {c.rule_id for c in added} == {
        c.rule_id for c in backward.changes if c.kind == "finding" and c.worse is False
    }


def test_an_acknowledgment_added_or_changed_is_shown_with_its_reason():
    def acknowledge(r, reason="the model needs internet access to a licence server"):
        r["Model"]["Metadata"] = {
            "cdk_nag": {"rules_to_suppress": [{"id": "SageMakerSecurity-ModelNetworkIsolation", "reason": reason}]}
        }

    forward, backward, head = _diff(acknowledge)
    assert _messages(forward, "acknowledgment") == [
        "SageMakerSecurity-ModelNetworkIsolation acknowledged: the model needs internet access to a licence server"
    ]
    assert forward.exit_code == 1
    assert _messages(backward, "acknowledgment", worse=False)
    changed = copy.deepcopy(head)
    acknowledge(changed["Resources"], "because")
    (message,) = _messages(diff_templates({"t": head}, {"t": changed}), "acknowledgment")
    assert message.startswith("SageMakerSecurity-ModelNetworkIsolation reason changed") and message.endswith(
        "-> 'because'"
    )


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------


def test_formats_say_the_same_thing():
    forward, _, _ = _diff(lambda r: r["Key"]["Properties"].update(EnableKeyRotation=False))
    text, markdown, data = render_text(forward), render_markdown(forward), json.loads(render_json(forward))
    assert text.startswith("secure-sagemaker diff: HEAD is worse than BASE")
    assert "WORSE   t Key (AWS::KMS::Key): key rotation off" in text
    assert "🔴 `t` `Key`: key rotation off" in markdown
    assert data["worse"] is True and data["summary"]["worse"] == len(forward.worse)
    assert {"kind": "control", "effect": "worse", "template": "t", "resource": "Key"}.items() <= data["changes"][
        0
    ].items()


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def _write(path: Path, body: dict) -> Path:
    path.write_text(json.dumps(body))
    return path


def test_command_exit_codes_and_output(tmp_path, capsys):
    base = _write(tmp_path / "base.json", _base())
    weaker = _base()
    weaker["Resources"]["Key"]["Properties"]["EnableKeyRotation"] = False
    head = _write(tmp_path / "head.json", weaker)
    assert cli_main(["diff", str(base), str(base)]) == 0
    assert cli_main(["diff", str(base), str(head), "--format", "markdown", "-o", str(tmp_path / "out.md")]) == 1
    assert "key rotation off" in (tmp_path / "out.md").read_text()
    assert cli_main(["diff", str(head), str(base), "--format", "json"]) == 0


def test_yaml_and_folders_pair_templates_by_path(tmp_path):
    import yaml

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _write(tmp_path / "a" / "stack.json", _base())
    weaker = _base()
    weaker["Resources"]["Model"]["Properties"]["EnableNetworkIsolation"] = False
    (tmp_path / "b" / "stack.yaml").write_text(yaml.safe_dump(weaker))
    assert cli_main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.json", "base.json"], "missing.json: no such file or directory"),
        (["bad.json", "base.json"], "bad.json: malformed JSON"),
        (["base.json", "base.json", "--account", "12"], "--account '12' is not a 12-digit AWS account id"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "base.json", _base())
    (tmp_path / "bad.json").write_text("{nope")
    out = tmp_path / "out.md"
    assert cli_main(["diff", *args, "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("secure-sagemaker diff: ") and message in err
    assert not out.exists()


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["diff", "only-one"])
    assert exc.value.code == 2


# --------------------------------------------------------------------------------------------
# End to end: two synths of app.py
# --------------------------------------------------------------------------------------------


def test_end_to_end_on_two_synths_of_the_baseline(baseline_assembly, default_assembly, capsys):
    assert cli_main(["diff", str(baseline_assembly), str(baseline_assembly)]) == 0
    capsys.readouterr()
    smaller = default_assembly  # the demo endpoint off
    assert cli_main(["diff", str(baseline_assembly), str(smaller), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    deleted = {c["resource"] for c in data["changes"] if c["kind"] == "stateful"}
    assert deleted == {
        "BaselineInferenceApiAccessLogsD8A27F99",
        "BaselineInferenceApiExecutionLogsC05EF834",
        "BaselineInferenceApiWafLogs38A8931C",
    }
    acknowledgments = [
        c for c in data["changes"] if c["kind"] == "acknowledgment" and c["template"] == "validation-report.json"
    ]
    assert acknowledgments and all(c["effect"] == "better" for c in acknowledgments)
    assert cli_main(["diff", str(smaller), str(baseline_assembly)]) == 1  # new IAM grants, new acknowledgments


def test_an_unchanged_template_is_not_rechecked_but_a_changed_one_is(monkeypatch):
    from secure_sagemaker.securitydiff import engine

    checked: list[str] = []
    real = engine.check_template
    monkeypatch.setattr(engine, "check_template", lambda t: checked.append(t.name) or real(t))
    weaker = _base()
    weaker["Resources"]["Key"]["Properties"]["EnableKeyRotation"] = False
    report = diff_templates({"same": _base(), "changed": _base()}, {"same": _base(), "changed": weaker})
    assert sorted(checked) == ["changed", "changed"]
    assert any(c.kind == "finding" and c.worse for c in report.changes)


def test_markdown_stays_within_a_comment_and_says_what_it_left_out():
    from secure_sagemaker.securitydiff.output import MARKDOWN_LIMIT

    base = {
        "Resources": {
            f"Key{i}": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}} for i in range(100)
        }
    }
    head = {
        "Resources": {
            f"Key{i}": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": False}} for i in range(100)
        }
    }
    report = diff_templates({"t": base}, {"t": head})
    markdown = render_markdown(report)
    assert len(markdown) < 65536
    assert f"_The first {MARKDOWN_LIMIT}; {100 - MARKDOWN_LIMIT} more in `--format text`._" in markdown
    assert render_text(report).count("key rotation off") == 100
