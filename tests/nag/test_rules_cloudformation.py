"""The template-level rule (nag/rules/cloudformation.py): parts no rule could read because they were not expanded."""

from __future__ import annotations

import pytest
from _nagcases import (
    cases_params,
    covered_rules,
    junk_variants,
    one_case_per_rule,
    resource,
    rules_of,
    run_all_rules_raw,
    verdict,
)

from secure_sagemaker.nag.transforms import expand

PLAIN_BUCKET = resource("AWS::S3::Bucket", {})

CASES = {
    "TemplateExpanded": {
        "pass": [
            {"Resources": {"Target": PLAIN_BUCKET}},
            {"Transform": "AWS::LanguageExtensions", "Resources": {"Target": PLAIN_BUCKET}},
        ],
        "fail": [{"Transform": "AWS::Include", "Resources": {"Target": PLAIN_BUCKET}}],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    # As `audit` does: the transforms the engine knows are expanded first; the finding stands on
    # the part left unexpanded, here the template's Transform.
    expanded, _ = expand(body)
    assert verdict(rule_id, expanded, target="Transform") == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("cloudformation")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
