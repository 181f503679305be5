"""Summaries of a synthesized cloud assembly: stacks, resources and nag findings per pack.

Reads only files (`manifest.json`, the templates and cdk-nag's `validation-report.json`), so it
runs after `cdk synth` without Node.js or the CDK app.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class AssemblyError(Exception):
    """The folder is not a readable cloud assembly."""


@dataclass(frozen=True)
class StackSummary:
    name: str
    resources: int


@dataclass(frozen=True)
class PackSummary:
    name: str
    unacknowledged: int
    acknowledged: int
    by_severity: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AssemblySummary:
    stacks: list[StackSummary]
    packs: list[PackSummary]
    #: Acknowledgments of a nag pack that suppressed nothing or name no rule: "path: id (why)".
    idle_acknowledgments: list[str] = field(default_factory=list)

    @property
    def unacknowledged(self) -> int:
        return sum(p.unacknowledged for p in self.packs)


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"{path}: cannot read JSON ({exc})") from exc


def _finding_count(violations: list[dict]) -> int:
    """One finding per violating construct, as cdk-nag reports them."""
    return sum(max(1, len(v.get("violatingConstructs", []))) for v in violations)


def summarise(assembly: str | Path) -> AssemblySummary:
    """Summarise the cloud assembly in ``assembly`` (a `cdk.out` folder), nested stages included."""
    root = Path(assembly)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{root}: no manifest.json, not a cloud assembly (run `make synth` first)")
    stacks: list[StackSummary] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        manifest = _load_json(folder / "manifest.json")
        for name, artifact in sorted(manifest.get("artifacts", {}).items()):
            props = artifact.get("properties", {})
            if artifact.get("type") == "aws:cloudformation:stack":
                template = _load_json(folder / props["templateFile"])
                stacks.append(StackSummary(artifact.get("displayName", name), len(template.get("Resources", {}))))
            elif artifact.get("type") == "cdk:cloud-assembly":
                folders.append(folder / props["directoryName"])
    packs: list[PackSummary] = []
    idle: list[str] = []
    report_path = root / "validation-report.json"
    if report_path.is_file():
        from secure_sagemaker.nag.acknowledged import idle_acknowledgments

        idle = [f"{ack.path}: {ack.written} ({problem or 'suppressed no finding'})" for ack, problem in idle_acknowledgments(root)]
        for plugin in _load_json(report_path).get("pluginReports", []):
            violations = plugin.get("violations", [])
            severities: Counter[str] = Counter()
            for violation in violations:
                severities[violation.get("severity", "error")] += max(1, len(violation.get("violatingConstructs", [])))
            packs.append(
                PackSummary(
                    name=plugin.get("pluginName", "?"),
                    unacknowledged=_finding_count(violations),
                    acknowledged=_finding_count(plugin.get("suppressedViolations", [])),
                    by_severity=dict(severities),
                )
            )
    return AssemblySummary(stacks=stacks, packs=packs, idle_acknowledgments=idle)


def render_summary(summary: AssemblySummary) -> str:
    """A short human summary for the end of `make synth`."""
    lines = [f"Synthesized {len(summary.stacks)} stack(s):"]
    lines += [f"  {s.name}: {s.resources} resources" for s in summary.stacks]
    if not summary.packs:
        lines.append("No nag packs ran (no validation-report.json).")
        return "\n".join(lines)
    lines.append("Nag findings per pack (unacknowledged / acknowledged; a pack with none is not listed):")
    width = max(len(p.name) for p in summary.packs)
    for pack in summary.packs:
        detail = ", ".join(f"{n} {sev}" for sev, n in sorted(pack.by_severity.items()))
        lines.append(
            f"  {pack.name:<{width}}  {pack.unacknowledged:>3} / {pack.acknowledged:<3}" + (f"  ({detail})" if detail else "")
        )
    verdict = "OK: no unacknowledged findings." if not summary.unacknowledged else (
        f"FAILED: {summary.unacknowledged} unacknowledged finding(s); see cdk.out/validation-report.json."
    )
    lines.append(verdict)
    if summary.idle_acknowledgments:
        lines.append(
            f"Warning: {len(summary.idle_acknowledgments)} acknowledgment(s) suppressed nothing or name no rule "
            "(`secure-sagemaker acknowledgments` lists them with their reasons):"
        )
        lines += [f"  {line}" for line in summary.idle_acknowledgments]
    return "\n".join(lines)


def acknowledgments_markdown(assembly: str | Path) -> str:
    """Every acknowledgment in ``assembly`` as Markdown: the findings each suppressed, grouped by
    reason, then those that suppressed nothing or name no rule.

    ``docs/acknowledgments.md`` is this output for the baseline; a test keeps the two equal. The
    one definition is :func:`secure_sagemaker.nag.acknowledged.acknowledgments_markdown`.
    """
    from secure_sagemaker.nag.acknowledged import acknowledgments_markdown as render

    return render(assembly)


