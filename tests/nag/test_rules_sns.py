"""Topic rules (nag/rules/sns.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    IMPORT,
    cases_params,
    covered_rules,
    junk_variants,
    one_case_per_rule,
    resource,
    rules_of,
    run_all_rules_raw,
    template,
    verdict,
    with_props,
)

# ------------------------------------------------------------------------------------------
# Topics
# ------------------------------------------------------------------------------------------

TOPIC = resource("AWS::SNS::Topic", {"KmsMasterKeyId": {"Ref": "Key"}})

CASES = {
    "TopicKms": {
        "pass": [template(TOPIC)],
        "fail": [
            template(with_props(TOPIC, KmsMasterKeyId=None)),
            template(with_props(TOPIC, KmsMasterKeyId="alias/aws/sns")),
        ],
        "unverifiable": [template(with_props(TOPIC, KmsMasterKeyId=IMPORT))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("sns")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
