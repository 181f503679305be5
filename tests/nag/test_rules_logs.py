"""Log group rules (nag/rules/logs.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    KEY_ARN,
    PARAM,
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
# Log groups
# ------------------------------------------------------------------------------------------

LOG_GROUP = resource("AWS::Logs::LogGroup", {"KmsKeyId": KEY_ARN, "RetentionInDays": 365})

CASES = {
    "LogGroupKms": {
        "pass": [template(LOG_GROUP)],
        "fail": [template(with_props(LOG_GROUP, KmsKeyId=None))],
        "unverifiable": [template(with_props(LOG_GROUP, KmsKeyId=PARAM))],
    },
    "LogGroupRetention": {
        "pass": [template(LOG_GROUP), template(with_props(LOG_GROUP, RetentionInDays="30"))],
        "fail": [template(with_props(LOG_GROUP, RetentionInDays=None))],
        "unverifiable": [template(with_props(LOG_GROUP, RetentionInDays=PARAM))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("logs")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
