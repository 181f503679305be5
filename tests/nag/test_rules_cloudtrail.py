"""CloudTrail rules (nag/rules/cloudtrail.py) on template fragments."""

from __future__ import annotations

import pytest
from _nagcases import (
    IMPORT,
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
# Trails
# ------------------------------------------------------------------------------------------

TRAIL = resource(
    "AWS::CloudTrail::Trail",
    {
        "IsLogging": True,
        "S3BucketName": {"Ref": "TrailBucket"},
        "IsMultiRegionTrail": True,
        "EnableLogFileValidation": True,
        "KMSKeyId": KEY_ARN,
        "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["TrailLogs", "Arn"]},
        "CloudWatchLogsRoleArn": {"Fn::GetAtt": ["TrailRole", "Arn"]},
        "EventSelectors": [
            {
                "DataResources": [{"Type": "AWS::S3::Object", "Values": [{"Fn::Sub": "${Data.Arn}/"}]}],
                "ReadWriteType": "All",
            }
        ],
    },
)
ADVANCED = [
    {
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        ]
    }
]

CASES = {
    "TrailMultiRegion": {
        "pass": [template(TRAIL)],
        "fail": [
            template(with_props(TRAIL, IsMultiRegionTrail=None)),
            template(with_props(TRAIL, IsMultiRegionTrail=False)),
        ],
        "unverifiable": [template(with_props(TRAIL, IsMultiRegionTrail=PARAM))],
    },
    "TrailLogging": {
        "pass": [template(TRAIL), template(with_props(TRAIL, IsLogging="true"))],
        "fail": [template(with_props(TRAIL, IsLogging=False)), template(with_props(TRAIL, IsLogging=None))],
        "unverifiable": [template(with_props(TRAIL, IsLogging=PARAM))],
    },
    "TrailLogValidation": {
        "pass": [template(TRAIL)],
        "fail": [template(with_props(TRAIL, EnableLogFileValidation=None))],
        "unverifiable": [template(with_props(TRAIL, EnableLogFileValidation=PARAM))],
    },
    "TrailKms": {
        "pass": [template(TRAIL)],
        "fail": [template(with_props(TRAIL, KMSKeyId=None))],
        "unverifiable": [template(with_props(TRAIL, KMSKeyId=IMPORT))],
    },
    "TrailCloudWatchLogs": {
        "pass": [
            template(TRAIL),
            template(with_props(TRAIL, CloudWatchLogsLogGroupArn=PARAM, CloudWatchLogsRoleArn=PARAM)),
        ],
        "fail": [
            template(with_props(TRAIL, CloudWatchLogsLogGroupArn=None)),
            template(with_props(TRAIL, CloudWatchLogsRoleArn=None)),
        ],
        "unverifiable": [],
    },
    "TrailS3DataEvents": {
        "pass": [template(TRAIL), template(with_props(TRAIL, EventSelectors=None, AdvancedEventSelectors=ADVANCED))],
        "fail": [
            template(with_props(TRAIL, EventSelectors=None)),
            template(with_props(TRAIL, EventSelectors=[{"ReadWriteType": "All"}])),
        ],
        "unverifiable": [template(with_props(TRAIL, EventSelectors=None, AdvancedEventSelectors=PARAM))],
    },
}


@pytest.mark.parametrize("rule_id, expected, body", cases_params(CASES))
def test_rule_case(rule_id: str, expected: str, body: dict) -> None:
    assert verdict(rule_id, body) == expected


def test_every_rule_of_the_module_has_its_cases() -> None:
    assert covered_rules(CASES) == rules_of("cloudtrail")


@pytest.mark.parametrize("rule_id, body", one_case_per_rule(CASES))
def test_no_rule_raises_on_junk_in_a_case(rule_id: str, body: dict) -> None:
    for variant in junk_variants(body):
        run_all_rules_raw(variant)
