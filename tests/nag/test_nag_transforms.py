"""Transforms, malformed input and YAML alias bombs: no template passes unread, none hangs."""

from __future__ import annotations

import json
import sys
import time

import pytest
from _nagcases import JUNK, KEY, resource, run, write

from secure_sagemaker.nag.structure import StructureError, check_structure
from secure_sagemaker.nag.transforms import expand, sam_available

PLAIN_BUCKET = resource("AWS::S3::Bucket", {})
LOOP = {
    "Transform": "AWS::LanguageExtensions",
    "Resources": {
        "Fn::ForEach::Buckets": ["Name", ["Raw", "Clean", "Features"], {"${Name}Bucket": PLAIN_BUCKET}],
    },
}


def _findings(capsys, tmp_path, body, name: str = "t.json") -> tuple[int, dict]:
    code, out, err = run(capsys, "audit", "--format", "json", str(write(tmp_path / name, body)))
    assert err == "", err
    return code, json.loads(out)


def test_the_unexpanded_part_is_the_finding(tmp_path, capsys) -> None:
    code, data = _findings(capsys, tmp_path, {"Transform": "AWS::Include", "Resources": {"Target": PLAIN_BUCKET}})
    (finding,) = [f for f in data["findings"] if f["rule_id"] == "SageMakerSecurity-TemplateExpanded"]
    assert finding["resource"] == "Transform" and finding["level"] == "warning"
    assert "AWS::Include" in finding["message"] and "not checked" in finding["message"]


# ------------------------------------------------------------------------------------------
# AWS::LanguageExtensions
# ------------------------------------------------------------------------------------------


def test_buckets_made_by_fn_foreach_are_checked(tmp_path, capsys) -> None:
    code, data = _findings(capsys, tmp_path, LOOP)
    found = {(f["rule_id"].split("-", 1)[1], f["resource"]) for f in data["findings"]}
    for bucket in ("RawBucket", "CleanBucket", "FeaturesBucket"):
        for rule in ("BucketKmsEncryption", "BucketVersioning", "BucketTlsOnly"):
            assert (rule, bucket) in found
    assert code == 1


def test_nested_loops_keys_refs_and_subs_are_substituted() -> None:
    body = {
        "Transform": ["AWS::LanguageExtensions"],
        "Parameters": {"Envs": {"Type": "CommaDelimitedList", "Default": "dev,prod"}},
        "Resources": {
            "Fn::ForEach::Envs": [
                "Env",
                {"Ref": "Envs"},
                {
                    "Fn::ForEach::Kinds": [
                        "Kind",
                        ["a-1", "b"],
                        {
                            "&{Kind}${Env}": {
                                "Type": "AWS::SNS::Topic",
                                "Properties": {
                                    "TopicName": {"Fn::Sub": "${Env}-${Kind}"},
                                    "DisplayName": {"Ref": "Kind"},
                                },
                            },
                        },
                    ],
                },
            ],
        },
    }
    expanded, problems = expand(body)
    assert problems == [] and "Transform" not in expanded
    assert set(expanded["Resources"]) == {"a1dev", "bdev", "a1prod", "bprod"}
    assert expanded["Resources"]["a1prod"]["Properties"] == {"TopicName": {"Fn::Sub": "prod-a-1"}, "DisplayName": "a-1"}
    assert body["Resources"].get("Fn::ForEach::Envs")  # the input is left as it was


def test_length_to_json_string_and_find_in_map_defaults() -> None:
    body = {
        "Transform": "AWS::LanguageExtensions",
        "Mappings": {"Sizes": {"prod": {"count": 3}}},
        "Resources": {
            "T": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "A": {"Fn::Length": [1, 2, 3]},
                    "B": {"Fn::ToJsonString": {"k": [1, "v"]}},
                    "C": {"Fn::FindInMap": ["Sizes", "dev", "count", {"DefaultValue": 1}]},
                    "D": {"Fn::FindInMap": ["Sizes", "prod", "count", {"DefaultValue": 1}]},
                    "E": {"Fn::ToJsonString": {"k": {"Ref": "AWS::Region"}}},
                },
            }
        },
    }
    props = expand(body)[0]["Resources"]["T"]["Properties"]
    assert props["A"] == 3 and props["B"] == '{"k":[1,"v"]}' and props["C"] == 1 and props["D"] == 3
    assert props["E"] == {"Fn::ToJsonString": {"k": {"Ref": "AWS::Region"}}}  # resolved at deploy time only


def test_a_loop_over_an_unknown_list_is_reported_not_passed(tmp_path, capsys) -> None:
    body = {**LOOP, "Parameters": {"Names": {"Type": "CommaDelimitedList"}}}
    body["Resources"] = {"Fn::ForEach::Buckets": ["Name", {"Ref": "Names"}, {"${Name}Bucket": PLAIN_BUCKET}]}
    code, data = _findings(capsys, tmp_path, body)
    (finding,) = data["findings"]
    assert finding["rule_id"] == "SageMakerSecurity-TemplateExpanded" and "Fn::ForEach::Buckets" in finding["message"]


def test_expansion_costs_nothing_without_a_transform() -> None:
    body = {"Resources": {"B": PLAIN_BUCKET}}
    expanded, problems = expand(body)
    assert expanded is body and problems == []


# ------------------------------------------------------------------------------------------
# AWS::Serverless-2016-10-31
# ------------------------------------------------------------------------------------------

SAM = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "prod"}},
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Runtime": "python3.12",
                "Handler": "app.handler",
                "InlineCode": "def handler(e, c): pass",
                "Policies": ["AmazonSageMakerFullAccess"],
                "Events": {
                    "Invoke": {
                        "Type": "Api",
                        "Properties": {"RestApiId": {"Ref": "Api"}, "Path": "/invoke", "Method": "post"},
                    }
                },
            },
        },
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointConfigName": "cfg"}},
    },
}


def test_the_sam_extra_is_installed_for_the_tests() -> None:
    assert sam_available(), "pip install -e '.[dev]' brings aws-sam-translator (the sam extra)"


def test_sam_templates_are_translated_and_their_api_checked(tmp_path, capsys) -> None:
    code, data = _findings(capsys, tmp_path, SAM)
    found = {(f["rule_id"].split("-", 1)[1], f["resource_type"]) for f in data["findings"]}
    assert ("ApiMethodAuthorization", "AWS::ApiGateway::Method") in found or (
        "ApiStageWafAssociation",
        "AWS::ApiGateway::Stage",
    ) in found
    assert ("ApiStageWafAssociation", "AWS::ApiGateway::Stage") in found
    assert not [f for f in data["findings"] if f["rule_id"].endswith("TemplateExpanded")]
    assert code == 1


def test_without_the_translator_a_sam_template_is_a_warning(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "samtranslator", None)
    monkeypatch.setitem(sys.modules, "samtranslator.parser.parser", None)
    code, data = _findings(capsys, tmp_path, SAM)
    (finding,) = [f for f in data["findings"] if f["rule_id"].endswith("TemplateExpanded")]
    assert "secure-sagemaker[sam]" in finding["message"]


def test_a_sam_template_that_does_not_translate_is_a_warning(tmp_path, capsys) -> None:
    broken = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"Events": "junk"}}},
    }
    code, data = _findings(capsys, tmp_path, broken)
    (finding,) = [f for f in data["findings"] if f["rule_id"].endswith("TemplateExpanded")]
    assert "SAM" in finding["message"] and code == 0


# ------------------------------------------------------------------------------------------
# Malformed input: exit 2, one line naming the file and the resource
# ------------------------------------------------------------------------------------------

MALFORMED = {
    "no Type": ({"Resources": {"Bad": {"Properties": {}}}}, "resource Bad: has no Type"),
    "Type not a string": ({"Resources": {"Bad": {"Type": ["AWS::S3::Bucket"]}}}, "resource Bad: Type is"),
    "Properties a list": (
        {"Resources": {"Bad": {"Type": "AWS::S3::Bucket", "Properties": [1]}}},
        "resource Bad: Properties is a list",
    ),
    "unknown function": (
        {"Resources": {"Bad": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Whatever": "x"}}}}},
        "resource Bad: Fn::Whatever is not",
    ),
    "Fn::If on an undeclared condition": (
        {
            "Resources": {
                "Bad": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::If": ["Nope", "a", "b"]}}}
            }
        },
        "resource Bad: Fn::If uses the condition Nope",
    ),
    "cyclic Ref": (
        {
            "Resources": {
                "A": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "B"}}},
                "B": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetAtt": ["A", "TopicName"]}}},
            }
        },
        "resource A: depends on itself through A -> B -> A",
    ),
    "cyclic DependsOn": (
        {
            "Resources": {
                "A": {"Type": "AWS::SNS::Topic", "DependsOn": "B"},
                "B": {"Type": "AWS::SNS::Topic", "DependsOn": ["A"]},
            }
        },
        "depends on itself through",
    ),
    "Ref to an undeclared name": (
        {"Resources": {"Bad": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "Nowhere"}}}}},
        "resource Bad: Ref names Nowhere",
    ),
    "Sub of an undeclared name": (
        {"Resources": {"Bad": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${Nowhere}-x"}}}}},
        "resource Bad: Fn::Sub uses ${Nowhere}",
    ),
    "resource Condition undeclared": (
        {"Resources": {"Bad": {"Type": "AWS::SNS::Topic", "Condition": "Nope"}}},
        "resource Bad: Condition 'Nope'",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_templates_exit_2_with_one_line(case: str, tmp_path, capsys) -> None:
    body, expected = MALFORMED[case]
    path = write(tmp_path / "bad.json", body)
    code, out, err = run(capsys, "audit", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"secure-sagemaker audit: {path}: ") and expected in err, err


def test_well_formed_names_pass_the_structure_check() -> None:
    body = {
        "Parameters": {"P": {"Type": "String"}},
        "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}},
        "Resources": {
            "A": {
                "Type": "AWS::SNS::Topic",
                "Condition": "C",
                "Properties": {"TopicName": {"Fn::Sub": ["${P}-${AWS::Region}-${X}-${!Literal}", {"X": "y"}]}},
            },
            "B": {
                "Type": "AWS::SNS::Topic",
                "DependsOn": "A",
                "Properties": {"TopicName": {"Fn::If": ["C", {"Fn::GetAtt": "A.TopicName"}, {"Ref": "AWS::NoValue"}]}},
            },
        },
    }
    check_structure(body)
    with pytest.raises(StructureError):
        check_structure({**body, "Conditions": {}})


# ------------------------------------------------------------------------------------------
# YAML alias bombs
# ------------------------------------------------------------------------------------------


def _bomb(levels: int = 9) -> str:
    lines = [
        "Resources:",
        "  Role:",
        "    Type: AWS::IAM::Role",
        "    Properties:",
        "      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: "
        "sagemaker.amazonaws.com}, Action: sts:AssumeRole}]}",
        "      Policies:",
        "        - PolicyName: p",
        "          PolicyDocument:",
        "            Statement:",
        '              - &l0 {Effect: Allow, Action: ["s3:GetObject", "s3:GetObject", "s3:GetObject", '
        '"s3:GetObject", "s3:GetObject", "s3:GetObject", "s3:GetObject", "s3:GetObject", "s3:GetObject"], '
        'Resource: "*"}',
    ]
    for level in range(1, levels):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f'              - &l{level} {{Effect: Allow, Action: [{refs}], Resource: "*"}}')
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_with_a_role_exits_2_at_once(tmp_path, capsys) -> None:
    path = write(tmp_path / "bomb.yaml", _bomb())
    started = time.perf_counter()
    code, out, err = run(capsys, "audit", str(path))
    elapsed = time.perf_counter() - started
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{path}: refused: resource Role: aliases expand it to more than" in err
    assert elapsed < 5, f"took {elapsed:.1f} s: alias expansion is not bounded"  # under 0.2 s on a quiet machine


def test_a_recursive_alias_and_deep_nesting_exit_2(tmp_path, capsys) -> None:
    recursive = write(
        tmp_path / "r.yaml", "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties: &a {Tags: [*a]}\n"
    )
    code, _, err = run(capsys, "audit", str(recursive))
    assert code == 2 and "resource T: an alias refers to a node that contains it" in err
    deep = write(
        tmp_path / "d.yaml",
        "Resources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties: &a {A: " + "[" * 150 + "1" + "]" * 150 + "}\n",
    )
    code, _, err = run(capsys, "audit", str(deep))
    assert code == 2 and "resource T: nests more than" in err


def test_small_aliases_are_still_fine(tmp_path, capsys) -> None:
    ok = write(tmp_path / "ok.yaml", "Resources:\n  Key: &k " + json.dumps(KEY) + "\n  Key2: *k\n")
    code, out, err = run(capsys, "audit", "--format", "json", str(ok))
    assert code == 0 and err == "" and json.loads(out)["summary"]["resources"] == 2


def test_expansion_and_the_structure_check_never_crash_on_junk() -> None:
    from secure_sagemaker.nag.template import Template

    bodies = []
    for junk in JUNK:
        bodies += [
            {"Transform": junk, "Resources": {"A": PLAIN_BUCKET}},
            {"Transform": "AWS::LanguageExtensions", "Resources": {"Fn::ForEach::L": junk}},
            {
                "Transform": "AWS::LanguageExtensions",
                "Resources": {"Fn::ForEach::L": ["X", junk, {"${X}B": PLAIN_BUCKET}]},
            },
            {
                "Transform": "AWS::LanguageExtensions",
                "Resources": {
                    "Fn::ForEach::L": ["X", ["a"], {"${X}B": {"Type": "AWS::S3::Bucket", "Properties": {"P": junk}}}]
                },
            },
            {
                "Resources": {
                    "A": {"Type": "AWS::S3::Bucket", "Properties": {"P": junk}, "DependsOn": junk, "Condition": junk}
                }
            },
            {
                "Resources": {"A": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {"O": {"Value": junk}},
                "Conditions": junk,
                "Parameters": junk,
            },
        ]
    for body in bodies:
        expanded, unexpanded = expand(body)
        try:
            references = check_structure(expanded, names_known=not unexpanded)
        except StructureError:
            continue
        Template(expanded, unexpanded=unexpanded, references=references)
