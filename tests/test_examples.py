"""examples/delivery/app.py: the multi-account pipeline synthesizes without credentials, every pack
is clean on it (pipeline and stages), and its synth step's commands do what the docstring says."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from secure_sagemaker.reminders import is_reminder
from tests.helpers import ROOT, new_app, resources

EXAMPLE = ROOT / "examples" / "delivery" / "app.py"


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("delivery_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    from secure_sagemaker.nag import add_all_packs

    outdir = tmp_path_factory.mktemp("delivery.out")
    app = new_app(outdir, **{"secure-sagemaker:accountBaseline": False})
    module.build(app)
    add_all_packs(app)
    app.synth()  # raises ValidationFailed on an unacknowledged error finding
    return {"module": module, "outdir": outdir, "report": json.loads((outdir / "validation-report.json").read_text())}


def _template(outdir: Path, name: str) -> dict:
    return json.loads((outdir / name).read_text())


def test_every_pack_is_clean_on_the_pipeline_and_both_stages(delivery):
    report = delivery["report"]
    assert {p["pluginName"] for p in report["pluginReports"]} - {"Construct Annotations"} == {
        "AwsSolutions",
        "HIPAA.Security",
        "NIST.800.53.R5",
        "PCI.DSS.321",
        "SageMakerSecurity",
    }
    # The stages subscribe nobody to their alert topics: only the no-subscriber reminders remain.
    leftover = [(p["pluginName"], v) for p in report["pluginReports"] for v in p.get("violations", [])]
    assert [v for name, v in leftover if not is_reminder(name, v)] == []
    checked = {
        c["constructPath"].split("/")[0]
        for p in report["pluginReports"]
        for v in p.get("suppressedViolations", [])
        for c in v["violatingConstructs"]
    }
    assert {"Delivery", "Dev", "Prod"} <= checked  # the packs reached the stages' stacks too
    for p in report["pluginReports"]:
        for v in p.get("suppressedViolations", []):
            assert len(v.get("reason", "")) >= 20, v


def test_stages_have_explicit_environments_and_no_account_baseline(delivery):
    module, outdir = delivery["module"], delivery["outdir"]
    for stage, env in (("Dev", module.DEV), ("Prod", module.PROD)):
        manifest = json.loads((outdir / f"assembly-{stage}" / "manifest.json").read_text())
        (stack,) = [a for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"]
        assert stack["environment"] == f"aws://{env.account}/{env.region}"
        assert stack["properties"]["stackName"] == module.WORKLOAD_STACK
        template = _template(outdir / f"assembly-{stage}", stack["properties"]["templateFile"])
        assert resources(template, "AWS::SageMaker::Domain")
        assert not resources(template, "AWS::GuardDuty::Detector")  # that is the stack set's


def test_the_account_baseline_is_synthesized_for_the_stack_set(delivery):
    template = _template(delivery["outdir"], "SecureSageMakerAccountBaseline.template.json")
    assert "BootstrapVersion" not in template.get("Parameters", {})  # StackSets target unbootstrapped accounts
    assert resources(template, "AWS::GuardDuty::Detector")


def _pipeline(outdir: Path) -> tuple[dict, list[dict]]:
    template = _template(outdir, "Delivery.template.json")
    (pipeline,) = resources(template, "AWS::CodePipeline::Pipeline").values()
    return template, pipeline["Properties"]["Stages"]


def _buildspec(template: dict, project_logical_id: str) -> dict:
    return json.loads(template["Resources"][project_logical_id]["Properties"]["Source"]["BuildSpec"])


def test_a_manual_approval_comes_before_prod_and_after_dev(delivery):
    _, stages = _pipeline(delivery["outdir"])
    names = [s["Name"] for s in stages]
    assert names.index("Dev") < names.index("Prod")
    (prod,) = [s for s in stages if s["Name"] == "Prod"]
    first = min(prod["Actions"], key=lambda a: a["RunOrder"])
    assert first["ActionTypeId"]["Category"] == "Approval" and first["Name"] == "PromoteToProd"
    deploys = [a for a in prod["Actions"] if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys and all(a["RunOrder"] > first["RunOrder"] for a in deploys)
    (dev,) = [s for s in stages if s["Name"] == "Dev"]
    assert "OrganizationBaseline" in [a["Name"] for a in dev["Actions"]]  # the stack set moves first


def test_the_synth_step_runs_the_packs_audit_and_diff_and_its_diff_command_works(delivery, tmp_path):
    template, stages = _pipeline(delivery["outdir"])
    (build,) = [s for s in stages if s["Name"] == "Build"]
    (synth,) = build["Actions"]
    project = synth["Configuration"]["ProjectName"]["Ref"]
    commands = _buildspec(template, project)["phases"]["build"]["commands"]
    assert commands[0] == "cdk synth --quiet"
    assert any(c.startswith("secure-sagemaker audit cdk.out") for c in commands)
    diffs = [c for c in commands if c.startswith("secure-sagemaker diff ")]
    assert len(diffs) == 2

    # The diff command, verbatim, where the deployed template could not be read (a first deploy):
    # every resource is new, which is worse (1), and the step goes on; only bad input stops it.
    shutil.copytree(delivery["outdir"], tmp_path / "cdk.out")
    (dev_diff,) = [c for c in diffs if "deployed/dev" in c]
    (tmp_path / "deployed" / "dev").mkdir(parents=True)
    (tmp_path / "deployed" / "dev" / "SecureSageMakerWorkload.template.json").write_text('{"Resources": {}}')
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(["sh", "-ec", dev_diff], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "security-diff-dev.txt").read_text().startswith("secure-sagemaker diff: HEAD is worse than BASE")
    (tmp_path / "deployed" / "dev" / "SecureSageMakerWorkload.template.json").write_text("{nope")
    result = subprocess.run(["sh", "-ec", dev_diff], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0  # unreadable input stops the pipeline
