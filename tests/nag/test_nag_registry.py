"""The rule catalogue: pinned ids and levels, metadata every rule must carry, test coverage, junk input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _nagcases import JUNK, run_all_rules_raw

from secure_sagemaker.nag.rule import PACK_NAME, Rule, all_rules
from secure_sagemaker.nag.template import Template

HERE = Path(__file__).parent
PRACTICE = re.compile(r"^P([1-9]|1[0-9])$")
THREAT = re.compile(r"^(T([1-9]|1[0-2])|C[1-7])$")


def test_rule_ids_and_levels_are_pinned(snapshot) -> None:
    """The exact rules of the pack, in catalogue order, with their levels (the snapshot in
    __snapshots__/). Changing them changes the pack's public contract: update the snapshot
    deliberately (`pytest --snapshot-update` on this test) and docs/RULES.md
    (`secure-sagemaker rules --format markdown`)."""
    assert [f"{r.id}: {r.level.value}" for r in all_rules()] == snapshot


def test_every_rule_has_the_metadata_the_docs_and_the_pack_need() -> None:
    for r in all_rules():
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", r.id), r.id
        assert r.full_id == f"{PACK_NAME}-{r.id}"
        assert r.acknowledgment_id == f"{PACK_NAME}::{PACK_NAME}-{r.id}"
        doc = " ".join((r.check.__doc__ or "").split())
        assert doc.endswith(".") and doc.count(". ") == 0, f"{r.id}: the docstring is one sentence: {doc!r}"
        for text in (r.info, r.explanation, r.fix):
            assert text.strip() and text.rstrip().endswith((".", ")")), (r.id, text)
        assert r.practices and all(PRACTICE.match(p) for p in r.practices), (r.id, r.practices)
        assert all(THREAT.match(t) for t in r.threats), (r.id, r.threats)
        assert r.resource_types and all(t.startswith("AWS::") for t in r.resource_types)


def test_every_rule_module_has_its_rule_case_module() -> None:
    """Each tests/nag/test_rules_<module>.py proves its module's rules have their cases; here,
    that every module registering a rule has such a test module."""
    modules = {r.check.__module__.rsplit(".", 1)[-1] for r in all_rules()}
    for module in modules:
        case_module = HERE / f"test_rules_{module}.py"
        assert case_module.is_file(), f"{module}.py has rules but no {case_module.name}"
        assert f'rules_of("{module}")' in case_module.read_text(), case_module.name


# ------------------------------------------------------------------------------------------
# Junk: no rule ever raises
# ------------------------------------------------------------------------------------------


def test_no_rule_raises_on_junk_resources_of_every_type() -> None:
    types = sorted({t for r in all_rules() for t in r.resource_types})
    for junk in JUNK:
        resources = {f"R{i}": {"Type": t, "Properties": junk, "Metadata": junk} for i, t in enumerate(types)}
        resources["Target"] = {"Type": types[0], "Properties": {k: junk for k in ("VpcConfig", "KmsKeyId", "Rules")}}
        run_all_rules_raw({"Resources": resources, "Parameters": junk, "Mappings": junk, "Conditions": junk})
        for t in types:  # each type alone, junk in a property no rule expects
            run_all_rules_raw({"Resources": {"R": {"Type": t, "Properties": {"x": junk}}}})
    for body in (None, "", [], {"Resources": None}, {"Resources": []}, {"Resources": {"A": None, 1: {}, "B": "x"}}):
        run_all_rules_raw(body)


def test_the_engine_turns_a_crashing_rule_into_a_warning() -> None:
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.rule import ERROR

    def crash(resource):
        """Crashes."""
        raise RuntimeError("boom")

    broken = Rule("Crash", ERROR, ("AWS::S3::Bucket",), "i.", "e.", "f.", ("P1",), (), crash)
    (finding,) = check_template(Template({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}), [broken])
    assert finding.level.value == "warning" and finding.unverifiable
    assert "RuntimeError: boom" in finding.message


def test_rules_are_pure_python() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from secure_sagemaker.nag.engine import check_body; from secure_sagemaker.nag.rule import "
        "all_rules;"
        "all_rules(); check_body({'Resources': {}});"
        "import secure_sagemaker.nag.commands, secure_sagemaker.nag.loader, secure_sagemaker.nag.output;"
        "bad = [m for m in ('jsii', 'aws_cdk', 'cdk_nag', 'constructs') if m in sys.modules]; print(bad); "
        "sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_lookup_accepts_every_id_form() -> None:
    from secure_sagemaker.nag.rule import get_rule

    for form in ("TopicKms", "SageMakerSecurity-TopicKms", "SageMakerSecurity::SageMakerSecurity-TopicKms"):
        assert get_rule(form).id == "TopicKms"
    with pytest.raises(KeyError):
        get_rule("Nope")


def test_rule_registry_refuses_duplicates_and_missing_docstrings() -> None:
    from secure_sagemaker.nag.rule import ERROR, rule

    with pytest.raises(ValueError, match="twice"):
        rule("TopicKms", ERROR, "AWS::SNS::Topic", info="i", explanation="e", fix="f", practices=("P1",))(
            lambda r: None
        )
    with pytest.raises(ValueError, match="docstring"):
        rule("BrandNew", ERROR, "AWS::SNS::Topic", info="i", explanation="e", fix="f", practices=("P1",))(
            lambda r: None
        )


def test_the_rule_writing_guide_names_real_files_and_the_real_example() -> None:
    from pathlib import Path

    from secure_sagemaker.nag.rule import get_rule

    root = Path(__file__).resolve().parents[2]
    text = (root / "docs" / "writing-rules.md").read_text()
    paths = set(re.findall(r"`((?:secure_sagemaker|tests|docs)/[\w/.<>-]+\.(?:py|md))`", text))
    assert paths
    for path in paths:
        if "<" not in path:
            assert (root / path).is_file(), path
    example = get_rule("NotebookImdsV2")
    assert f'info="{example.info}"' in text and example.summary in text


def test_every_rule_module_has_a_section_title_in_the_catalogue() -> None:
    from secure_sagemaker.nag.output import _SECTIONS

    modules = {r.check.__module__.rsplit(".", 1)[-1] for r in all_rules()}
    assert modules <= set(_SECTIONS), modules - set(_SECTIONS)
