"""docs/practices.md and docs/threat-model.md name only what exists, cover everything, and are fresh.

The catalogue of threats and practices is the team's PRACTICES.md, vendored in tests/data.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re

import pytest

import secure_sagemaker
from secure_sagemaker.config import BaselineConfig, context_key
from secure_sagemaker.nag.rule import all_rules
from secure_sagemaker.practices.catalogue import ENTRIES, PRACTICES, RISKS, THREATS
from secure_sagemaker.practices.coverage import COVERAGE, Control, Mode
from secure_sagemaker.practices.render import practices_markdown, threat_model_markdown
from secure_sagemaker.practices.threat_model import ASSESSMENTS, Mitigation
from tests.helpers import ROOT

SOURCE = ROOT / "tests" / "data" / "PRACTICES.md"
TEAM_COPY = ROOT.parent / "shared" / "PRACTICES.md"
DOCS = {"practices.md": practices_markdown, "threat-model.md": threat_model_markdown}
PRACTICE_IDS = {p.id for p in PRACTICES}
THREAT_IDS = {t.id for t in (*THREATS, *RISKS)}
CONTEXT_KEYS = {context_key(f) for f in BaselineConfig.__dataclass_fields__}


def _source_rows(text: str) -> dict[str, tuple[str, ...]]:
    """``id -> (columns after the id)`` of every table row in PRACTICES.md."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if re.fullmatch(r"[TCP]\d+", cells[0]):
            rows[cells[0]] = tuple(cells[1:])
    return rows


def test_the_catalogue_is_the_source_catalogue() -> None:
    rows = _source_rows(SOURCE.read_text())
    ours = {t.id: (t.stage, t.title) for t in THREATS}
    ours |= {e.id: (e.title,) for e in (*RISKS, *PRACTICES)}
    assert ours == rows


def test_the_vendored_catalogue_is_the_teams_current_copy() -> None:
    if not TEAM_COPY.exists():
        pytest.skip("the team's shared PRACTICES.md is not next to this clone")
    assert SOURCE.read_text() == TEAM_COPY.read_text()


def test_every_practice_and_threat_is_mapped_exactly_once() -> None:
    assert [c.practice for c in COVERAGE] == [p.id for p in PRACTICES]
    assert [a.threat for a in ASSESSMENTS] == [t.id for t in (*THREATS, *RISKS)]


@functools.cache
def _test_functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text())
    return frozenset(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))


def _test_exists(reference: str) -> bool:
    """Whether ``tests/<file>.py::<function>`` names a test function that exists."""
    path, _, function = reference.partition("::")
    return (ROOT / path).is_file() and function in _test_functions(path)


def _resolve(dotted: str) -> object | None:
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(f"secure_sagemaker.{module}"), name)
    except (ImportError, AttributeError):
        return None


def control_problems(control: Control) -> list[str]:
    """Why ``control`` names something that does not exist, or applies in a way it cannot."""
    problems = []
    cls = _resolve(control.construct)
    if not inspect.isclass(cls):
        problems.append(f"{control.construct}: no such class under secure_sagemaker")
    if control.mode is Mode.ENFORCED and control.switch is not None:
        problems.append(f"{control.construct}: an enforced control has no switch ({control.switch})")
    if control.mode is not Mode.ENFORCED:
        props = set(inspect.signature(cls.__init__).parameters) if inspect.isclass(cls) else set()
        if control.switch_name not in props | CONTEXT_KEYS or "=" not in (control.switch or ""):
            problems.append(
                f"{control.construct}: {control.switch!r} is not `prop=value` with a prop of it or a context key"
            )
    if not control.tests:
        problems.append(f"{control.construct}: no test proves {control.does!r}")
    for test in control.tests:
        if not _test_exists(test):
            problems.append(f"{control.construct}: no test {test}")
    return problems


def test_every_control_names_a_construct_switch_and_tests_that_exist() -> None:
    problems = [p for c in COVERAGE for control in c.controls for p in control_problems(control)]
    assert problems == []


@pytest.mark.parametrize(
    ("control", "problem"),
    [
        (
            Control("storage.NoSuchBucket", "x", Mode.ENFORCED, ("tests/test_storage.py::test_bad_bucket_names_fail",)),
            "no such class",
        ),
        (
            Control(
                "storage.SecureBucket",
                "x",
                Mode.ENFORCED,
                ("tests/test_storage.py::test_bad_bucket_names_fail",),
                "bucket_name=x",
            ),
            "enforced control has no switch",
        ),
        (
            Control(
                "storage.SecureBucket",
                "x",
                Mode.DEFAULT,
                ("tests/test_storage.py::test_bad_bucket_names_fail",),
                "allow_http=True",
            ),
            "not `prop=value`",
        ),
        (
            Control(
                "storage.SecureBucket",
                "x",
                Mode.DEFAULT,
                ("tests/test_storage.py::test_bad_bucket_names_fail",),
                "bucket_name",
            ),
            "not `prop=value`",
        ),
        (
            Control("storage.SecureBucket", "x", Mode.OPT_IN, ("tests/test_storage.py::test_bad_bucket_names_fail",)),
            "not `prop=value`",
        ),
        (Control("storage.SecureBucket", "x", Mode.ENFORCED, ()), "no test proves"),
        (
            Control("storage.SecureBucket", "x", Mode.ENFORCED, ("tests/test_storage.py::test_that_was_renamed",)),
            "no test tests/",
        ),
        (Control("storage.SecureBucket", "x", Mode.ENFORCED, ("tests/test_gone.py::test_x",)), "no test tests/"),
    ],
)
def test_control_problems_reports_what_does_not_exist(control: Control, problem: str) -> None:
    assert any(problem in p for p in control_problems(control)), control_problems(control)


def test_every_rule_maps_to_a_practice_and_only_to_known_ids() -> None:
    for r in all_rules():
        assert r.practices, f"{r.id} maps to no practice"
        assert set(r.practices) <= PRACTICE_IDS, r.id
        assert set(r.threats) <= THREAT_IDS, r.id


def test_practices_without_a_construct_say_what_the_user_must_do() -> None:
    for coverage in COVERAGE:
        if not coverage.controls or all(c.mode is Mode.OPT_IN for c in coverage.controls):
            assert len(coverage.you_own) > 40, coverage.practice


def mitigation_problems(mitigation: Mitigation) -> list[str]:
    """Why ``mitigation`` names no construct of the library, or a test that does not exist."""
    problems = []
    if not set(re.findall(r"`([A-Z]\w+)[`(]", mitigation.text)) & _library_classes():
        problems.append(f"{mitigation.text!r} names no construct of the library in backticks")
    if not mitigation.tests:
        problems.append(f"no test proves {mitigation.text!r}")
    for test in mitigation.tests:
        if not _test_exists(test):
            problems.append(f"{mitigation.text[:40]!r}...: no test {test}")
    if len(set(mitigation.tests)) != len(mitigation.tests):
        problems.append(f"{mitigation.text[:40]!r}...: a test is named twice")
    return problems


def test_every_threat_has_mitigations_naming_a_construct_and_a_residual_risk() -> None:
    for a in ASSESSMENTS:
        assert set(a.practices) <= PRACTICE_IDS, a.threat
        assert a.practices and a.mitigations and len(a.residual) > 40, a.threat


def test_every_mitigation_names_a_construct_and_tests_that_exist() -> None:
    problems = [f"{a.threat}: {p}" for a in ASSESSMENTS for m in a.mitigations for p in mitigation_problems(m)]
    assert problems == []


@pytest.mark.parametrize(
    ("mitigation", "problem"),
    [
        (Mitigation("encrypted buckets", ("tests/test_storage.py::test_bad_bucket_names_fail",)), "names no construct"),
        (
            Mitigation("`NoSuchConstruct` does it", ("tests/test_storage.py::test_bad_bucket_names_fail",)),
            "no construct",
        ),
        (Mitigation("`SecureBucket` encrypts", ()), "no test proves"),
        (Mitigation("`SecureBucket` encrypts", ("tests/test_storage.py::test_that_was_renamed",)), "no test tests/"),
        (Mitigation("`SecureBucket` encrypts", ("tests/test_gone.py::test_x",)), "no test tests/"),
        (
            Mitigation("`SecureBucket` encrypts", ("tests/test_storage.py::test_bad_bucket_names_fail",) * 2),
            "named twice",
        ),
    ],
)
def test_mitigation_problems_reports_what_does_not_exist(mitigation: Mitigation, problem: str) -> None:
    assert any(problem in p for p in mitigation_problems(mitigation)), mitigation_problems(mitigation)


def test_the_threat_model_shows_the_tests_of_each_mitigation() -> None:
    text = (ROOT / "docs" / "threat-model.md").read_text()
    for a in ASSESSMENTS:
        for m in a.mitigations:
            assert f"- {m.text}\n  Proved by {', '.join(f'`{t}`' for t in m.tests)}." in text, m.text


@functools.cache
def _library_classes() -> frozenset[str]:
    """Names of the public classes defined in secure_sagemaker's modules."""
    names = set()
    for info in pkgutil.walk_packages(secure_sagemaker.__path__, "secure_sagemaker."):
        module = importlib.import_module(info.name)
        names |= {
            n
            for n, c in vars(module).items()
            if inspect.isclass(c) and c.__module__ == module.__name__ and not n.startswith("_")
        }
    return frozenset(names)


@pytest.mark.parametrize("name", DOCS)
def test_the_document_is_fresh(name: str) -> None:
    assert (ROOT / "docs" / name).read_text() == DOCS[name](), f"run `make docs` (secure-sagemaker {name[:-3]})"


@pytest.mark.parametrize("name", DOCS)
def test_the_document_names_only_what_exists(name: str) -> None:
    text = (ROOT / "docs" / name).read_text()
    assert set(re.findall(r"\b[TCP]\d+\b", text)) <= set(ENTRIES)
    rules = {r.full_id for r in all_rules()}
    assert set(re.findall(r"\bSageMakerSecurity-\w+", text)) <= rules
    for test in re.findall(r"tests/[\w/]+\.py::\w+", text):
        assert _test_exists(test), test
    classes = set(re.findall(r"`([A-Z][A-Za-z0-9]+)[`(]", text))
    assert classes and classes <= _library_classes(), classes - _library_classes()


def test_the_practice_map_names_every_id_and_every_rule() -> None:
    text = (ROOT / "docs" / "practices.md").read_text()
    assert set(ENTRIES) <= set(re.findall(r"\b[TCP]\d+\b", text))
    assert {r.full_id for r in all_rules()} <= set(re.findall(r"\bSageMakerSecurity-\w+", text))


def test_the_threat_model_has_every_stage_and_threat() -> None:
    text = (ROOT / "docs" / "threat-model.md").read_text()
    headings = re.findall(r"^### ([TC]\d+):", text, re.MULTILINE)
    assert headings == [t.id for t in (*THREATS, *RISKS)]
    for stage in ("data collection", "data processing", "training", "deployment"):
        assert f"## Stage: {stage}" in text
    assert text.count("Residual risk you own:") == len(THREATS) + len(RISKS)


@pytest.mark.parametrize("name", DOCS)
def test_the_command_prints_the_document(name: str, capsys) -> None:
    from secure_sagemaker.cli import main

    assert main([name[:-3]]) == 0
    assert capsys.readouterr().out == DOCS[name]()
