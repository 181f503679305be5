"""Shared fixtures: the baseline app synthesized once per session, and per-module template fixtures.

Helpers (Apps configured like `cdk.json`, template lookups) live in tests/helpers.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# tests.helpers puts the venv's Node.js first on PATH before it imports aws_cdk: import it first.
from tests.helpers import (
    FULL_BASELINE,
    OPT_INS,
    BackgroundAppSynth,
    CfnLint,
    cdk_json_context,
    changed_part,
    new_stack,
)

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


#: The app.py configurations the session synthesizes once (in the background), by fixture name:
#: folder name, context on top of cdk.json's, and whether CDK's built-in template validation runs.
#: It runs on the full baseline and on the opt-ins (the only synths it sees the package mirror and
#: the other opt-ins in). The default configuration is the full baseline without the demo endpoint,
#: which only adds constructs (and the grants they make), so its templates are a subset of the
#: validated full baseline's: validating them again (about 10 s of CPU) checks nothing new, and
#: with CDK's validation clean the two give the same assembly (validation-report.json included).
APP_PY_SYNTHS = {
    "baseline_assembly": ("full", FULL_BASELINE, True),
    "default_assembly": ("default", {}, False),
    "opt_ins_assembly": ("opt-ins", OPT_INS, True),
}
#: The fixtures whose synth is followed by cfn-lint when a test asks for ``<fixture>`` with ``lint``.
_LINTED = {"baseline_assembly": "baseline_cfn_lint"}


def _app_py_synth(config: pytest.Config, fixture: str, *, lint: bool = False) -> BackgroundAppSynth:
    """The background synth behind ``fixture``, started by the first worker that needs it."""
    factory = config._tmp_path_factory  # type: ignore[attr-defined]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # Every xdist worker's temporary folder is inside the session's: share that one.
    shared = factory.getbasetemp().parent if worker else factory.getbasetemp()
    name, context, validated = APP_PY_SYNTHS[fixture]
    return BackgroundAppSynth(
        shared / f"app-py-{name}", lint=lint, validated=validated, only_consumer=not worker, **context
    )


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start app.py's synths that the selected tests use, so they run while other tests do."""
    if config.option.collectonly:
        return
    needed = {name for item in items for name in getattr(item, "fixturenames", ())}
    for fixture in APP_PY_SYNTHS:
        if fixture in needed:
            _app_py_synth(config, fixture, lint=_LINTED.get(fixture) in needed)


@pytest.fixture(scope="session")
def baseline_assembly(pytestconfig: pytest.Config) -> Path:
    """The cloud assembly of app.py (account baseline and workload, demo endpoint on) with every
    nag pack registered, synthesized once per session."""
    return _app_py_synth(pytestconfig, "baseline_assembly").result()


@pytest.fixture(scope="session")
def default_assembly(pytestconfig: pytest.Config) -> Path:
    """app.py exactly as `cdk synth` runs it with cdk.json (the first deploy's settings: no demo
    endpoint), synthesized once per session; without CDK's built-in validation (``APP_PY_SYNTHS``)."""
    return _app_py_synth(pytestconfig, "default_assembly").result()


@pytest.fixture(scope="session")
def opt_ins_assembly(pytestconfig: pytest.Config) -> Path:
    """app.py with the opt-ins that are off in cdk.json turned on (``OPT_INS``: the package mirror,
    read data events on ``raw/``), synthesized once per session."""
    return _app_py_synth(pytestconfig, "opt_ins_assembly").result()


@pytest.fixture(scope="session")
def opt_ins_cfn_lint(
    tmp_path_factory: pytest.TempPathFactory, opt_ins_assembly: Path, baseline_assembly: Path
) -> CfnLint:
    """cfn-lint (``.result()``) on what the opt-ins assembly's templates add to or change in the
    full baseline's, which ``baseline_cfn_lint`` lints: each template's ``changed_part`` (its new
    and changed resources and outputs, with what they refer to and what refers to them), written
    to ``.parts`` (template file name -> resource types linted)."""
    folder = tmp_path_factory.mktemp("opt-ins-lint")
    parts = {}
    for path in sorted(opt_ins_assembly.glob("*.template.json")):
        part = changed_part(json.loads((baseline_assembly / path.name).read_text()), json.loads(path.read_text()))
        (folder / path.name).write_text(json.dumps(part, indent=1))
        parts[path.name] = {r["Type"] for r in part.get("Resources", {}).values()}
    lint = CfnLint(*sorted(folder.glob("*.template.json")))
    lint.parts = parts  # type: ignore[attr-defined]
    return lint


@pytest.fixture(scope="session")
def baseline_cfn_lint(pytestconfig: pytest.Config, baseline_assembly: Path) -> BackgroundAppSynth:
    """cfn-lint on the baseline's templates (``.lint_result()``), run right after its synth."""
    return _app_py_synth(pytestconfig, "baseline_assembly")


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
