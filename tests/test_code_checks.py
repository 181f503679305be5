"""Static checks of the code itself: ruff with pyflakes, bugbear and import order (configured in
pyproject.toml), ruff's formatting, and what mypy sees of the package once a project installs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT

CODE = ["secure_sagemaker", "tests", "app.py", "benchmarks", "scripts", "examples"]
RUFF = Path(sys.executable).parent / "ruff"


def test_ruff_reports_nothing() -> None:
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--output-format", "concise", *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "All checks passed!"), result.stdout + result.stderr


def test_the_code_is_formatted_by_ruff() -> None:
    """`ruff format` (line length 120, pyproject.toml) leaves every file as it is."""
    result = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", *CODE], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, "run `ruff format` on:\n" + result.stdout + result.stderr


def test_an_installed_package_is_typed_for_mypy(tmp_path: Path) -> None:
    """mypy sees the package's annotations as a user's project does, through PEP 561's py.typed.

    The package is put on the path the way an install puts it in site-packages (a folder
    outside the project, where mypy reads a package only if it has ``py.typed``), and mypy runs
    on tests/data/typed_usage.py with most of aws_cdk skipped (tests/data/mypy.ini).
    """
    data = ROOT / "tests" / "data"
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "secure_sagemaker").symlink_to(ROOT / "secure_sagemaker", target_is_directory=True)
    mypy = Path(sys.executable).parent / "mypy"
    result = subprocess.run(
        [
            str(mypy),
            "--config-file",
            str(data / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--python-executable",
            sys.executable,
            "--show-error-codes",
            "--no-pretty",
            str(data / "typed_usage.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    reported = {}
    for line in result.stdout.splitlines():
        where, _, message = line.partition(": ")
        if where.endswith(tuple(f":{n}" for n in range(1, 1000))):
            reported.setdefault(int(where.rsplit(":", 1)[1]), []).append(message)
    expected = {}
    for number, line in enumerate((data / "typed_usage.py").read_text().splitlines(), start=1):
        if "  # error:" in line:
            expected[number] = "error"
        elif line.startswith("reveal_type("):
            expected[number] = f'note: Revealed type is "{line.rsplit("# ", 1)[1]}"'
    assert expected, "typed_usage.py lost its checks"
    assert "import-untyped" not in result.stdout, result.stdout
    for number, want in expected.items():
        got = reported.get(number, [])
        assert any(m.startswith(want) for m in got), (
            f"typed_usage.py:{number}: expected {want!r}, mypy said {got}\n{result.stdout}"
        )
    assert set(reported) == set(expected), result.stdout
    assert 'Argument "rotation_period" to "KeyRing" has incompatible type "int"; expected "Duration"' in result.stdout


def test_py_typed_ships_with_the_package() -> None:
    import tomllib

    assert (ROOT / "secure_sagemaker" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["secure_sagemaker"]


def test_test_modules_share_helpers_and_never_import_each_other():
    """Shared helpers live in tests/helpers.py (tests/nag/_nagcases.py for rule cases), fixtures in
    conftest.py: a test module imported by another runs its tests twice and couples their edits."""
    importing = re.compile(r"^\s*(?:from|import)\s+(?:tests\.(?:nag\.)?)?(?:test_\w+|conftest)\b", re.M)
    modules = [p for p in (ROOT / "tests").rglob("*.py") if "data" not in p.relative_to(ROOT / "tests").parts]
    assert len(modules) > 30
    assert [str(p.relative_to(ROOT)) for p in modules if importing.search(p.read_text())] == []
