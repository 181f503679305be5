"""The rule catalogue: pinned ids and levels, metadata every rule must carry, test coverage, junk input."""

from __future__ import annotations

import copy
import re
from typing import Any, Iterator

import pytest
import test_nag_rules_edge as test_rules_edge
import test_nag_rules_platform as test_rules_platform
import test_nag_rules_sagemaker as test_rules_sagemaker
import test_nag_transforms

from secure_sagemaker.nag.rule import PACK_NAME, Rule, Verdict, all_rules
from secure_sagemaker.nag.template import Template

#: The exact rules of the pack, in catalogue order, with their levels. Changing this list is a
#: change of the pack's public contract: update docs/RULES.md (`secure-sagemaker rules --format markdown`).
PINNED = [
    ("ModelNetworkIsolation", "error"),
    ("ModelVpcConfig", "error"),
    ("ModelImageFromAccountEcr", "warning"),
    ("EndpointConfigKms", "error"),
    ("EndpointConfigDataCapture", "warning"),
    ("EndpointConfigDataCaptureKms", "error"),
    ("EndpointConfigMultipleInstances", "warning"),
    ("NotebookNoDirectInternet", "error"),
    ("NotebookNoRootAccess", "error"),
    ("NotebookKms", "error"),
    ("NotebookInSubnet", "error"),
    ("NotebookImdsV2", "error"),
    ("DomainVpcOnly", "error"),
    ("DomainKms", "error"),
    ("DomainSecurityGroups", "error"),
    ("StudioNotebookSharing", "error"),
    ("StudioRootAccess", "error"),
    ("JobNetworkIsolation", "error"),
    ("JobInterContainerEncryption", "error"),
    ("JobVpcConfig", "error"),
    ("JobKms", "error"),
    ("FeatureGroupOnlineStoreKms", "error"),
    ("FeatureGroupOfflineStoreKms", "error"),
    ("PipelineRole", "error"),
    ("ClusterVpcConfig", "error"),
    ("SageMakerResourceKms", "error"),
    ("WorkforcePrivateNetwork", "warning"),
    ("ExecutionRoleTrustConditions", "error"),
    ("ExecutionRoleNoWildcardActions", "error"),
    ("ExecutionRoleNoFullAccessPolicies", "error"),
    ("KmsKeyRotation", "error"),
    ("KmsKeyPolicyNoWildcardPrincipal", "error"),
    ("KmsKeyPolicyScoped", "warning"),
    ("BucketKmsEncryption", "error"),
    ("BucketTlsOnly", "error"),
    ("BucketTlsVersion", "warning"),
    ("BucketPublicAccessBlocked", "error"),
    ("BucketVersioning", "error"),
    ("BucketLogging", "error"),
    ("VpcFlowLogs", "error"),
    ("SageMakerSubnetNoInternetRoute", "error"),
    ("VpcSageMakerEndpoints", "error"),
    ("VpcWorkloadEndpoints", "warning"),
    ("SageMakerSecurityGroupEgress", "error"),
    ("ApiMethodAuthorization", "error"),
    ("ApiStageWafAssociation", "error"),
    ("ApiWafRateBasedRule", "error"),
    ("ApiStageAccessLogs", "error"),
    ("ApiStageThrottling", "error"),
    ("WafLogging", "error"),
    ("WafLogRedaction", "warning"),
    ("TrailMultiRegion", "error"),
    ("TrailLogging", "error"),
    ("TrailLogValidation", "error"),
    ("TrailKms", "error"),
    ("TrailCloudWatchLogs", "error"),
    ("TrailS3DataEvents", "warning"),
    ("GuardDutyEnabled", "error"),
    ("GuardDutyS3Protection", "error"),
    ("LogGroupKms", "error"),
    ("LogGroupRetention", "error"),
    ("TopicKms", "error"),
    ("TemplateExpanded", "warning"),
]

#: Rules that only check that a value is present: an unresolvable value is present, so they
#: have no unverifiable case.
PRESENCE_ONLY = {
    "NotebookInSubnet",
    "DomainSecurityGroups",
    "ExecutionRoleTrustConditions",
    "ApiStageAccessLogs",
    "WafLogRedaction",
    "TrailCloudWatchLogs",
    "TemplateExpanded",  # a part is expanded or not: nothing in between
}

CASES: dict[str, dict[str, list]] = {
    **test_rules_sagemaker.CASES,
    **test_rules_platform.CASES,
    **test_rules_edge.CASES,
    **test_nag_transforms.CASES,
}
PRACTICE = re.compile(r"^P([1-9]|1[0-9])$")
THREAT = re.compile(r"^(T([1-9]|1[0-2])|C[1-7])$")


def test_rule_ids_and_levels_are_pinned() -> None:
    assert [(r.id, r.level.value) for r in all_rules()] == PINNED


def test_every_rule_has_the_metadata_the_docs_and_the_pack_need() -> None:
    for r in all_rules():
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", r.id), r.id
        assert r.full_id == f"{PACK_NAME}-{r.id}"
        assert r.acknowledgment_id == f"{PACK_NAME}::{PACK_NAME}-{r.id}"
        doc = " ".join((r.check.__doc__ or "").split())
        assert doc.endswith(".") and doc.count(". ") == 0, f"{r.id}: the docstring is one sentence: {doc!r}"
        for text in (r.info, r.explanation, r.fix):
            assert text.strip() and text.rstrip().endswith((".", ")")), (r.id, text)
        assert r.practices and all(PRACTICE.match(p) for p in r.practices), (r.id, r.practices)
        assert all(THREAT.match(t) for t in r.threats), (r.id, r.threats)
        assert r.resource_types and all(t.startswith("AWS::") for t in r.resource_types)


def test_every_rule_has_compliant_and_non_compliant_cases() -> None:
    for r in all_rules():
        cases = CASES.get(r.id, {})
        assert cases.get("pass"), f"{r.id} has no compliant case"
        assert cases.get("fail"), f"{r.id} has no non-compliant case"
        if r.id not in PRESENCE_ONLY:
            assert cases.get("unverifiable"), f"{r.id} has no unverifiable case"
    assert set(CASES) == {r.id for r in all_rules()}


# ------------------------------------------------------------------------------------------
# Junk: no rule ever raises
# ------------------------------------------------------------------------------------------

JUNK: list[Any] = [
    None,
    "",
    "junk",
    0,
    -1,
    2.5,
    True,
    [],
    {},
    [None],
    ["x", 1, None, {}, [[]]],
    {"a": {"b": [1, {"c": None}]}},
    {"Ref": None},
    {"Ref": "Nowhere"},
    {"Ref": "Param"},
    {"Ref": "AWS::NoValue"},
    {"Ref": "AWS::Region"},
    {"Fn::GetAtt": "nodot"},
    {"Fn::GetAtt": ["OnlyOne"]},
    {"Fn::GetAtt": [None, None]},
    {"Fn::GetAtt": ["Target", "Arn"]},
    {"Fn::Sub": ["${Nowhere}", "not a mapping"]},
    {"Fn::Sub": 42},
    {"Fn::Sub": "${Target.Arn}/${AWS::Region}/${Missing}"},
    {"Fn::Join": [1, 2]},
    {"Fn::Join": ["", {"Ref": "Param"}]},
    {"Fn::Join": ["", [{"Fn::If": ["C", "a", "b"]}, None, 3]]},
    {"Fn::If": "broken"},
    {"Fn::If": ["C", {"Ref": "Target"}, {"Ref": "AWS::NoValue"}]},
    {"Fn::Select": ["x", None]},
    {"Fn::Select": [99, [1]]},
    {"Fn::FindInMap": [1]},
    {"Fn::FindInMap": ["M", {"Ref": "Param"}, "k"]},
    {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-x"}},
    {"Fn::Split": []},
    {"Fn::Base64": "x"},
    {"Fn::GetAZs": ""},
    {"Condition": "C"},
    {"Fn::Unknown": [1]},
    {"Ref": "Target", "extra": 1},
]


def _deep_chain(depth: int = 200) -> dict:
    value: Any = "leaf"
    for index in range(depth):
        value = {"Fn::If": ["C", value, "x"]} if index % 2 else {"Fn::Join": ["", [value]]}
    return value


JUNK.append(_deep_chain())


def _paths(value: Any, prefix: tuple = (), depth: int = 0) -> Iterator[tuple]:
    """Every path into ``value`` (dict keys and list indexes), to depth 5."""
    if depth > 5:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + (key,)
            yield from _paths(item, prefix + (key,), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from _paths(item, prefix + (index,), depth + 1)


def _set(body: Any, path: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def _run_all_rules_raw(body: Any) -> None:
    """Run every rule directly (no safety net in the engine): any exception fails the test."""
    template = Template(body, name="junk", account="111122223333")
    for r in all_rules():
        for rtype in r.resource_types:
            for resource in template.of_type(rtype):
                result = r.check(resource)
                assert (
                    result is None
                    or isinstance(result, Verdict)
                    or (isinstance(result, list) and all(isinstance(v, Verdict) for v in result))
                ), (r.id, result)


def _junk_variants(body: dict) -> Iterator[Any]:
    yield from JUNK
    for index, path in enumerate(_paths(body)):
        # Every path gets three junk values, cycling through the list so all are used.
        for offset in range(3):
            yield _set(body, path, JUNK[(index * 3 + offset) % len(JUNK)])
    for logical_id in body.get("Resources", {}):
        for junk in JUNK:
            yield _set(body, ("Resources", logical_id, "Properties"), junk)


def _one_case_per_rule() -> list:
    params = []
    for rule_id, cases in CASES.items():
        body = (cases.get("fail") or cases.get("pass"))[0]
        params.append(pytest.param(rule_id, body, id=rule_id))
    return params


@pytest.mark.parametrize("rule_id, body", _one_case_per_rule())
def test_no_rule_raises_on_junk(rule_id: str, body: dict) -> None:
    for variant in _junk_variants(body):
        _run_all_rules_raw(variant)


def test_no_rule_raises_on_junk_resources_of_every_type() -> None:
    types = sorted({t for r in all_rules() for t in r.resource_types})
    for junk in JUNK:
        resources = {f"R{i}": {"Type": t, "Properties": junk, "Metadata": junk} for i, t in enumerate(types)}
        resources["Target"] = {"Type": types[0], "Properties": {k: junk for k in ("VpcConfig", "KmsKeyId", "Rules")}}
        _run_all_rules_raw({"Resources": resources, "Parameters": junk, "Mappings": junk, "Conditions": junk})
        for t in types:  # each type alone, junk in a property no rule expects
            _run_all_rules_raw({"Resources": {"R": {"Type": t, "Properties": {"x": junk}}}})
    for body in (None, "", [], {"Resources": None}, {"Resources": []}, {"Resources": {"A": None, 1: {}, "B": "x"}}):
        _run_all_rules_raw(body)


def test_the_engine_turns_a_crashing_rule_into_a_warning() -> None:
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.rule import ERROR

    def crash(resource):
        """Crashes."""
        raise RuntimeError("boom")

    broken = Rule("Crash", ERROR, ("AWS::S3::Bucket",), "i.", "e.", "f.", ("P1",), (), crash)
    (finding,) = check_template(Template({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}), [broken])
    assert finding.level.value == "warning" and finding.unverifiable
    assert "RuntimeError: boom" in finding.message


def test_rules_are_pure_python() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from secure_sagemaker.nag.engine import check_body; from secure_sagemaker.nag.rule import "
        "all_rules;"
        "all_rules(); check_body({'Resources': {}});"
        "import secure_sagemaker.nag.commands, secure_sagemaker.nag.loader, secure_sagemaker.nag.output;"
        "bad = [m for m in ('jsii', 'aws_cdk', 'cdk_nag', 'constructs') if m in sys.modules]; print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_lookup_accepts_every_id_form() -> None:
    from secure_sagemaker.nag.rule import get_rule

    for form in ("TopicKms", "SageMakerSecurity-TopicKms", "SageMakerSecurity::SageMakerSecurity-TopicKms"):
        assert get_rule(form).id == "TopicKms"
    with pytest.raises(KeyError):
        get_rule("Nope")


def test_rule_registry_refuses_duplicates_and_missing_docstrings() -> None:
    from secure_sagemaker.nag.rule import ERROR, rule

    with pytest.raises(ValueError, match="twice"):
        rule("TopicKms", ERROR, "AWS::SNS::Topic", info="i", explanation="e", fix="f", practices=("P1",))(
            lambda r: None
        )
    with pytest.raises(ValueError, match="docstring"):
        rule("BrandNew", ERROR, "AWS::SNS::Topic", info="i", explanation="e", fix="f", practices=("P1",))(
            lambda r: None
        )


def test_the_rule_writing_guide_names_real_files_and_the_real_example() -> None:
    from pathlib import Path

    from secure_sagemaker.nag.rule import get_rule

    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "writing-rules.md").read_text()
    paths = set(re.findall(r"`((?:secure_sagemaker|tests|docs)/[\w/.<>-]+\.(?:py|md))`", text))
    assert paths
    for path in paths:
        if "<" not in path:
            assert (root / path).is_file(), path
    example = get_rule("NotebookImdsV2")
    assert f'info="{example.info}"' in text and example.summary in text


def test_every_rule_module_has_a_section_title_in_the_catalogue() -> None:
    from secure_sagemaker.nag.output import _SECTIONS

    modules = {r.check.__module__.rsplit(".", 1)[-1] for r in all_rules()}
    assert modules <= set(_SECTIONS), modules - set(_SECTIONS)
