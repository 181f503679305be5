"""Running the rules over templates: findings, and acknowledgments read from template metadata.

Both front ends use :func:`check_template`: the cdk-nag pack on the templates CDK synthesized,
the ``audit`` command on templates read from disk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

from secure_sagemaker.nag.rule import PACK_NAME, WARNING, Level, Rule, Verdict, all_rules, unverifiable, verdicts
from secure_sagemaker.nag.template import Resource, Template, as_dict, as_list

#: The CloudFormation metadata key cdk-nag writes acknowledgments under
#: (``write_suppressions_to_cloud_formation``): ``{"cdk_nag": {"rules_to_suppress": [{"id", "reason"}]}}``.
NAG_METADATA_KEY = "cdk_nag"
PATH_METADATA_KEY = "aws:cdk:path"


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one resource that did not comply or could not be verified."""

    rule: Rule
    level: Level
    template: str
    resource: str
    resource_type: str
    detail: str
    unverifiable: bool
    line: int | None = None
    construct_path: str | None = None
    acknowledged: str | None = None

    @property
    def rule_id(self) -> str:
        """``SageMakerSecurity-<Rule>``."""
        return self.rule.full_id

    @property
    def message(self) -> str:
        """One sentence for people: what the rule found on this resource."""
        detail = self.detail.rstrip(".")
        if self.unverifiable:
            return f"{detail[:1].upper()}{detail[1:]}." if detail else "The resource cannot be verified."
        info = self.rule.info.rstrip(".")
        return f"{info}: {detail}." if detail else f"{info}."

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "level": self.level.value,
            "template": self.template,
            "resource": self.resource,
            "resource_type": self.resource_type,
            "message": self.message,
            "unverifiable": self.unverifiable,
            "practices": list(self.rule.practices),
        }
        if self.line is not None:
            data["line"] = self.line
        if self.construct_path:
            data["construct_path"] = self.construct_path
        if self.acknowledged is not None:
            data["acknowledged"] = self.acknowledged
        return data


def evaluate(rule: Rule, resource: Resource) -> list[Verdict]:
    """Run one rule on one resource; a rule that raises becomes an unverifiable verdict, never a crash."""
    try:
        return verdicts(rule.check(resource))
    except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the audit
        return [unverifiable(f"the rule failed on this resource ({type(exc).__name__}: {exc}); please report this")]


def _finding(rule: Rule, resource: Resource, found: Sequence[Verdict]) -> Finding | None:
    failed = [v.message for v in found if v.failed]
    unknown = [v.message for v in found if not v.failed]
    if not failed and not unknown:
        return None
    path = resource.metadata.get(PATH_METADATA_KEY)
    return Finding(
        rule=rule,
        level=rule.level if failed else WARNING,
        template=resource.template.name,
        resource=resource.logical_id,
        resource_type=resource.type,
        detail="; ".join(failed or unknown),
        unverifiable=not failed,
        line=resource.line,
        construct_path=path if isinstance(path, str) else None,
    )


def _acknowledgments(entries: Any) -> dict[str, str]:
    """``{rule id: reason}`` from a ``cdk_nag`` metadata block (entries without a reason are ignored)."""
    found: dict[str, str] = {}
    for entry in as_list(as_dict(entries).get("rules_to_suppress")):
        entry = as_dict(entry)
        rule_id, reason = entry.get("id"), entry.get("reason")
        if isinstance(rule_id, str) and isinstance(reason, str) and reason.strip():
            found[rule_id.strip()] = reason.strip()
    return found


def acknowledgment_for(rule: Rule, acknowledgments: dict[str, str]) -> str | None:
    """The reason ``rule`` is acknowledged with, if one of its id forms is listed."""
    for form in (rule.full_id, f"{PACK_NAME}::{rule.full_id}", rule.id):
        if form in acknowledgments:
            return acknowledgments[form]
    return None


def check_template(template: Template, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every finding of ``rules`` (default: all) on ``template``, acknowledged ones marked with their reason."""
    stack_level = _acknowledgments(as_dict(template.body.get("Metadata")).get(NAG_METADATA_KEY))
    findings: list[Finding] = []
    present = template.types()
    for rule in all_rules() if rules is None else rules:
        for resource_type in rule.resource_types:
            if resource_type not in present:
                continue
            for resource in template.of_type(resource_type):
                finding = _finding(rule, resource, evaluate(rule, resource))
                if finding is None:
                    continue
                acks = {**stack_level, **_acknowledgments(resource.metadata.get(NAG_METADATA_KEY))}
                reason = acknowledgment_for(rule, acks) if acks else None
                findings.append(replace(finding, acknowledged=reason) if reason else finding)
    return findings


def check_body(
    body: Any, *, name: str = "template", account: str | None = None, lines: dict[str, int] | None = None
) -> list[Finding]:
    """:func:`check_template` on a template given as a dict."""
    return check_template(Template(body, name=name, account=account, lines=lines))
