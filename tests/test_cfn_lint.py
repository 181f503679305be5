"""cfn-lint over the synthesized baseline: no error, no warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_cfn_lint_reports_nothing(baseline_assembly: Path):
    templates = sorted(str(p) for p in baseline_assembly.glob("*.template.json"))
    assert templates
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", "--", *templates], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
