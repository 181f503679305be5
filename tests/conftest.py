"""Shared fixtures: the baseline app synthesized once per session, and per-module template fixtures.

Helpers (Apps configured like `cdk.json`, template lookups) live in tests/helpers.py.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# tests.helpers puts the venv's Node.js first on PATH before it imports aws_cdk: import it first.
from tests.helpers import FULL_BASELINE, CfnLint, cdk_json_context, new_stack, synth_app_py

if TYPE_CHECKING:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template


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


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this session sees (the session's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


def _synth_once(tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, **context: Any) -> Path:
    """app.py synthesized with ``context`` once per session, whichever xdist worker asks first.

    The others wait on the lock and read the same cloud assembly, so the baseline is not
    synthesized once per worker.
    """
    shared = _shared_dir(tmp_path_factory, worker_id)
    assembly = shared / f"app-py-{name}"
    with open(shared / f"app-py-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (assembly / "manifest.json").is_file():
            synth_app_py(assembly, **context)
    return assembly


@pytest.fixture(scope="session")
def baseline_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The cloud assembly of app.py (account baseline and workload, demo endpoint on) with every
    nag pack registered, synthesized once per session."""
    return _synth_once(tmp_path_factory, worker_id, "full", **FULL_BASELINE)


@pytest.fixture(scope="session")
def default_assembly(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """app.py exactly as `cdk synth` runs it with cdk.json (the first deploy's settings: no demo
    endpoint), synthesized once per session."""
    return _synth_once(tmp_path_factory, worker_id, "default")


@pytest.fixture(scope="session")
def baseline_cfn_lint(baseline_assembly: Path) -> CfnLint:
    """cfn-lint on the baseline's templates."""
    return CfnLint(*sorted(baseline_assembly.glob("*.template.json")))


@pytest.fixture(scope="session")
def baseline_template(baseline_assembly: Path) -> dict:
    """The workload stack's template."""
    name = cdk_json_context()["secure-sagemaker:stackName"]
    return json.loads((baseline_assembly / f"{name}.template.json").read_text())


@pytest.fixture(scope="session")
def baseline_assertions(baseline_template: dict) -> Template:
    """The workload stack's template for ``aws_cdk.assertions`` (loaded into jsii once a session)."""
    from aws_cdk.assertions import Template

    return Template.from_json(baseline_template)


@pytest.fixture(scope="session")
def account_template(baseline_assembly: Path) -> dict:
    """The account baseline stack's template."""
    name = cdk_json_context()["secure-sagemaker:accountStackName"]
    return json.loads((baseline_assembly / f"{name}.template.json").read_text())
