"""cfn-lint over the synthesized baseline: no error, no warning."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import BackgroundAppSynth


def test_cfn_lint_reports_nothing(baseline_assembly: Path, baseline_cfn_lint: BackgroundAppSynth):
    assert list(baseline_assembly.glob("*.template.json"))
    assert baseline_cfn_lint.lint_result() == (0, "", "")
