"""Baseline settings from cdk.json context, and their errors."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import aws_cdk as cdk
import pytest

from secure_sagemaker._validation import PropError
from secure_sagemaker.config import BaselineConfig
from tests.helpers import ROOT, cdk_json_context

P = "secure-sagemaker:"


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
    # settings whose default is "unset" have no value to show
    optional = {context_key(f.name) for f in dataclasses.fields(BaselineConfig) if f.default is None}
    assert keys - optional <= set(cdk_json_context())
    assert {k for k in cdk_json_context() if k.startswith(PREFIX)} <= keys


# --- every key checked under its own name ------------------------------------------------------------


def _problem(**context) -> str:
    with pytest.raises(PropError) as raised:
        _config(**context)
    return str(raised.value)


@pytest.mark.parametrize(
    ("key", "closest"),
    [
        (P + "maxAz", P + "maxAzs"),
        (P + "MaxAzs", P + "maxAzs"),
        (P + "keyRotation", P + "keyRotationDays"),
        (P + "organisationRunsGuardDuty", P + "organizationRunsGuardDuty"),
        ("maxAzs", P + "maxAzs"),  # `-c maxAzs=3`, the prefix forgotten
        ("secure_sagemaker:maxAzs", P + "maxAzs"),  # the prefix misspelt
    ],
)
def test_an_unknown_key_fails_naming_the_closest_known_key(key, closest):
    assert _problem(**{key: 3}) == f"context: {key} is not a setting of secure-sagemaker. Fix: did you mean {closest}?"


def test_an_unknown_key_with_nothing_close_lists_the_keys():
    message = _problem(**{P + "frobnicate": 1})
    assert f"{P}frobnicate is not a setting" in message and f"use one of {P}accountBaseline, " in message


def test_keys_of_other_libraries_and_of_the_cdk_are_left_alone():
    _config(
        **{"@aws-cdk/core:newStyleStackSynthesis": True, "other-lib:maxAzs": 9, "aws:cdk:enable-path-metadata": True}
    )


@pytest.mark.parametrize(
    ("key", "value", "kind"),
    [
        ("maxAzs", 2.9, "a whole number"),
        ("maxAzs", "2.9", "a whole number"),
        ("maxAzs", "two", "a whole number"),
        ("maxAzs", True, "a whole number"),  # a JSON boolean is not a number
        ("maxAzs", "nan", "a whole number"),
        ("keyRotationDays", 365.5, "a whole number"),
        ("keyRotationDays", False, "a whole number"),
        ("logRetentionDays", [365], "a whole number"),
        ("studio", "yes", "true or false"),
        ("studio", 1, "true or false"),
        ("stackName", 7, "a non-empty string"),
        ("vpcCidr", " ", "a non-empty string"),
    ],
)
def test_a_value_of_the_wrong_type_fails_naming_the_key(key, value, kind):
    message = _problem(**{P + key: value})
    assert message.startswith(f"context: {P}{key}={value!r} is not {kind}. Fix: set {P}{key} to "), message


@pytest.mark.parametrize(
    ("key", "value", "problem", "allowed"),
    [
        ("keyRotationDays", -5, "is outside 90..2560", "a whole number of days from 90 to 2560"),
        ("keyRotationDays", 89, "is outside 90..2560", "a whole number of days from 90 to 2560"),
        ("keyRotationDays", 2561, "is outside 90..2560", "a whole number of days from 90 to 2560"),
        ("maxAzs", 1, "is outside 2..6", "a whole number of availability zones from 2 to 6"),
        ("maxAzs", 7, "is outside 2..6", "a whole number of availability zones from 2 to 6"),
        ("logRetentionDays", 366, "is not one of 22 values it accepts", "one of 1, 3, 5, 7, 14, 30, "),
        ("logRetentionDays", 0, "is not one of 22 values it accepts", "3288, 3653 (days"),
        ("dataCaptureSamplingPercentage", 101, "is outside 0..100", "a whole number of percent from 0 to 100"),
        ("dataCaptureSamplingPercentage", -1, "is outside 0..100", "a whole number of percent from 0 to 100"),
        (
            "vpcCidr",
            "10.40.0.0/24",
            "has room for 0 subnet(s) of /20 but 2 zones",
            "widen secure-sagemaker:vpcCidr to a /19",
        ),
        ("vpcCidr", "10.0.0.0/8", "is outside the /16 to /28", "pick a block between /16 and /28"),
        ("vpcCidr", "10.40.0.1/16", "is not an IPv4 network", "pass a network such as"),
        ("vpcCidr", "banana", "is not an IPv4 network", "pass a network such as"),
        ("vpcCidr", "8.8.0.0/16", "is not a private range", "use a range inside 10.0.0.0/8"),
        ("vpcCidr", "172.17.0.0/16", "overlaps 172.17.0.0/16", "pick a range outside"),
        ("stackName", "my stack!", "is not a CloudFormation stack name", "up to 128 letters, digits and hyphens"),
        ("stackName", "1Stack", "is not a CloudFormation stack name", "starting with a letter"),
        ("stackName", "S" * 129, "is not a CloudFormation stack name", "up to 128 letters"),
        ("accountStackName", "account_baseline", "is not a CloudFormation stack name", "up to 128 letters"),
        ("keyAliasPrefix", "aws/ml", "starts with a prefix KMS reserves", "not starting with 'aws'"),
        ("keyAliasPrefix", "ml//keys", "is not a valid KMS alias prefix", "single '/' separators"),
        ("keyAliasPrefix", "ml keys", "is not a valid KMS alias prefix", "single '/' separators"),
        ("keyAliasPrefix", "k" * 218, "is 218 characters long", "at most 217 characters"),
        ("userProfileName", "data_scientist", "is not a valid SageMaker resource name", "1-63 letters, digits"),
        ("userProfileName", "d" * 64, "is not a valid SageMaker resource name", "1-63 letters, digits"),
        ("dataScientists", "al_ice", "is not a valid SageMaker resource name", "1-63 letters, digits"),
        ("dataScientists", "alice,Alice", "names 'alice' twice", "list each person once"),
        ("dataScientists", "alice,,bob", "has an empty name", "comma-separated Studio profile names"),
        ("alertEmail", "security-team", "is not an email address", "one address such as"),
        ("s3PrefixListId", "pl-XYZ", "is not a prefix list id", "describe-managed-prefix-lists"),
        ("s3PrefixListId", "com.amazonaws.eu-west-1.s3", "is not a prefix list id", "describe-managed-prefix-lists"),
        ("dnsAllowedDomains", "*", "allows every name, which turns the firewall off", "pass domain names such as"),
        ("dnsAllowedDomains", "pypi.*", "is not a domain name", "pass domain names such as"),
        ("modelImageTag", ".v1", "is not an image tag ECR accepts", "up to 128 letters, digits, '_', '.' and '-'"),
        ("modelImageTag", "v1:latest", "is not an image tag ECR accepts", "up to 128 letters"),
        ("modelImageTag", "v" * 129, "is not an image tag ECR accepts", "up to 128 letters"),
        ("modelDataKey", "/demo/model.tar.gz", "is not an S3 key prefix", "such as 'demo/model.tar.gz'"),
        ("modelDataKey", "s3://bucket/model.tar.gz", "is not an S3 key prefix", "such as 'demo/model.tar.gz'"),
        (
            "modelDataKey",
            "m" * 949,
            "makes the model data URL s3://<bucket>/models/<key> longer than the 1024 characters SageMaker accepts",
            "shorten the key",
        ),
    ],
)
def test_a_value_out_of_range_fails_naming_the_key_and_what_it_accepts(key, value, problem, allowed):
    message = _problem(**{P + key: value})
    assert message.startswith(f"context: {P}{key}={value!r} {problem}"), message
    assert allowed in message.split(". Fix: ", 1)[1], message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("keyRotationDays", 90),
        ("keyRotationDays", "2560"),
        ("maxAzs", 6),
        ("maxAzs", "2"),
        ("maxAzs", 3.0),
        ("logRetentionDays", 1),
        ("logRetentionDays", "3653"),
        ("dataCaptureSamplingPercentage", 0),
        ("vpcCidr", "192.168.0.0/19"),
        ("stackName", "A" + "-b" * 63 + "c"),
        ("keyAliasPrefix", "team-a/ml"),
        ("userProfileName", "d" * 63),
        ("dataScientists", "alice, bob-2," + "d" * 63),
        ("allowSharedSpaces", "true"),
        ("alertEmail", "security-team@example.com"),
        ("s3PrefixListId", "pl-6da54004"),
        ("modelImageTag", "2024.06.01_gpu-v2"),
        ("modelDataKey", "m" * 948),
        ("createConfigRecorder", "false"),
        ("dnsAllowedDomains", "pypi.org, files.pythonhosted.org,*.example.com"),
        ("allowUnfilteredDns", "true"),
    ],
)
def test_values_at_the_edges_of_what_is_allowed_are_accepted(key, value):
    _config(**{P + key: value})


@pytest.mark.parametrize("recorder", [True, "true", "TRUE"])
def test_creating_a_recorder_where_the_organization_runs_config_rules_names_both(recorder):
    message = _problem(**{P + "createConfigRecorder": recorder, P + "organizationRunsConfigRules": "true"})
    assert f"{P}createConfigRecorder=true contradicts {P}organizationRunsConfigRules=true" in message
    assert (
        f"Fix: remove {P}createConfigRecorder (or set it to false), or set {P}organizationRunsConfigRules to false"
        in message
    )


def test_the_recorder_switches_that_agree_are_accepted():
    assert not _config(
        **{P + "createConfigRecorder": False, P + "organizationRunsConfigRules": True}
    ).records_configuration
    assert _config(**{P + "organizationRunsConfigRules": False}).records_configuration
    assert not _config(**{P + "organizationRunsConfigRules": True}).records_configuration


def test_a_vpc_too_narrow_for_the_zones_names_both_keys():
    message = _problem(**{P + "vpcCidr": "10.40.0.0/19", P + "maxAzs": 3})
    assert message.startswith(
        f"context: {P}vpcCidr='10.40.0.0/19' has room for 2 subnet(s) of /20 but 3 zones need one each"
    )
    assert f"Fix: widen {P}vpcCidr to a /18 or wider, or use fewer zones ({P}maxAzs)." in message
    _config(**{P + "vpcCidr": "10.40.0.0/18", P + "maxAzs": 3})


def test_people_without_studio_names_both_keys():
    message = _problem(**{P + "dataScientists": "alice", P + "studio": False})
    assert message == (
        f"context: {P}dataScientists is set while {P}studio=false, but a person's profile lives in the Studio "
        f"domain. Fix: remove {P}dataScientists, or set {P}studio to true."
    )


def test_the_two_stacks_cannot_share_a_name():
    message = _problem(**{P + "stackName": "Ml", P + "accountStackName": "Ml"})
    assert f"{P}stackName and {P}accountStackName are both 'Ml'" in message
    _config(**{P + "stackName": "Ml", P + "accountStackName": "Ml", P + "accountBaseline": False})


def test_a_stack_name_that_would_make_a_reserved_alias_names_both_keys():
    message = _problem(**{P + "stackName": "AwsMl"})
    assert f"{P}stackName='AwsMl' starts with 'aws'" in message and f"Fix: set {P}keyAliasPrefix" in message
    _config(**{P + "stackName": "AwsMl", P + "keyAliasPrefix": "ml"})


def test_every_problem_is_reported_at_once():
    message = _problem(**{P + "maxAz": 3, P + "keyRotationDays": -5, P + "studio": "yes"})
    assert message.startswith("3 problems with the settings:\n- context: ")
    for part in (f"{P}maxAz is not a setting", f"{P}keyRotationDays=-5 is outside", f"{P}studio='yes' is not true"):
        assert part in message


def test_command_line_strings_give_the_same_config_as_cdk_json():
    """`cdk synth -c key=value` passes every value as a string."""
    # A null in cdk.json means "unset" (the derived default); on the command line one leaves it out.
    typed = {k: v for k, v in cdk_json_context().items() if k.startswith(P) and v is not None}
    as_strings = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in typed.items()}
    assert all(isinstance(v, str) for v in as_strings.values())
    assert _config(**as_strings) == _config(**typed)


def test_a_json_null_leaves_the_default():
    assert _config(**{P + "alertEmail": None, P + "maxAzs": None}) == BaselineConfig()


def test_a_config_built_in_python_is_checked_under_its_field_names():
    with pytest.raises(
        PropError, match=r"^BaselineConfig: key_rotation_days=-5 is outside 90..2560. Fix: set key_rotation_days to"
    ):
        BaselineConfig(key_rotation_days=-5)
    with pytest.raises(PropError, match=r"^BaselineConfig: max_azs='3' is a str, not a int"):
        BaselineConfig(max_azs="3")  # type: ignore[arg-type]
    with pytest.raises(PropError, match=r"create_config_recorder=true contradicts organization_runs_config_rules=true"):
        BaselineConfig(create_config_recorder=True, organization_runs_config_rules=True)


def test_every_field_says_how_it_is_read_and_checked():
    from secure_sagemaker.config import SETTING, Setting

    for f in dataclasses.fields(BaselineConfig):
        setting = f.metadata[SETTING]
        assert isinstance(setting, Setting) and setting.allowed, f.name
        assert setting.kind in (bool, int, str) and (f.default is None or isinstance(f.default, setting.kind)), f.name


def _run_app(tmp_path, **context) -> subprocess.CompletedProcess:
    """app.py as `cdk synth -c ...` runs it: every -c value a string, in CDK_CONTEXT_JSON."""
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **context})}
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_app_py_reports_bad_command_line_values_by_key_without_a_traceback(tmp_path):
    """What used to end in jsii's DurationAmountsCannotNegative and a jsii stack-name error."""
    result = _run_app(tmp_path, **{P + "keyRotationDays": "-5", P + "stackName": "my stack!", P + "maxAz": "3"})
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("app.py: 3 problems with the settings:\n"), result.stderr
    for part in (
        f"context: {P}keyRotationDays=-5 is outside 90..2560",
        f"context: {P}stackName='my stack!' is not a CloudFormation stack name",
        f"context: {P}maxAz is not a setting of secure-sagemaker. Fix: did you mean {P}maxAzs?",
    ):
        assert part in result.stderr
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr.lower()
    assert not (tmp_path / "manifest.json").exists()


# --- data perimeter and the trail's Object Lock -------------------------------------------------


def test_break_glass_roles_contradict_giving_up_the_perimeter():
    glass = "arn:aws:iam::111122223333:role/IncidentResponse"
    message = _problem(**{P + "allowDataAccessOutsideVpc": "true", P + "breakGlassRoleArns": glass})
    assert f"{P}allowDataAccessOutsideVpc=true contradicts {P}breakGlassRoleArns" in message
    assert f"Fix: remove {P}breakGlassRoleArns, or set {P}allowDataAccessOutsideVpc to false." in message
    assert _config(**{P + "breakGlassRoleArns": glass}).break_glass_role_arns == glass
    assert "is not an IAM role ARN" in _problem(**{P + "breakGlassRoleArns": "IncidentResponse"})


def test_trail_lock_settings_contradict_giving_up_the_lock():
    message = _problem(**{P + "allowTrailLogDeletion": True, P + "trailObjectLockDays": 30})
    assert f"{P}allowTrailLogDeletion=true contradicts {P}trailObjectLockDays" in message
    assert _config(**{P + "allowTrailLogDeletion": True}).trail_log_lock == {"allow_log_file_deletion": True}


def test_trail_lock_settings_become_audit_trail_props():
    from aws_cdk import aws_s3 as s3

    assert _config().trail_log_lock == {"object_lock_mode": None, "object_lock_retention": None}
    lock = _config(**{P + "trailObjectLockMode": "COMPLIANCE", P + "trailObjectLockDays": "2555"}).trail_log_lock
    assert lock["object_lock_mode"] == s3.ObjectLockMode.COMPLIANCE
    assert lock["object_lock_retention"].to_days() == 2555


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("trailObjectLockMode", "governance", "is not an S3 Object Lock mode"),
        ("trailObjectLockDays", 0, "trailObjectLockDays=0"),
        ("trailObjectLockDays", 36501, "trailObjectLockDays=36501"),
        ("allowDataAccessOutsideVpc", "yes", "is not true or false"),
    ],
)
def test_bad_perimeter_and_lock_values_name_the_key(key, value, problem):
    assert problem in _problem(**{P + key: value})
