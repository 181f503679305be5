"""GuardDuty rules (nag/rules/guardduty.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
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
# Detectors
# ------------------------------------------------------------------------------------------

DETECTOR = resource(
    "AWS::GuardDuty::Detector", {"Enable": True, "Features": [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED"}]}
)

CASES = {
    "GuardDutyEnabled": {
        "pass": [template(DETECTOR)],
        "fail": [template(with_props(DETECTOR, Enable=False))],
        "unverifiable": [template(with_props(DETECTOR, Enable=PARAM))],
    },
    "GuardDutyS3Protection": {
        "pass": [
            template(DETECTOR),
            template(with_props(DETECTOR, Features=None, DataSources={"S3Logs": {"Enable": True}})),
        ],
        "fail": [
            template(with_props(DETECTOR, Features=None)),
            template(with_props(DETECTOR, Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])),
        ],
        "unverifiable": [template(with_props(DETECTOR, Features=[{"Name": "S3_DATA_EVENTS", "Status": PARAM}]))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("guardduty")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
