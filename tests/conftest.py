"""Shared fixtures: the baseline app synthesized once per session, and per-module template fixtures.

Helpers (Apps configured like `cdk.json`, template lookups) live in tests/helpers.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from tests.helpers import FULL_BASELINE, CfnLint, cdk_json_context, new_stack, synth_app_py


@pytest.fixture
def stack() -> cdk.Stack:
    return new_stack()


@pytest.fixture(scope="module")
def template(synth: dict[str, Any]) -> dict:
    """The main template of a module's ``synth`` fixture (a dict with ``"template"``)."""
    return synth["template"]


@pytest.fixture(scope="module")
def ids(synth: dict[str, Any]) -> dict[str, Any]:
    """The logical ids a module's ``synth`` fixture recorded (a dict with ``"ids"``)."""
    return synth["ids"]


_BASELINE_LINT: dict[Path, CfnLint] = {}


@pytest.fixture(scope="session")
def baseline_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly of app.py (account baseline and workload, demo endpoint on) with every
    nag pack registered, synthesized once per session.

    cfn-lint starts on its templates at once (see :func:`baseline_cfn_lint`).
    """
    assembly = synth_app_py(tmp_path_factory.mktemp("cdk.out"), **FULL_BASELINE)
    _BASELINE_LINT[assembly] = CfnLint(*sorted(assembly.glob("*.template.json")))
    return assembly


@pytest.fixture(scope="session")
def baseline_cfn_lint(baseline_assembly: Path) -> CfnLint:
    """cfn-lint on the baseline's templates, started when the baseline was synthesized."""
    return _BASELINE_LINT[baseline_assembly]


@pytest.fixture(scope="session")
def baseline_template(baseline_assembly: Path) -> dict:
    """The workload stack's template."""
    name = cdk_json_context()["secure-sagemaker:stackName"]
    return json.loads((baseline_assembly / f"{name}.template.json").read_text())


@pytest.fixture(scope="session")
def account_template(baseline_assembly: Path) -> dict:
    """The account baseline stack's template."""
    name = cdk_json_context()["secure-sagemaker:accountStackName"]
    return json.loads((baseline_assembly / f"{name}.template.json").read_text())
