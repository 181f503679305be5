"""The `secure-sagemaker summary` command over cloud assemblies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secure_sagemaker.cli import main
from secure_sagemaker.report import render_summary, summarise


def _assembly(tmp_path: Path, report: dict | None) -> Path:
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "artifacts": {
                    "S": {
                        "type": "aws:cloudformation:stack",
                        "displayName": "S",
                        "properties": {"templateFile": "S.template.json"},
                    },
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
            {
                "pluginName": "AwsSolutions",
                "violations": [_violation("AwsSolutions-S1", ["S/a", "S/b"])],
                "suppressedViolations": [],
            },
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
    _assembly(
        tmp_path, {"pluginReports": [{"pluginName": "AwsSolutions", "violations": [], "suppressedViolations": []}]}
    )
    assert main(["summary", str(tmp_path)]) == 0
    assert "OK: no unacknowledged findings." in capsys.readouterr().out


def test_reminders_are_listed_but_not_counted_and_other_construct_warnings_still_fail(tmp_path, capsys):
    reminder = _violation("Annotation::@secure-sagemaker/alerts:noSubscriber", ["S/Alerts"], "warning")
    report = {
        "pluginReports": [
            {"pluginName": "AwsSolutions", "violations": [], "suppressedViolations": []},
            {"pluginName": "Construct Annotations", "violations": [reminder]},
        ]
    }
    summary = summarise(_assembly(tmp_path, report))
    assert summary.unacknowledged == 0
    assert summary.reminders == ["S/Alerts: @secure-sagemaker/alerts:noSubscriber"]
    assert [p.name for p in summary.packs] == ["AwsSolutions"]
    assert main(["summary", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "OK: no unacknowledged findings." in out and "Reminder: 1 step(s) left to you" in out
    assert "S/Alerts: @secure-sagemaker/alerts:noSubscriber" in out


@pytest.mark.parametrize(
    "plugin, violation",
    [
        ("Construct Annotations", _violation("Annotation::@aws-cdk/aws-ec2:someWarning", ["S/Vpc"], "warning")),
        ("Construct Annotations", _violation("Annotation::@secure-sagemaker/alerts:noSubscriber", ["S/A"], "error")),
        ("AwsSolutions", _violation("@secure-sagemaker/alerts:noSubscriber", ["S/A"], "warning")),
    ],
    ids=["another-construct-warning", "an-error-with-the-id", "a-pack-finding-with-the-id"],
)
def test_only_the_listed_warning_of_the_annotations_plugin_is_a_reminder(tmp_path, plugin, violation):
    summary = summarise(_assembly(tmp_path, {"pluginReports": [{"pluginName": plugin, "violations": [violation]}]}))
    assert (summary.unacknowledged, summary.reminders) == (1, [])
    assert main(["summary", str(tmp_path)]) == 1


def test_no_report_says_no_pack_ran(tmp_path):
    assert "No nag packs ran" in render_summary(summarise(_assembly(tmp_path, None)))


def test_not_an_assembly_is_a_usage_error(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "missing")]) == 2
    assert "not a cloud assembly" in capsys.readouterr().err


def test_the_baseline_summary(baseline_assembly, capsys):
    assert main(["summary", str(baseline_assembly)]) == 0
    out = capsys.readouterr().out
    assert "SecureSageMakerBaseline:" in out and "OK: no unacknowledged findings." in out
    # cdk.json sets no alertEmail: both alert topics (workload and account) remind, and pass.
    assert sorted(summarise(baseline_assembly).reminders) == [
        "SecureSageMakerAccountBaseline/Account/Alerts: @secure-sagemaker/alerts:noSubscriber",
        "SecureSageMakerBaseline/Baseline/Alerts: @secure-sagemaker/alerts:noSubscriber",
    ]
    # Every acknowledgment the library makes matches a finding: none is idle.
    assert summarise(baseline_assembly).idle_acknowledgments == []
    assert "suppressed nothing" not in out


# --- which packs ran: recorded by add_all_packs, since CDK leaves silent packs out of the report ---


def _record(tmp_path: Path, names: list[str], *, inline: bool = False) -> None:
    """Record ``names`` as registered on stack S, the way ``record_packs`` does."""
    from secure_sagemaker.nag import PACKS_METADATA

    entries = {
        "/S": [{"type": "aws:cdk:templateFile", "data": "S.template.json"}, {"type": PACKS_METADATA, "data": names}]
    }
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    if inline:
        manifest["artifacts"]["S"]["metadata"] = entries
    else:
        manifest["artifacts"]["S"]["additionalMetadataFile"] = "S.metadata.json"
        (tmp_path / "S.metadata.json").write_text(json.dumps(entries))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("inline", [False, True])
def test_registered_packs_that_found_nothing_are_listed_with_zeros(tmp_path, inline):
    report = {
        "pluginReports": [
            {"pluginName": "HIPAA.Security", "violations": [], "suppressedViolations": [_violation("H-1", ["S/a"])]},
        ]
    }
    _assembly(tmp_path, report)
    _record(tmp_path, ["AwsSolutions", "HIPAA.Security", "SageMakerSecurity"], inline=inline)
    summary = summarise(tmp_path)
    assert summary.registered == ["AwsSolutions", "HIPAA.Security", "SageMakerSecurity"]
    assert [(p.name, p.unacknowledged, p.acknowledged) for p in summary.packs] == [
        ("HIPAA.Security", 0, 1),
        ("AwsSolutions", 0, 0),
        ("SageMakerSecurity", 0, 0),
    ]
    text = render_summary(summary)
    assert "No nag packs ran" not in text and "not listed" not in text
    assert "AwsSolutions" in text and "OK: no unacknowledged findings." in text


def test_an_empty_report_without_a_record_says_no_pack_ran(tmp_path):
    _assembly(tmp_path, {"pluginReports": []})
    assert "No nag packs ran" in render_summary(summarise(tmp_path))


def test_a_report_without_a_record_says_silent_packs_are_not_listed(tmp_path):
    _assembly(
        tmp_path,
        {
            "pluginReports": [
                {"pluginName": "AwsSolutions", "violations": [], "suppressedViolations": [_violation("A-1", ["S/a"])]}
            ]
        },
    )
    assert "the assembly does not record which packs ran" in render_summary(summarise(tmp_path))


ALL_PACKS = ["AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "SageMakerSecurity"]


def _clean_app(outdir: Path, *, packs: bool, staged: bool = False) -> Path:
    """An app whose one resource no pack reports on, synthesized into ``outdir``."""
    import aws_cdk as cdk

    from secure_sagemaker.nag import add_all_packs
    from tests.helpers import new_app

    app = new_app(outdir)
    parent = cdk.Stage(app, "Dev") if staged else app
    cdk.CfnWaitConditionHandle(cdk.Stack(parent, "Clean"), "Handle")
    if packs:
        add_all_packs(app)
    app.synth()
    return outdir


@pytest.mark.parametrize("staged", [False, True], ids=["stack", "stack-in-a-stage"])
def test_packs_that_ran_and_found_nothing_are_reported_as_run(tmp_path, capsys, staged):
    assembly = _clean_app(tmp_path, packs=True, staged=staged)
    report = json.loads((assembly / "validation-report.json").read_text())
    assert report["pluginReports"] == []  # what CDK writes when every pack found nothing
    summary = summarise(assembly)
    assert summary.registered == ALL_PACKS
    assert [(p.name, p.unacknowledged, p.acknowledged) for p in summary.packs] == [(n, 0, 0) for n in ALL_PACKS]
    assert main(["summary", str(assembly)]) == 0
    out = capsys.readouterr().out
    assert "No nag packs ran" not in out and "OK: no unacknowledged findings." in out
    assert all(f"  {name}" in out for name in ALL_PACKS)


def test_an_app_without_packs_is_reported_as_such(tmp_path, capsys):
    assembly = _clean_app(tmp_path, packs=False)
    assert summarise(assembly).registered == []
    assert main(["summary", str(assembly)]) == 0
    assert "No nag packs ran" in capsys.readouterr().out
