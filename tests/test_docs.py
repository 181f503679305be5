"""Documents generated from the code stay in step with it."""

from __future__ import annotations

from secure_sagemaker.report import acknowledgments_markdown
from tests.helpers import ROOT


def test_acknowledgments_doc_lists_every_acknowledgment_of_the_baseline(baseline_assembly):
    expected = acknowledgments_markdown(baseline_assembly)
    actual = (ROOT / "docs" / "acknowledgments.md").read_text()
    assert actual == expected, "docs/acknowledgments.md is stale: run `make docs`"


def test_readme_documents_every_context_key():
    from secure_sagemaker.config import BaselineConfig, context_key

    readme = (ROOT / "README.md").read_text()
    missing = [
        context_key(name) for name in BaselineConfig.__dataclass_fields__ if f"`{context_key(name)}`" not in readme
    ]
    assert missing == []


def test_architecture_doc_is_the_diagram_of_the_baseline(baseline_assembly):
    from secure_sagemaker.diagram import markdown

    actual = (ROOT / "docs" / "architecture.md").read_text()
    assert actual == markdown(baseline_assembly), "docs/architecture.md is stale: run `make docs`"


def test_version_has_one_source():
    import tomllib

    import secure_sagemaker

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert secure_sagemaker.__version__ == declared
    assert f"## {declared}" in (ROOT / "CHANGELOG.md").read_text()
