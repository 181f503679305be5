"""Rendering findings (text, JSON, SARIF 2.1.0) and the rule catalogue (text, Markdown)."""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from secure_sagemaker import __version__
from secure_sagemaker.nag.engine import Finding
from secure_sagemaker.nag.rule import PACK_NAME, Level, Rule, all_rules

TOOL_NAME = "secure-sagemaker"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: GitHub code scanning ranks alerts by this rule property (0.1-10).
_SECURITY_SEVERITY = {Level.ERROR: "8.0", Level.WARNING: "5.0"}


@dataclass
class AuditReport:
    """What `audit` found across its templates."""

    templates: Sequence[Any]
    resources: int
    findings: list[Finding]
    min_level: Level = Level.WARNING

    @property
    def shown(self) -> list[Finding]:
        """Unacknowledged findings at or above ``min_level``, in template order."""
        return [f for f in self.findings if f.acknowledged is None and f.level.rank >= self.min_level.rank]

    @property
    def acknowledged(self) -> list[Finding]:
        return [f for f in self.findings if f.acknowledged is not None]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.acknowledged is None and f.level is Level.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.acknowledged is None and f.level is Level.WARNING)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> dict[str, Any]:
        return {
            "templates": len(self.templates),
            "resources": self.resources,
            "errors": self.errors,
            "warnings": self.warnings,
            "acknowledged": len(self.acknowledged),
            "shown": len(self.shown),
            "min_level": self.min_level.value,
        }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(report: AuditReport) -> str:
    lines = []
    for f in report.shown:
        where = f"{f.template}:{f.line}" if f.line else f.template
        lines.append(f"{where}: {f.level.value}: {f.rule_id} on {f.resource} ({f.resource_type})")
        lines.append(f"    {f.message}")
    lines.append(
        f"{_plural(len(report.templates), 'template')}, {_plural(report.resources, 'resource')}: "
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')}"
        + (f", {len(report.acknowledged)} acknowledged" if report.acknowledged else "")
        + (" (warnings hidden by --min-level error)" if report.min_level is Level.ERROR and report.warnings else "")
    )
    return "\n".join(lines)


def render_json(report: AuditReport) -> str:
    data = {
        "findings": [f.to_json() for f in report.shown],
        "acknowledged": [f.to_json() for f in report.acknowledged],
        "summary": report.summary(),
    }
    return json.dumps(data, indent=2)


def _artifact_uri(path: str) -> str:
    """A SARIF artifact URI: relative (POSIX) under the working directory, else a file URI."""
    candidate = Path(path)
    try:
        absolute = candidate.resolve()
        relative = absolute.relative_to(Path.cwd().resolve())
        return relative.as_posix()
    except (ValueError, OSError):
        return absolute.as_uri() if candidate.is_absolute() or candidate.exists() else candidate.as_posix()


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    practices = ", ".join(rule.practices)
    return {
        "id": rule.full_id,
        "name": rule.id,
        "shortDescription": {"text": rule.info},
        "fullDescription": {"text": rule.explanation},
        "help": {
            "text": f"{rule.explanation} Fix: {rule.fix} Practices: {practices}.",
            "markdown": f"{rule.explanation}\n\n**Fix:** {rule.fix}\n\n**Practices:** {practices}",
        },
        "defaultConfiguration": {"level": rule.level.value},
        "properties": {
            "tags": ["security", "cloudformation", "sagemaker", *rule.practices],
            "precision": "high",
            "problem.severity": rule.level.value,
            "security-severity": _SECURITY_SEVERITY[rule.level],
        },
    }


def render_sarif(report: AuditReport) -> str:
    rules = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in [*report.shown, *report.acknowledged]:
        uri = _artifact_uri(f.template)
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule.id],
            "level": f.level.value,
            "message": {"text": f"{f.message} ({f.resource}, {f.resource_type})"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": f.line or 1},
                    },
                    "logicalLocations": [
                        {"name": f.resource, "fullyQualifiedName": f"{uri}#/Resources/{f.resource}", "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {
                "secureSageMakerFinding/v1": hashlib.sha256(f"{f.rule_id}|{uri}|{f.resource}".encode()).hexdigest()[:32]
            },
            "properties": {"resourceType": f.resource_type, "unverifiable": f.unverifiable},
        }
        if f.acknowledged is not None:
            result["suppressions"] = [{"kind": "inSource", "justification": f.acknowledged}]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_sarif_rule(r) for r in rules],
                    }
                },
                "automationDetails": {"id": f"{TOOL_NAME}/audit/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2)


# --------------------------------------------------------------------------------------------
# The rule catalogue
# --------------------------------------------------------------------------------------------


def render_rules_text(rules: Sequence[Rule] | None = None) -> str:
    rules = list(all_rules() if rules is None else rules)
    width = max(len(r.full_id) for r in rules)
    lines = []
    for r in rules:
        lines.append(f"{r.full_id:<{width}}  {r.level.value:<7}  {','.join(r.practices):<12}  {r.summary}")
    lines.append(
        f"{len(rules)} rules ({sum(r.level is Level.ERROR for r in rules)} errors, "
        f"{sum(r.level is Level.WARNING for r in rules)} warnings)"
    )
    return "\n".join(lines)


_SECTIONS = {
    "sagemaker": "SageMaker",
    "iam": "SageMaker execution roles",
    "kms": "KMS keys",
    "s3": "S3 buckets",
    "vpc": "VPC",
    "apigateway": "API Gateway and AWS WAF",
    "cloudtrail": "CloudTrail",
    "guardduty": "GuardDuty",
    "logs": "CloudWatch Logs",
    "sns": "SNS topics",
    "cloudformation": "CloudFormation",
}


def _module_notes(module_name: str) -> str:
    doc = importlib.import_module(module_name).__doc__ or ""
    paragraphs = [p.strip() for p in doc.strip().split("\n\n")[1:] if p.strip()]
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def render_rules_markdown(rules: Sequence[Rule] | None = None) -> str:
    rules = list(all_rules() if rules is None else rules)
    out = [
        "# Rules of the SageMakerSecurity pack",
        "",
        "<!-- Generated by `secure-sagemaker rules --format markdown > docs/RULES.md`; do not edit by hand. -->",
        "",
        "The same rules run in two front ends: the cdk-nag pack `SageMakerSecurityChecks` "
        "(`cdk.Validations.of(app).add_plugins(SageMakerSecurityChecks(app))`) and "
        "`secure-sagemaker audit PATH...` on any CloudFormation template. Rule ids read "
        f"`{PACK_NAME}-<Rule>`; acknowledge a finding on a construct with "
        f'`cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id="{PACK_NAME}::{PACK_NAME}-<Rule>", '
        f"reason=...))`, "
        "or in a template with the metadata cdk-nag writes: "
        f"`Metadata: {{cdk_nag: {{rules_to_suppress: [{{id: {PACK_NAME}-<Rule>, reason: ...}}]}}}}`.",
        "",
        "At synth the pack also checks the acknowledgments themselves: one whose id names no rule "
        "of this pack or of the stock packs (a typo, a bare id without `<pack>::`) is reported as "
        f"`{PACK_NAME}-UnknownAcknowledgment` (error, naming the closest real id), and one of this "
        f"pack's rules that suppressed nothing as `{PACK_NAME}-UnusedAcknowledgment` (warning, on "
        "its construct). `audit` expands `AWS::LanguageExtensions` and, with aws-sam-translator "
        "installed, SAM before the rules run, and refuses templates CloudFormation would reject.",
        "",
        "**error** marks what the practices require (synth and `audit` fail); **warning** is advice. "
        "A value the template cannot resolve (a parameter, an import, a resource of another stack, "
        "a condition) is present but not verifiable: every rule that needs to see it reports a "
        "**warning** instead of its own level. Practice and threat ids are those of the project's "
        "practice list: P1-P19 practices, T1-T12 threats along the ML pipeline, C1-C7 risks of cloud ML environments.",
        "",
        f"{len(rules)} rules: {sum(r.level is Level.ERROR for r in rules)} errors, "
        f"{sum(r.level is Level.WARNING for r in rules)} warnings.",
        "",
        "| Rule | Level | Resource types | Practices | Checks that |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        types = "<br>".join(f"`{t}`" for t in r.resource_types)
        out.append(
            f"| [{r.id}](#{r.id.lower()}) | {r.level.value} | {types} | {', '.join(r.practices)} | {r.summary} |"
        )
    current = None
    for r in rules:
        module = r.check.__module__
        section = module.rsplit(".", 1)[-1]
        if section != current:
            current = section
            out += ["", f"## {_SECTIONS.get(section, section)}"]
            notes = _module_notes(module)
            if notes:
                out += ["", notes]
        out += [
            "",
            f"### {r.id}",
            "",
            f"`{r.full_id}` · **{r.level.value}** · {', '.join(f'`{t}`' for t in r.resource_types)}",
            "",
            f"{r.summary} A finding reads: *{r.info}*",
            "",
            f"*Why:* {r.explanation}",
            "",
            f"*Fix:* {r.fix}",
            "",
            f"*Practices:* {', '.join(r.practices)}" + (f" · *Threats:* {', '.join(r.threats)}" if r.threats else ""),
        ]
    return "\n".join(out) + "\n"
