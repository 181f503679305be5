"""Summaries of a synthesized cloud assembly: stacks, resources and nag findings per pack.

Reads only files (`manifest.json`, the templates, the stacks' metadata and cdk-nag's
`validation-report.json`), so it runs after `cdk synth` without Node.js or the CDK app.

CDK leaves a pack that found nothing out of `validation-report.json`; which packs ran comes from
the stack metadata that ``secure_sagemaker.nag.add_all_packs`` (or ``record_packs``) writes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from secure_sagemaker.nag import PACKS_METADATA
from secure_sagemaker.reminders import reminder_id


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
    #: every pack that ran (a registered pack with no finding has zeros), then any other plugin
    #: of the report
    packs: list[PackSummary]
    #: the packs the assembly records as registered, in order; empty when it records none
    registered: list[str] = field(default_factory=list)
    #: Acknowledgments of a nag pack that suppressed nothing or name no rule: "path: id (why)".
    idle_acknowledgments: list[str] = field(default_factory=list)
    #: Reminders (``secure_sagemaker.reminders``): construct warnings about a step left to the
    #: user, listed and not counted as findings: "path: id".
    reminders: list[str] = field(default_factory=list)

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
    registered: dict[str, None] = {}  # an ordered set
    folders = [root]
    while folders:
        folder = folders.pop()
        manifest = _load_json(folder / "manifest.json")
        for name, artifact in sorted(manifest.get("artifacts", {}).items()):
            props = artifact.get("properties", {})
            if artifact.get("type") == "aws:cloudformation:stack":
                template = _load_json(folder / props["templateFile"])
                stacks.append(StackSummary(artifact.get("displayName", name), len(template.get("Resources", {}))))
                registered.update(dict.fromkeys(_registered_packs(folder, artifact)))
            elif artifact.get("type") == "cdk:cloud-assembly":
                folders.append(folder / props["directoryName"])
    packs: list[PackSummary] = []
    idle: list[str] = []
    reminders: list[str] = []
    report_path = root / "validation-report.json"
    if report_path.is_file():
        from secure_sagemaker.nag.acknowledged import idle_acknowledgments

        idle = [
            f"{ack.path}: {ack.written} ({problem or 'suppressed no finding'})"
            for ack, problem in idle_acknowledgments(root)
        ]
        for plugin in _load_json(report_path).get("pluginReports", []):
            name = plugin.get("pluginName", "?")
            violations = []
            for violation in plugin.get("violations", []):
                if reminder := reminder_id(name, violation):
                    reminders += [
                        f"{c.get('constructPath', '?')}: {reminder}" for c in violation.get("violatingConstructs", [{}])
                    ]
                else:
                    violations.append(violation)
            if not violations and not plugin.get("suppressedViolations") and plugin.get("violations"):
                continue  # a plugin that reported reminders only
            severities: Counter[str] = Counter()
            for violation in violations:
                severities[violation.get("severity", "error")] += max(1, len(violation.get("violatingConstructs", [])))
            packs.append(
                PackSummary(
                    name=name,
                    unacknowledged=_finding_count(violations),
                    acknowledged=_finding_count(plugin.get("suppressedViolations", [])),
                    by_severity=dict(severities),
                )
            )
    reported = {p.name for p in packs}
    silent = [PackSummary(name=name, unacknowledged=0, acknowledged=0) for name in registered if name not in reported]
    return AssemblySummary(
        stacks=stacks, packs=packs + silent, registered=list(registered), idle_acknowledgments=idle, reminders=reminders
    )


def _registered_packs(folder: Path, artifact: dict) -> list[str]:
    """The pack names recorded in a stack's metadata (inline in the manifest, or in its
    ``additionalMetadataFile`` as CDK writes it since 2.2xx)."""
    metadata = dict(artifact.get("metadata", {}))
    extra = artifact.get("additionalMetadataFile")
    if extra:
        metadata.update(_load_json(folder / extra))
    names: list[str] = []
    for entries in metadata.values():
        for entry in entries:
            if entry.get("type") == PACKS_METADATA and isinstance(entry.get("data"), list):
                names += [n for n in entry["data"] if isinstance(n, str) and n not in names]
    return names


def render_summary(summary: AssemblySummary) -> str:
    """A short human summary for the end of `make synth`."""
    lines = [f"Synthesized {len(summary.stacks)} stack(s):"]
    lines += [f"  {s.name}: {s.resources} resources" for s in summary.stacks]
    if not summary.packs:
        lines.append(
            "No nag packs ran: the assembly records none (secure_sagemaker.nag.add_all_packs and "
            "record_packs record them) and validation-report.json lists no pack's findings."
        )
        return "\n".join(lines)
    if summary.registered:
        lines.append("Nag findings per pack (unacknowledged / acknowledged):")
    else:
        lines.append(
            "Nag findings per pack (unacknowledged / acknowledged; the assembly does not record which "
            "packs ran, so a pack that found nothing is not listed):"
        )
    width = max(len(p.name) for p in summary.packs)
    for pack in summary.packs:
        detail = ", ".join(f"{n} {sev}" for sev, n in sorted(pack.by_severity.items()))
        lines.append(
            f"  {pack.name:<{width}}  {pack.unacknowledged:>3} / {pack.acknowledged:<3}"
            + (f"  ({detail})" if detail else "")
        )
    verdict = (
        "OK: no unacknowledged findings."
        if not summary.unacknowledged
        else (f"FAILED: {summary.unacknowledged} unacknowledged finding(s); see cdk.out/validation-report.json.")
    )
    lines.append(verdict)
    if summary.reminders:
        lines.append(
            f"Reminder: {len(summary.reminders)} step(s) left to you (warnings, not findings; "
            "secure_sagemaker/reminders.py):"
        )
        lines += [f"  {line}" for line in summary.reminders]
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
