"""Acknowledgments that cannot silently match nothing (pure Python: no CDK, no jsii).

cdk-nag 3 suppresses a finding when ``Validations.of(construct).acknowledge(id=..., reason=...)``
names it exactly: ``<pack>::<rule id>`` (plus ``[<finding>]`` for findings with one). A bare id
without the ``<pack>::`` prefix is read by CDK as a construct-annotation id, a typo names no rule,
and a finding part that never occurs matches nothing; all three suppress nothing, with no error.

CDK records every acknowledgment in the cloud assembly (``<stack>.metadata.json``, entries of type
``aws:cdk:acknowledged-rules`` under the construct path), and every suppression it applied in
``validation-report.json``. From those two this module tells:

- :func:`id_problem`: an id that matches no rule of a known pack (ours and the stock packs whose
  rule ids the installed cdk-nag publishes), with the closest real id;
- :func:`unused`: acknowledgments of a nag pack that suppressed nothing;
- :func:`acknowledgments_markdown`: every acknowledgment with its reason, the unused ones too
  (``secure-sagemaker acknowledgments``, ``docs/acknowledgments.md``);
- :func:`idle_acknowledgments`: those of every pack that suppressed nothing, which
  ``secure-sagemaker summary`` (the end of ``make synth``) warns of.

The pack adapter (:class:`~secure_sagemaker.nag.pack.SageMakerSecurityChecks`) runs the first two
during synthesis: an unknown id is an error, an acknowledgment of its own rules that suppressed
nothing a warning naming the construct, both in its own report, so a clean app stays clean. It
cannot tell at that point whether a stock pack's acknowledgment suppressed something: the other
packs report to CDK, not to it; the summary after synthesis does.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
#: The namespace CDK records a bare id (no ``<pack>::``) under: it is read as a construct annotation id.
ANNOTATION_NAMESPACE = "Annotation"
LOGICAL_ID = "aws:cdk:logicalId"
#: The stock cdk-nag packs, by the module of the installed cdk-nag that declares their rules.
STOCK_PACK_MODULES = {
    "AwsSolutions": "aws-solutions",
    "HIPAA.Security": "hipaa-security",
    "NIST.800.53.R4": "nist-800-53-r4",
    "NIST.800.53.R5": "nist-800-53-r5",
    "PCI.DSS.321": "pci-dss-321",
    "Serverless": "serverless",
}
_APPLY = re.compile(r"applyRule\(\{")
_SUFFIX = re.compile(r"ruleSuffixOverride:\s*['\"]([^'\"]+)['\"]")
_RULE = re.compile(r"\brule:\s*(?:[A-Za-z0-9_$]+\.)?([A-Za-z0-9_$]+)")


@dataclass(frozen=True)
class Acknowledgment:
    """One acknowledgment: the construct it is on, the id it names and its reason."""

    path: str  # construct path, without the leading "/"
    id: str
    reason: str

    @property
    def written(self) -> str:
        """The id as it was written (CDK records a bare ``X`` as ``Annotation::X``)."""
        prefix = f"{ANNOTATION_NAMESPACE}::"
        return self.id[len(prefix) :] if self.id.startswith(prefix) else self.id

    @property
    def namespace(self) -> str | None:
        """The ``<pack>`` of ``<pack>::<rule>``, or None for a bare id."""
        head = self.written.split("[", 1)[0]
        return head.split("::", 1)[0] if "::" in head else None

    @property
    def rule(self) -> str:
        """The rule id without namespace and finding part (``AwsSolutions-IAM5``)."""
        head = self.written.split("[", 1)[0]
        return head.split("::", 1)[1] if "::" in head else head


# ------------------------------------------------------------------------------------------
# Rule ids of the packs
# ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def stock_rule_ids() -> dict[str, frozenset[str]]:
    """``{pack name: rule ids}`` of the stock packs, read from the installed cdk-nag's sources.

    cdk-nag's packs do not publish their rule ids at run time (``rule_ids`` is None), so they are
    read from the pack modules in the package's jsii bundle: each ``applyRule({...})`` names its
    rule function and, sometimes, a ``ruleSuffixOverride``; the id is ``<pack>-<suffix or name>``.
    Empty when cdk-nag is not installed (``audit`` machines need not have it).
    """
    spec = importlib.util.find_spec("cdk_nag")
    if spec is None or not spec.origin:
        return {}
    bundles = sorted((Path(spec.origin).parent / "_jsii").glob("cdk-nag@*.jsii.tgz"))
    if not bundles:
        return {}
    found: dict[str, frozenset[str]] = {}
    with tarfile.open(bundles[-1]) as bundle:
        for pack, module in STOCK_PACK_MODULES.items():
            try:
                member = bundle.extractfile(f"package/lib/packs/{module}.js")
            except KeyError:
                continue
            if member is None:
                continue
            source = member.read().decode("utf-8", "replace")
            ids = set()
            for chunk in _APPLY.split(source)[1:]:
                block = chunk[: chunk.find("})") if "})" in chunk else len(chunk)]
                suffix = _SUFFIX.search(block)
                name = _RULE.search(block)
                if suffix or name:
                    ids.add(f"{pack}-{suffix.group(1) if suffix else name.group(1)}")
            found[pack] = frozenset(ids)
    return found


def known_rule_ids() -> dict[str, frozenset[str]]:
    """``{pack name: rule ids}`` of every pack this library knows: ours and the stock ones."""
    from secure_sagemaker.nag.rule import PACK_NAME, all_rules

    return {**stock_rule_ids(), PACK_NAME: frozenset(r.full_id for r in all_rules())}


def _closest(word: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def id_problem(ack_id: str, packs: dict[str, frozenset[str]] | None = None) -> str | None:
    """Why ``ack_id`` matches no rule of a known pack, naming the closest real id; None when it
    names a real rule, or belongs to a plugin this library does not know (CloudFormation-Validate...)."""
    packs = known_rule_ids() if packs is None else packs
    ack = Acknowledgment("", ack_id, "")
    ack_id = ack.written
    qualified = {f"{pack}::{rule}" for pack, rules in packs.items() for rule in rules}
    namespace, rule = ack.namespace, ack.rule
    if namespace in packs:
        if rule in packs[namespace]:
            return None
        close = _closest(rule, packs[namespace]) or _closest(rule, {r for rules in packs.values() for r in rules})
        hint = f"; did you mean {close.split('-', 1)[0] if close else namespace}::{close}?" if close else ""
        return f"acknowledgment {ack_id!r} names no rule of the {namespace} pack{hint}"
    if namespace is None:
        pack_of = rule.split("-", 1)[0]
        in_a_pack = next((p for p, rules in packs.items() if rule in rules), None)
        if in_a_pack:
            return (
                f"acknowledgment {ack_id!r} has no '<pack>::' prefix, so CDK reads it as a construct "
                f"annotation id and it suppresses no nag finding; use {in_a_pack}::{rule}"
            )
        close = _closest(rule, {r for rules in packs.values() for r in rules})
        if pack_of in packs or close:
            hint = f"; did you mean {close.split('-', 1)[0]}::{close}?" if close else ""
            return f"acknowledgment {ack_id!r} has no '<pack>::' prefix and names no rule{hint}"
        return None  # an annotation id (addWarning), not a nag rule
    close_pack = _closest(namespace, packs)
    if close_pack:
        close = _closest(f"{close_pack}::{rule.replace(namespace, close_pack, 1)}", qualified)
        return f"acknowledgment {ack_id!r} names the pack {namespace}, which is not registered; did you mean {close or close_pack}?"
    return None


# ------------------------------------------------------------------------------------------
# Reading a cloud assembly
# ------------------------------------------------------------------------------------------


def _entries(metadata: Any) -> Iterable[tuple[str, str, Any]]:
    """``(construct path, type, data)`` of a stack's metadata mapping."""
    if not isinstance(metadata, dict):
        return
    for path, entries in metadata.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(path, str):
                yield path.lstrip("/"), entry.get("type"), entry.get("data")


def stack_metadata(assembly: Path) -> list[tuple[str, dict]]:
    """``(template file name, metadata)`` of every stack of a cloud assembly (nested ones included)."""
    found: list[tuple[str, dict]] = []
    try:
        manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return found
    for artifact in (manifest.get("artifacts") or {}).values():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack":
            metadata = dict(artifact.get("metadata") or {})
            extra = artifact.get("additionalMetadataFile")
            if isinstance(extra, str):
                try:
                    metadata.update(json.loads((assembly / extra).read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    pass
            found.append((str(assembly / str(properties.get("templateFile", ""))), metadata))
        elif artifact.get("type") == "cdk:cloud-assembly" and isinstance(properties.get("directoryName"), str):
            found.extend(stack_metadata(assembly / properties["directoryName"]))
    return found


def read_acknowledgments(assembly: Path) -> list[Acknowledgment]:
    """Every acknowledgment recorded in a cloud assembly, in construct-path order."""
    found = []
    for _, metadata in stack_metadata(Path(assembly)):
        for path, kind, data in _entries(metadata):
            if kind == ACKNOWLEDGED_RULES and isinstance(data, dict):
                found.extend(Acknowledgment(path, str(i), str(r)) for i, r in data.items())
    return sorted(set(found), key=lambda a: (a.path, a.id))


def construct_paths(assembly: Path) -> dict[tuple[str, str], str]:
    """``{(template path, logical id): construct path}`` of every stack of a cloud assembly."""
    found = {}
    for template, metadata in stack_metadata(Path(assembly)):
        for path, kind, data in _entries(metadata):
            if kind == LOGICAL_ID and isinstance(data, str):
                found[(template, data)] = path
    return found


def _under(path: str, scope: str) -> bool:
    return not scope or path == scope or path.startswith(scope + "/")


def unused(
    acknowledgments: Iterable[Acknowledgment], pack: str, findings: Iterable[tuple[str, str]]
) -> list[Acknowledgment]:
    """Acknowledgments of ``pack``'s rules that cover none of ``findings`` (``(rule id, construct path)``)."""
    findings = list(findings)
    out = []
    for ack in acknowledgments:
        if ack.namespace != pack:
            continue
        wanted = ack.id.split("::", 1)[1]
        if not any(rule == wanted and _under(path, ack.path) for rule, path in findings):
            out.append(ack)
    return out


def suppressed(report: Any) -> set[tuple[str, str]]:
    """``(acknowledged id, construct path)`` of every suppression in a validation report."""
    used = set()
    for plugin in (report or {}).get("pluginReports", []) if isinstance(report, dict) else []:
        for violation in plugin.get("suppressedViolations", []) or []:
            used.add((str(violation.get("acknowledgedId")), str(violation.get("acknowledgedAt", "")).lstrip("/")))
    return used


def idle_acknowledgments(assembly: str | Path, report: Any = None) -> list[tuple[Acknowledgment, str | None]]:
    """Acknowledgments of a known nag pack (or naming no rule) that suppressed no finding of the
    assembly's validation report, each with the problem of its id (None when the id is right)."""
    assembly = Path(assembly)
    if report is None:
        try:
            report = json.loads((assembly / "validation-report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = {}
    used = suppressed(report)
    packs = known_rule_ids()
    return [
        (ack, id_problem(ack.id, packs))
        for ack in read_acknowledgments(assembly)
        if (ack.namespace in packs or id_problem(ack.id, packs)) and (ack.id, ack.path) not in used
    ]


def acknowledgments_markdown(assembly: str | Path) -> str:
    """Every acknowledgment of ``assembly`` as Markdown: the findings each suppressed, grouped by
    reason, then the acknowledgments of a nag pack that suppressed nothing or name no rule."""
    from secure_sagemaker.report import AssemblyError

    assembly = Path(assembly)
    report_path = assembly / "validation-report.json"
    if not report_path.is_file():
        raise AssemblyError(f"{assembly}: no validation-report.json (no nag pack ran)")
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"{report_path}: cannot be read ({' '.join(str(exc).split())})") from None
    by_reason: dict[str, dict[str, set[str]]] = {}
    for plugin in report.get("pluginReports", []):
        for ack in plugin.get("suppressedViolations", []):
            where = by_reason.setdefault(ack.get("reason", ""), {})
            for construct in ack.get("violatingConstructs", []):
                where.setdefault(construct["constructPath"], set()).add(ack["ruleName"])
    lines = [
        "# Acknowledged findings",
        "",
        "Generated by `secure-sagemaker acknowledgments` from the cloud assembly's nag report",
        "(`validation-report.json`): every acknowledged finding, grouped by its reason, with the",
        "construct it is acknowledged on.",
    ]
    for reason in sorted(by_reason):
        lines += ["", f"**Reason.** {reason}", "", "| construct | rules |", "|---|---|"]
        for path in sorted(by_reason[reason]):
            rules = ", ".join(f"`{r}`" for r in sorted(by_reason[reason][path]))
            lines.append(f"| `{path}` | {rules} |")
    idle = idle_acknowledgments(assembly, report)
    if idle:
        lines += [
            "",
            "## Acknowledgments that suppressed nothing",
            "",
            "Recorded on a construct (`<stack>.metadata.json`) but matching no finding in the report: the rule",
            "does not fire there (any more), or the id is wrong. Remove them, or fix the id.",
            "",
            "| construct | acknowledgment | reason | problem |",
            "|---|---|---|---|",
        ]
        for ack, problem in idle:
            reason = ack.reason.replace("|", "\\|")
            lines.append(f"| `{ack.path}` | `{ack.written}` | {reason} | {problem or 'suppressed no finding'} |")
    return "\n".join(lines) + "\n"
