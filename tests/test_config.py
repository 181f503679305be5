"""Baseline settings from cdk.json context, and their errors."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from secure_sagemaker._validation import PropError
from secure_sagemaker.config import BaselineConfig
from tests.conftest import cdk_json_context


def _config(**context) -> BaselineConfig:
    return BaselineConfig.from_context(cdk.App(context=context).node)


def test_defaults_without_context():
    assert _config() == BaselineConfig()


def test_cdk_json_values_are_read():
    ctx = cdk_json_context()
    config = _config(**ctx)
    assert config.vpc_cidr == ctx["secure-sagemaker:vpcCidr"]
    assert config.max_azs == ctx["secure-sagemaker:maxAzs"]
    assert config.stack_name == ctx["secure-sagemaker:stackName"]


def test_command_line_strings_are_parsed():
    config = _config(**{"secure-sagemaker:maxAzs": "3", "secure-sagemaker:s3PrefixListId": "pl-63a5400a"})
    assert (config.max_azs, config.s3_prefix_list_id) == (3, "pl-63a5400a")


@pytest.mark.parametrize(
    ("key", "value"),
    [("secure-sagemaker:maxAzs", "two"), ("secure-sagemaker:keyRotationDays", True), ("secure-sagemaker:vpcCidr", "")],
)
def test_bad_context_names_the_key(key, value):
    with pytest.raises(PropError, match=key):
        _config(**{key: value})


def test_log_retention_maps_days_to_what_cloudwatch_accepts():
    from aws_cdk import aws_logs as logs

    from secure_sagemaker.config import log_retention

    assert log_retention(365) is logs.RetentionDays.ONE_YEAR
    assert log_retention(3653) is logs.RetentionDays.TEN_YEARS
    with pytest.raises(PropError, match="logRetentionDays=366"):
        log_retention(366)


def test_switches_accept_json_booleans_and_command_line_strings():
    config = _config(**{"secure-sagemaker:notebook": False, "secure-sagemaker:organizationRunsGuardDuty": "true"})
    assert (config.notebook, config.organization_runs_guard_duty) == (False, True)
    with pytest.raises(PropError, match="secure-sagemaker:studio"):
        _config(**{"secure-sagemaker:studio": "yes"})


def test_cdk_json_sets_every_setting_so_users_see_them():
    from secure_sagemaker.config import PREFIX, context_key

    keys = {context_key(name) for name in BaselineConfig.__dataclass_fields__}
    optional = {PREFIX + "s3PrefixListId", PREFIX + "alertEmail"}
    assert keys - optional <= set(cdk_json_context())
    assert {k for k in cdk_json_context() if k.startswith(PREFIX)} <= keys
