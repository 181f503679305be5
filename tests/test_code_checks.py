"""Static checks of the code itself: ruff with pyflakes and bugbear (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_ruff_reports_nothing() -> None:
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "--no-cache", "--output-format", "concise", "secure_sagemaker", "tests", "app.py", "benchmarks"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "All checks passed!"), result.stdout + result.stderr
