"""Test helpers for apps built on this library (or on any CDK constructs): synthesize a stack once
per test module, snapshot its template, run every nag pack on it, and pin the logical ids of its
stateful resources.

    from secure_sagemaker.testing import (
        CdkTemplateExtension, assert_no_findings, assert_stateful_ids, stack_fixture,
    )

    synth = stack_fixture(lambda app: MyStack(app, "MyStack"))

    def test_no_findings(synth):
        assert_no_findings(synth)

Needs pytest, and syrupy for :class:`CdkTemplateExtension` (both in the ``dev`` extra).
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import aws_cdk as cdk

from secure_sagemaker.securitydiff.stateful import is_stateful

_ASSET_HASH = re.compile(r"[0-9a-f]{64}")
ASSET_HASH = "<asset-hash>"
CDK_VERSION = "<cdk-version>"


@dataclass
class Synthesized:
    """A stack synthesized with every nag pack registered: its app, template and nag report."""

    app: cdk.App
    stack: cdk.Stack
    outdir: Path
    template: dict
    report: dict

    def findings(self, *, min_level: str = "warning") -> list[dict]:
        """The unacknowledged findings on this stack's constructs: ``{rule, level, path, message}``."""
        return _findings(self.report, self.stack.node.path, min_level)


def _findings(report: dict, stack_path: str, min_level: str) -> list[dict]:
    wanted = {"error"} if min_level == "error" else {"error", "warning"}
    found = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            level = str(violation.get("severity", "error")).lower()
            if level not in wanted:
                continue
            for construct in violation.get("violatingConstructs", []):
                path = construct.get("constructPath", "")
                if path == stack_path or path.startswith(stack_path + "/"):
                    found.append(
                        {
                            "rule": violation.get("ruleName", "?"),
                            "level": level,
                            "path": path,
                            "message": " ".join(str(violation.get("description", "")).split()),
                            "fix": " ".join(str(violation.get("fix", "")).split()),
                            "acknowledge": f"{plugin.get('pluginName', '?')}::{violation.get('ruleName', '?')}",
                        }
                    )
    return sorted(found, key=lambda f: (f["path"], f["rule"]))


def synthesize(
    build: Callable[[cdk.App], cdk.Stack],
    *,
    context: Mapping[str, Any] | None = None,
    outdir: Path | None = None,
    packs: bool = True,
) -> Synthesized:
    """Build a stack with ``build(app)`` in a fresh App (``context`` as in cdk.json), register
    every nag pack (``add_all_packs``) unless ``packs`` is false, and synthesize it once.

    An unacknowledged error does not raise here: :func:`assert_no_findings` reports it, so the
    module's other tests still run on the template.
    """
    from secure_sagemaker.nag import add_all_packs

    outdir = Path(outdir or tempfile.mkdtemp(prefix="cdk.out-"))
    app = cdk.App(context=dict(context or {}), outdir=str(outdir), analytics_reporting=False)
    stack = build(app)
    if not isinstance(stack, cdk.Stack):
        raise TypeError(f"build(app) returned {type(stack).__name__}; return the Stack to test")
    if packs:
        add_all_packs(app)
    try:
        app.synth()
    except RuntimeError as exc:
        if "Validation failed" not in str(exc) and not (outdir / "validation-report.json").is_file():
            raise
    template_path = outdir / stack.template_file
    template = json.loads(template_path.read_text()) if template_path.is_file() else {}
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    return Synthesized(app=app, stack=stack, outdir=outdir, template=template, report=report)


def stack_fixture(
    build: Callable[[cdk.App], cdk.Stack],
    *,
    context: Mapping[str, Any] | None = None,
    scope: str = "module",
    packs: bool = True,
):
    """A pytest fixture that synthesizes ``build(app)`` once per module (``scope``) and returns
    a :class:`Synthesized`. Assign it to a module-level name: that name is the fixture.

        synth = stack_fixture(lambda app: MyStack(app, "MyStack"), context={"stage": "test"})
    """
    import pytest

    @pytest.fixture(scope=scope)
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
        return synthesize(build, context=context, outdir=tmp_path_factory.mktemp("cdk.out"), packs=packs)

    return fixture


def assert_no_findings(target: Synthesized | cdk.Stack, *, min_level: str = "warning") -> None:
    """Fail, listing each finding readably, when a nag pack (the four stock packs and
    SageMakerSecurity) reports an unacknowledged finding on the stack.

    Pass a :class:`Synthesized` (cheap: read from its report) or a Stack whose App has not been
    synthesized and has no packs registered (it is synthesized here, with every pack).
    """
    if isinstance(target, cdk.Stack):
        stack = target
        app = stack.node.root
        if not isinstance(app, cdk.App):
            raise TypeError("assert_no_findings needs a Stack inside a cdk.App (or a Synthesized)")
        from secure_sagemaker.nag import add_all_packs

        add_all_packs(app)
        try:
            assembly = app.synth(force=True)
        except RuntimeError:
            assembly = None
        outdir = Path(assembly.directory if assembly is not None else app.outdir)
        report_path = outdir / "validation-report.json"
        report = json.loads(report_path.read_text()) if report_path.is_file() else {}
        found, name = _findings(report, stack.node.path, min_level), stack.node.path
    else:
        found, name = target.findings(min_level=min_level), target.stack.node.path
    if not found:
        return
    lines = [f"{len(found)} unacknowledged nag finding{'s' if len(found) != 1 else ''} on {name}:"]
    for f in found:
        lines.append(f"  {f['rule']} ({f['level']}) at {f['path']}")
        lines.append(f"      {f['message']}")
        if f["fix"]:
            lines.append(f"      fix: {f['fix']}")
        lines.append(f"      acknowledge with: {f['acknowledge']}")
    lines.append(
        "Fix the resource, or acknowledge on the narrowest construct with a reason: "
        "Validations.of(construct).acknowledge(id=..., reason=...)"
    )
    raise AssertionError("\n".join(lines))


# --------------------------------------------------------------------------------------------
# Logical ids of stateful resources
# --------------------------------------------------------------------------------------------


def stateful_ids(template: Synthesized | Mapping[str, Any]) -> dict[str, str]:
    """``{logical id: type}`` of the stateful resources (keys, buckets, log groups, tables, domains,
    file systems...: the types `secure-sagemaker diff` treats as stateful)."""
    body = template.template if isinstance(template, Synthesized) else template
    return {
        logical_id: resource["Type"]
        for logical_id, resource in sorted(dict(body.get("Resources") or {}).items())
        if isinstance(resource, dict) and is_stateful(str(resource.get("Type")))
    }


def assert_stateful_ids(template: Synthesized | Mapping[str, Any], expected: Iterable[str] | Mapping[str, str]) -> None:
    """Fail when the logical ids of the stateful resources differ from ``expected`` (a list of ids
    or ``{id: type}``): a changed id makes CloudFormation replace the resource, and a replaced
    bucket or key loses its data. Update ``expected`` only on purpose."""
    found = stateful_ids(template)
    wanted = dict(expected) if isinstance(expected, Mapping) else {lid: found.get(lid, "?") for lid in expected}
    if set(found) == set(wanted) and all(wanted[k] in ("?", found[k]) for k in found):
        return
    gone = sorted(set(wanted) - set(found))
    new = sorted(set(found) - set(wanted))
    lines = ["the stateful resources' logical ids changed; on deploy CloudFormation replaces (deletes) them:"]
    lines += [f"  - {lid} ({wanted[lid]}) is gone" for lid in gone]
    lines += [f"  + {lid} ({found[lid]}) is new" for lid in new]
    lines += [
        f"  ~ {lid} is now {found[lid]}, was {wanted[lid]}"
        for lid in found
        if lid in wanted and wanted[lid] not in ("?", found[lid])
    ]
    lines.append("Keep the construct ids (or override the logical id); update the expected ids only on purpose.")
    raise AssertionError("\n".join(lines))


# --------------------------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------------------------


def normalize_template(template: Any) -> Any:
    """``template`` with asset hashes and the CDK version (``CDKMetadata``'s ``Analytics``)
    replaced by placeholders; nothing else changes."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _ASSET_HASH.sub(ASSET_HASH, value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    body = walk(template)
    metadata = (body.get("Resources") or {}).get("CDKMetadata") if isinstance(body, dict) else None
    if (
        isinstance(metadata, dict)
        and isinstance(metadata.get("Properties"), dict)
        and "Analytics" in metadata["Properties"]
    ):
        metadata["Properties"]["Analytics"] = CDK_VERSION
    return body


@lru_cache(maxsize=1)
def _extension_class():
    from syrupy.extensions.json import JSONSnapshotExtension

    class CdkTemplateExtension(JSONSnapshotExtension):
        """A syrupy JSON snapshot of a CloudFormation template (a dict or a :class:`Synthesized`)
        that normalizes asset hashes and the CDK version, and nothing else."""

        def serialize(self, data: Any, **kwargs: Any) -> Any:
            if isinstance(data, Synthesized):
                data = data.template
            return super().serialize(normalize_template(data), **kwargs)

    return CdkTemplateExtension


def __getattr__(name: str) -> Any:
    if name == "CdkTemplateExtension":  # syrupy is imported only when the extension is used
        return _extension_class()
    raise AttributeError(name)
