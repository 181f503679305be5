"""The baseline against the SageMakerSecurity rules, through both front ends (session synth of app.py)."""

from __future__ import annotations

import json
from pathlib import Path

from secure_sagemaker.cli import main
from secure_sagemaker.nag.engine import check_template
from secure_sagemaker.nag.loader import load_paths
from secure_sagemaker.nag.rule import all_rules
from secure_sagemaker.nag.template import Template


def _our_report(assembly: Path) -> dict:
    report = json.loads((assembly / "validation-report.json").read_text())
    return next((r for r in report["pluginReports"] if r["pluginName"] == "SageMakerSecurity"), {})


def test_the_pack_leaves_no_unacknowledged_finding_on_the_baseline(baseline_assembly: Path) -> None:
    assert _our_report(baseline_assembly).get("violations", []) == []


def test_audit_finds_on_the_baseline_only_what_synth_acknowledged(baseline_assembly: Path, capsys) -> None:
    code = main(["audit", "--format", "json", str(baseline_assembly)])
    data = json.loads(capsys.readouterr().out)
    errors = {(f["rule_id"], f["resource"]) for f in data["findings"] if f["level"] == "error"}
    acknowledged = {
        (v["ruleName"], c["cloudFormationResource"]["logicalId"])
        for v in _our_report(baseline_assembly).get("suppressedViolations", [])
        for c in v["violatingConstructs"]
        if "cloudFormationResource" in c
    }
    assert errors <= acknowledged
    assert code == (1 if errors else 0)


def test_the_baseline_exercises_the_rule_families(baseline_assembly: Path) -> None:
    """Most rules have something to judge in the baseline, so a green report means something."""
    templates = [Template(loaded.body) for loaded in load_paths([str(baseline_assembly)])]
    assert len(templates) == 2  # the account baseline and the workload
    judged = {r.id for r in all_rules() for template in templates if any(template.of_type(t) for t in r.resource_types)}
    families = {
        "Model",
        "EndpointConfig",
        "Notebook",
        "Domain",
        "Studio",
        "ExecutionRole",
        "KmsKey",
        "Bucket",
        "Vpc",
        "Trail",
        "GuardDuty",
        "LogGroup",
        "Topic",
    }
    assert {f for f in families if any(rule.startswith(f) for rule in judged)} == families
    for template in templates:
        assert not [f for f in check_template(template) if f.level.value == "error" and f.unverifiable]
