"""The `secure-sagemaker summary` command over cloud assemblies."""

from __future__ import annotations

import json
from pathlib import Path

from secure_sagemaker.cli import main
from secure_sagemaker.report import render_summary, summarise


def _assembly(tmp_path: Path, report: dict | None) -> Path:
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "S": {"type": "aws:cloudformation:stack", "displayName": "S", "properties": {"templateFile": "S.template.json"}},
                    "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
                }
            }
        )
    )
    (tmp_path / "S.template.json").write_text(json.dumps({"Resources": {"A": {}, "B": {}}}))
    if report is not None:
        (tmp_path / "validation-report.json").write_text(json.dumps(report))
    return tmp_path


def _violation(rule: str, paths: list[str], severity: str = "error") -> dict:
    return {"ruleName": rule, "severity": severity, "violatingConstructs": [{"constructPath": p} for p in paths]}


def test_counts_findings_per_construct_and_pack(tmp_path):
    report = {
        "pluginReports": [
            {"pluginName": "AwsSolutions", "violations": [_violation("AwsSolutions-S1", ["S/a", "S/b"])], "suppressedViolations": []},
            {"pluginName": "HIPAA.Security", "violations": [], "suppressedViolations": [_violation("H-1", ["S/a"])]},
        ]
    }
    summary = summarise(_assembly(tmp_path, report))
    assert [(s.name, s.resources) for s in summary.stacks] == [("S", 2)]
    assert [(p.name, p.unacknowledged, p.acknowledged) for p in summary.packs] == [
        ("AwsSolutions", 2, 0),
        ("HIPAA.Security", 0, 1),
    ]
    text = render_summary(summary)
    assert "S: 2 resources" in text and "FAILED: 2 unacknowledged" in text
    assert main(["summary", str(tmp_path)]) == 1


def test_clean_assembly_exits_zero(tmp_path, capsys):
    _assembly(tmp_path, {"pluginReports": [{"pluginName": "AwsSolutions", "violations": [], "suppressedViolations": []}]})
    assert main(["summary", str(tmp_path)]) == 0
    assert "OK: no unacknowledged findings." in capsys.readouterr().out


def test_no_report_says_no_pack_ran(tmp_path):
    assert "No nag packs ran" in render_summary(summarise(_assembly(tmp_path, None)))


def test_not_an_assembly_is_a_usage_error(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "missing")]) == 2
    assert "not a cloud assembly" in capsys.readouterr().err


def test_the_baseline_summary(baseline_assembly, capsys):
    assert main(["summary", str(baseline_assembly)]) == 0
    out = capsys.readouterr().out
    assert "SecureSageMakerBaseline:" in out and "OK: no unacknowledged findings." in out
