"""KMS key rules (nag/rules/kms.py) on template fragments."""

from __future__ import annotations

import copy

import pytest
from _nagcases import (
    IMPORT,
    KEY,
    PARAM,
    cases_params,
    covered_rules,
    junk_variants,
    one_case_per_rule,
    rules_of,
    run_all_rules_raw,
    template,
    verdict,
    with_props,
)

# ------------------------------------------------------------------------------------------
# KMS keys
# ------------------------------------------------------------------------------------------

ROOT_ALL = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ANYONE = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}


def key_with(*statements, **changes) -> dict:
    key = copy.deepcopy(KEY)
    key["Properties"]["KeyPolicy"]["Statement"].extend(statements)
    return with_props(key, **changes)


CASES = {
    "KmsKeyRotation": {
        "pass": [template(KEY), template(key_with(EnableKeyRotation=None, KeySpec="RSA_2048"))],
        "fail": [template(key_with(EnableKeyRotation=None)), template(key_with(EnableKeyRotation="false"))],
        "unverifiable": [template(key_with(EnableKeyRotation=PARAM))],
    },
    "KmsKeyPolicyNoWildcardPrincipal": {
        "pass": [
            template(KEY),
            template(key_with({**ANYONE, "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}})),
        ],
        "fail": [template(key_with(ANYONE)), template(key_with({**ANYONE, "Principal": {"AWS": ["*"]}}))],
        "unverifiable": [template(key_with({**ANYONE, "Principal": {"AWS": IMPORT}}))],
    },
    "KmsKeyPolicyScoped": {
        "pass": [template(KEY)],
        "fail": [
            template(key_with(KeyPolicy=None)),
            template(key_with(ROOT_ALL)),
            template(key_with({**ROOT_ALL, "Action": ["*"]})),
        ],
        "unverifiable": [template(key_with(KeyPolicy=PARAM))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("kms")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
