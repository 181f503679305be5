"""`secure-sagemaker audit` and `secure-sagemaker rules`, in process (no CDK, no Node.js)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _nagcases import run, write

from secure_sagemaker.nag.output import render_rules_markdown
from secure_sagemaker.nag.rule import all_rules

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

KEY = {
    "Type": "AWS::KMS::Key",
    "Properties": {
        "EnableKeyRotation": True,
        "KeyPolicy": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": ["kms:Describe*"],
                    "Resource": "*",
                }
            ]
        },
    },
}
LOG_GROUP = {
    "Type": "AWS::Logs::LogGroup",
    "Properties": {"KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}, "RetentionInDays": 365},
}
BAD_TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {}}
COMPLIANT = {"Resources": {"Key": KEY, "Logs": LOG_GROUP}}
FAILING = {"Resources": {"Key": KEY, "Logs": LOG_GROUP, "Topic": BAD_TOPIC}}

YAML_TEMPLATE = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Isolate:
    Type: String
  RoleArn:
    Type: String
  Sg:
    Type: AWS::EC2::SecurityGroup::Id
Conditions:
  Prod: !Equals [!Ref "AWS::AccountId", "111122223333"]
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: true
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: [kms:Describe*]
            Resource: "*"
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      KmsKeyId: !GetAtt Key.Arn
      RetentionInDays: !If [Prod, 365, 365]
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: !Ref RoleArn
      EnableNetworkIsolation: !Ref Isolate
      VpcConfig:
        Subnets: !Split [",", !ImportValue subnets]
        SecurityGroupIds: [!Ref Sg]
      PrimaryContainer:
        Image: !Join ["", [!Ref "AWS::AccountId", ".dkr.ecr.", !Ref "AWS::Region", ".", !Ref "AWS::URLSuffix", "/m:1"]]
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: !Ref Key
"""


def test_a_compliant_template_exits_0(tmp_path, capsys) -> None:
    code, out, err = run(capsys, "audit", str(write(tmp_path / "ok.json", COMPLIANT)))
    assert code == 0 and err == ""
    assert out.strip() == "1 template, 2 resources: 0 errors, 0 warnings"


def test_json_output_has_the_documented_shape(tmp_path, capsys) -> None:
    path = write(tmp_path / "t.json", FAILING)
    code, out, _ = run(capsys, "audit", "--format", "json", str(path))
    assert code == 1
    data = json.loads(out)
    (finding,) = data["findings"]
    assert {"rule_id", "level", "template", "resource", "resource_type", "message"} <= set(finding)
    assert finding["rule_id"] == "SageMakerSecurity-TopicKms"
    assert (
        finding["level"] == "error" and finding["resource"] == "Topic" and finding["resource_type"] == "AWS::SNS::Topic"
    )
    assert finding["template"] == str(path) and finding["line"] > 1
    assert data["summary"]["errors"] == 1 and data["summary"]["templates"] == 1 and data["summary"]["resources"] == 3


def test_text_output_names_file_line_rule_and_resource(tmp_path, capsys) -> None:
    path = write(tmp_path / "t.json", FAILING)
    code, out, _ = run(capsys, "audit", str(path))
    line = json.dumps(FAILING, indent=1).splitlines().index('  "Topic": {') + 1
    assert code == 1
    assert f"{path}:{line}: error: SageMakerSecurity-TopicKms on Topic (AWS::SNS::Topic)" in out
    assert "KmsMasterKeyId is not set" in out


def test_yaml_with_short_tags(tmp_path, capsys) -> None:
    path = write(tmp_path / "t.yaml", YAML_TEMPLATE)
    code, out, _ = run(capsys, "audit", "--format", "json", str(path))
    data = json.loads(out)
    found = {(f["rule_id"].split("-", 1)[1], f["resource"], f["level"]) for f in data["findings"]}
    # !GetAtt Key.Arn, !Ref Key and !If with equal branches resolve; the topic and log group comply.
    assert not [f for f in found if f[1] in ("Key", "Logs", "Topic")]
    # !Ref of a parameter is present but unverifiable; the image from !Join is in the account's ECR.
    assert ("ModelNetworkIsolation", "Model", "warning") in found
    assert ("ModelVpcConfig", "Model", "error") not in found
    assert not [f for f in found if f[0] == "ModelImageFromAccountEcr"]
    lines = {f["resource"]: f["line"] for f in data["findings"]}
    assert lines["Model"] == YAML_TEMPLATE.splitlines().index("  Model:") + 1
    assert code == 0


def test_yaml_dates_stay_strings_and_unknown_tags_are_tolerated(tmp_path) -> None:
    from secure_sagemaker.nag.loader import load_file

    loaded = load_file(
        write(
            tmp_path / "t.yml", "Version: 2012-10-17\nResources:\n  A: {Type: !Custom X, Properties: !GetAtt A.B.C}\n"
        )
    )
    assert loaded.body["Version"] == "2012-10-17"
    assert loaded.body["Resources"]["A"] == {"Type": "X", "Properties": {"Fn::GetAtt": ["A", "B.C"]}}


def _assembly(folder: Path) -> Path:
    folder.mkdir()
    write(folder / "App.template.json", FAILING)
    write(folder / "tree.json", {"version": "tree-0.1"})
    nested = folder / "assembly-Stage"
    nested.mkdir()
    write(nested / "StageApp.template.json", COMPLIANT)
    write(
        nested / "manifest.json",
        {
            "artifacts": {
                "StageApp": {
                    "type": "aws:cloudformation:stack",
                    "environment": "aws://111122223333/eu-west-1",
                    "properties": {"templateFile": "StageApp.template.json"},
                }
            }
        },
    )
    write(
        folder / "manifest.json",
        {
            "version": "55.0.0",
            "artifacts": {
                "App": {
                    "type": "aws:cloudformation:stack",
                    "environment": "aws://unknown-account/unknown-region",
                    "properties": {"templateFile": "App.template.json"},
                },
                "assembly-Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Stage"}},
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
            },
        },
    )
    return folder


def test_a_cdk_out_folder_lists_its_stacks_and_nested_assemblies(tmp_path, capsys) -> None:
    out_dir = _assembly(tmp_path / "cdk.out")
    code, out, _ = run(capsys, "audit", "--format", "json", str(out_dir))
    data = json.loads(out)
    assert code == 1
    assert data["summary"]["templates"] == 2 and data["summary"]["resources"] == 5
    assert [f["template"] for f in data["findings"]] == [f"{out_dir}/App.template.json"]


def test_a_plain_folder_skips_files_that_are_not_templates(tmp_path, capsys) -> None:
    write(tmp_path / "package.json", {"name": "x"})
    write(
        tmp_path / "ok.yaml",
        "Resources:\n  Logs: {Type: AWS::Logs::LogGroup, Properties: {KmsKeyId: !GetAtt Key.Arn, RetentionInDays: "
        "7}}\n  Key: {Type: AWS::KMS::Key, Properties: {EnableKeyRotation: true, KeyPolicy: {Statement: []}}}\n",
    )
    (tmp_path / "node_modules").mkdir()
    write(tmp_path / "node_modules" / "bad.json", "{")
    code, out, err = run(capsys, "audit", str(tmp_path))
    assert (code, err) == (0, "")
    assert out.startswith("1 template, 2 resources")


def test_sarif_is_valid_against_the_schema(tmp_path, capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    acknowledged = json.loads(json.dumps(FAILING))
    acknowledged["Resources"]["Other"] = {
        "Type": "AWS::SNS::Topic",
        "Metadata": {
            "cdk_nag": {
                "rules_to_suppress": [{"id": "SageMakerSecurity-TopicKms", "reason": "A test topic without data"}]
            }
        },
    }
    code, out, _ = run(capsys, "audit", "--format", "sarif", str(write(tmp_path / "t.json", acknowledged)))
    sarif = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    assert code == 1


def test_sarif_has_what_github_code_scanning_reads(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.json", FAILING)
    _, out, _ = run(capsys, "audit", "--format", "sarif", "t.json")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    (run_,) = sarif["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.full_id for r in all_rules()]
    assert all(
        r["shortDescription"]["text"] and r["help"]["text"] and r["properties"]["security-severity"] for r in rules
    )
    (result,) = run_["results"]
    assert result["ruleId"] == "SageMakerSecurity-TopicKms" and rules[result["ruleIndex"]]["id"] == result["ruleId"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "t.json"
    assert location["region"]["startLine"] == json.dumps(FAILING, indent=1).splitlines().index('  "Topic": {') + 1
    assert result["partialFingerprints"]


def test_min_level_hides_warnings_but_errors_still_fail(tmp_path, capsys) -> None:
    warning_only = {
        "Resources": {
            "Key": KEY,
            "Logs": LOG_GROUP,
            "T": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Fn::ImportValue": "shared-key"}}},
        }
    }
    path = write(tmp_path / "w.json", warning_only)
    code, out, _ = run(capsys, "audit", "--format", "json", str(path))
    assert code == 0 and json.loads(out)["findings"][0]["level"] == "warning"
    code, out, _ = run(capsys, "audit", "--format", "json", "--min-level", "error", str(path))
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run(capsys, "audit", "--min-level", "error", str(write(tmp_path / "e.json", FAILING)))
    assert code == 1 and "TopicKms" in out


def test_acknowledgments_in_cdk_nag_metadata(tmp_path, capsys) -> None:
    body = json.loads(json.dumps(FAILING))
    body["Resources"]["Topic"]["Metadata"] = {
        "cdk_nag": {
            "rules_to_suppress": [
                {"id": "SageMakerSecurity::SageMakerSecurity-TopicKms", "reason": "Publishes public status only"}
            ]
        }
    }
    body["Resources"]["Topic2"] = BAD_TOPIC
    code, out, _ = run(capsys, "audit", "--format", "json", str(write(tmp_path / "t.json", body)))
    data = json.loads(out)
    assert [f["resource"] for f in data["findings"]] == ["Topic2"]
    assert (
        data["acknowledged"][0]["resource"] == "Topic"
        and data["acknowledged"][0]["acknowledged"] == "Publishes public status only"
    )
    assert code == 1
    # Template-level metadata (v2 stack suppressions) covers every resource; an empty reason does not count.
    body["Metadata"] = {
        "cdk_nag": {
            "rules_to_suppress": [
                {"id": "SageMakerSecurity-TopicKms", "reason": "Status topics only"},
                {"id": "SageMakerSecurity-LogGroupKms", "reason": ""},
            ]
        }
    }
    code, out, _ = run(capsys, "audit", str(write(tmp_path / "t.json", body)))
    assert code == 0 and "2 acknowledged" in out


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "bad.json",
            '{"Resources": {',
            "bad.json: malformed JSON: Expecting property name enclosed in double quotes (line 1, column 16)",
        ),
        ("bad.yaml", "Resources:\n  A: [1, 2\n", "bad.yaml: malformed YAML:"),
        ("list.json", "[1, 2]", "list.json: not a CloudFormation template (is a JSON list, not a mapping)"),
        ("config.json", '{"name": "x"}', "config.json: not a CloudFormation template (has no Resources section)"),
        ("empty.yaml", "", "empty.yaml: is empty"),
        ("blank.json", "  \n", "blank.json: is empty"),
        ("binary.json", b"\xff\xfe\x00", "binary.json: is not UTF-8 text"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path, capsys, name, content, message) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out, err = run(capsys, "audit", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("secure-sagemaker audit: ")
    assert message in err and str(tmp_path) in err


def test_a_folder_without_templates_and_a_missing_path_exit_2(tmp_path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "audit", str(tmp_path / "empty"))
    assert code == 2 and "empty: no CloudFormation templates found" in err
    code, _, err = run(capsys, "audit", str(tmp_path / "nope.json"))
    assert code == 2 and err.strip() == f"secure-sagemaker audit: {tmp_path / 'nope.json'}: no such file or directory"
    code, _, err = run(capsys, "audit", "--account", "12", str(tmp_path))
    assert code == 2 and "--account" in err


def test_output_file_is_written_on_findings_and_left_alone_on_unreadable_input(tmp_path, capsys) -> None:
    report = tmp_path / "results.sarif"
    code, out, _ = run(
        capsys, "audit", "--format", "sarif", "--output", str(report), str(write(tmp_path / "t.json", FAILING))
    )
    assert (code, out) == (1, "")
    assert json.loads(report.read_text())["runs"][0]["results"][0]["ruleId"] == "SageMakerSecurity-TopicKms"
    # Unreadable input: exit 2 and the previous report stays, so a CI upload never reads a half-written or empty file.
    before = report.read_text()
    code, out, err = run(capsys, "audit", "-o", str(report), str(write(tmp_path / "bad.json", "{nope")))
    assert (code, out) == (2, "") and "bad.json" in err and report.read_text() == before
    gone = tmp_path / "missing-folder" / "out.json"
    code, _, err = run(capsys, "audit", "-o", str(gone), str(write(tmp_path / "ok.json", COMPLIANT)))
    assert code == 2 and err.startswith("secure-sagemaker audit: cannot write --output") and not gone.exists()


def test_account_option_decides_literal_image_accounts(tmp_path, capsys) -> None:
    model = {
        "Type": "AWS::SageMaker::Model",
        "Properties": {
            "EnableNetworkIsolation": True,
            "VpcConfig": {"Subnets": ["s"], "SecurityGroupIds": ["g"]},
            "PrimaryContainer": {"Image": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/m:1"},
        },
    }
    path = write(tmp_path / "m.json", {"Resources": {"M": model}})
    _, out, _ = run(capsys, "audit", "--format", "json", str(path))
    assert json.loads(out)["findings"][0]["unverifiable"] is True
    _, out, _ = run(capsys, "audit", "--format", "json", "--account", "111122223333", str(path))
    assert json.loads(out)["findings"] == []


def test_the_command_line_never_prints_a_traceback(tmp_path) -> None:
    write(tmp_path / "bad.json", "{nope")
    result = subprocess.run(
        [sys.executable, "-m", "secure_sagemaker.cli", "audit", str(tmp_path / "bad.json")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith(f"secure-sagemaker audit: {tmp_path / 'bad.json'}: malformed JSON")


def test_rules_command_text_and_markdown(capsys) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0 and len(out.strip().splitlines()) == len(all_rules()) + 1
    assert out.splitlines()[0].split()[:3] == ["SageMakerSecurity-ModelNetworkIsolation", "error", "P8,P19"]
    code, out, _ = run(capsys, "rules", "--format", "markdown")
    assert code == 0 and out == render_rules_markdown()


def test_docs_rules_md_is_up_to_date() -> None:
    expected = render_rules_markdown()
    actual = (ROOT / "docs" / "RULES.md").read_text()
    assert actual == expected, "docs/RULES.md is stale: run `secure-sagemaker rules --format markdown > docs/RULES.md`"
