"""``SageMakerSecurityChecks``: the cdk-nag pack adapter over the pure-Python rules.

Register it like any cdk-nag 3 pack::

    cdk.Validations.of(app).add_plugins(SageMakerSecurityChecks(app))

and acknowledge a finding on the narrowest construct::

    cdk.Validations.of(model).acknowledge(
        cdk.Acknowledgment(id="SageMakerSecurity::SageMakerSecurity-ModelImageFromAccountEcr", reason="..."))

How it keeps synth cheap: during synthesis CDK calls :meth:`validate` once with the paths of the
synthesized templates. The pack reads each template once, runs the rules on the final properties
(raw overrides and escape hatches included) and returns its report with the template path and
logical id of each finding; CDK maps those to construct paths and applies acknowledgments. No rule
runs through jsii and no construct is visited, so the pack costs no jsii round trip per resource.

:meth:`validate_scope` (tests, direct use) has no synthesized templates: it renders each stack's
resources from the construct tree instead, which sees L1 properties but not raw overrides, and it
reports findings whether acknowledged or not, like the stock packs' ``validate_scope``.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

from secure_sagemaker import __version__
from secure_sagemaker._enforced import render_properties
from secure_sagemaker.nag.acknowledged import (
    Acknowledgment,
    construct_paths,
    id_problem,
    known_rule_ids,
    read_acknowledgments,
    unused,
)
from secure_sagemaker.nag.engine import Finding, check_template
from secure_sagemaker.nag.rule import PACK_NAME, Level, Rule, all_rules
from secure_sagemaker.nag.template import Template, link_exports


def _violations(findings: Iterable[Finding], locate) -> list[cdk.PolicyViolation]:
    """Group findings into CDK policy violations: one per rule, level and message."""
    groups: "OrderedDict[tuple[str, str, str], tuple[Rule, list[cdk.PolicyViolatingResource]]]" = OrderedDict()
    for finding in findings:
        key = (finding.rule_id, finding.level.value, finding.message)
        if key not in groups:
            groups[key] = (finding.rule, [])
        groups[key][1].append(locate(finding))
    violations = []
    for (rule_id, severity, message), (rule, resources) in groups.items():
        violations.append(
            cdk.PolicyViolation(
                rule_name=rule_id,
                description=message,
                severity=severity,
                fix=rule.fix,
                rule_metadata={
                    "info": rule.info,
                    "practices": ",".join(rule.practices),
                    "threats": ",".join(rule.threats),
                },
                violating_resources=resources,
            )
        )
    return violations


def _acknowledgment_violation(
    ack: Acknowledgment, name: str, level: Level, message: str, fix: str
) -> cdk.PolicyViolation:
    return cdk.PolicyViolation(
        rule_name=f"{PACK_NAME}-{name}",
        description=message,
        severity=level.value,
        fix=fix,
        rule_metadata={"acknowledgment": ack.id, "reason": ack.reason},
        violating_resources=[cdk.PolicyViolatingResource(locations=["Metadata"], construct_path=ack.path)],
    )


def _report(violations: list[cdk.PolicyViolation]) -> cdk.PolicyValidationPluginReport:
    return cdk.PolicyValidationPluginReport(
        success=not any(v.severity == Level.ERROR.value for v in violations),
        violations=violations,
    )


class SageMakerSecurityChecks(cdk_nag.NagPack):
    """The SageMakerSecurity rules (docs/RULES.md) as a cdk-nag pack."""

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        write_suppressions_to_cloud_formation: bool | None = None,
    ) -> None:
        super().__init__(
            scope, verbose=verbose, write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation
        )
        self._pack_name = PACK_NAME
        #: The findings of the last :meth:`validate` or :meth:`validate_scope`, acknowledged or not.
        self.last_findings: list[Finding] = []
        #: Every acknowledgment of the app the last :meth:`validate` read from the cloud assembly.
        self.last_acknowledgments: list[Acknowledgment] = []
        #: Seconds the last :meth:`validate` spent reading templates and running rules.
        self.last_validate_seconds = 0.0

    @property
    def name(self) -> str:
        return PACK_NAME

    @property
    def version(self) -> str:
        return __version__

    @property
    def rule_ids(self) -> list[str]:
        return [r.full_id for r in all_rules()]

    def _check_resource(self, node: cdk.CfnResource) -> None:
        """Unused: every rule runs on the synthesized templates in :meth:`validate`."""

    # -- synthesis ---------------------------------------------------------------------------

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """Run every rule on the synthesized templates; CDK maps findings to constructs."""
        started = time.perf_counter()
        accounts: dict[str, str | None] = {}
        for stack in context.stack_templates or []:
            accounts[stack.template_path] = stack.account_id
        findings: list[Finding] = []
        templates = [
            Template(json.loads(Path(path).read_text(encoding="utf-8")), name=path, account=accounts.get(path))
            for path in context.template_paths
        ]
        link_exports(templates)
        for template in templates:
            # A template-level finding (TemplateExpanded) names no construct CDK could map it to.
            findings.extend(f for f in check_template(template) if f.resource in template.resources)
        self.last_findings = findings
        violations = _violations(
            findings,
            lambda f: cdk.PolicyViolatingResource(
                locations=["Properties"], template_path=f.template, resource_logical_id=f.resource
            ),
        )
        violations.extend(self._acknowledgment_violations(context.template_paths, findings))
        report = _report(violations)
        self.last_validate_seconds = time.perf_counter() - started
        return report

    def _acknowledgment_violations(
        self, template_paths: list[str], findings: list[Finding]
    ) -> list[cdk.PolicyViolation]:
        """An error for each acknowledgment whose id names no rule of a known pack, and a warning for
        each acknowledgment of this pack's rules that suppressed nothing (see ``nag.acknowledged``).

        Both are read from the cloud assembly CDK has written by now: every acknowledgment is in
        ``<stack>.metadata.json`` with its construct path, next to the logical ids of the resources.
        They are violations of this pack's report, not construct annotations, so an app without such
        an acknowledgment synthesizes exactly as before.
        """
        if not template_paths:
            return []
        assembly = Path(template_paths[0]).parent
        acknowledgments = read_acknowledgments(assembly)
        self.last_acknowledgments = acknowledgments
        if not acknowledgments:
            return []
        paths = construct_paths(assembly)
        located = [(f.rule_id, paths.get((f.template, f.resource), "")) for f in findings]
        packs = known_rule_ids()
        out = []
        for ack in acknowledgments:
            problem = id_problem(ack.id, packs)
            if problem:
                out.append(
                    _acknowledgment_violation(
                        ack,
                        "UnknownAcknowledgment",
                        Level.ERROR,
                        f"{problem} (on {ack.path})",
                        "Acknowledge a rule id exactly as the pack reports it: <pack>::<rule id>[<finding>].",
                    )
                )
        for ack in unused(acknowledgments, PACK_NAME, located):
            if id_problem(ack.id, packs):
                continue
            out.append(
                _acknowledgment_violation(
                    ack,
                    "UnusedAcknowledgment",
                    Level.WARNING,
                    f"acknowledgment {ack.written!r} on {ack.path} suppressed nothing: the rule reports no "
                    f"finding on that construct or below it",
                    "Remove the acknowledgment, or move it to the construct the finding is on.",
                )
            )
        return out

    # -- direct invocation -------------------------------------------------------------------

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        """Run every rule on the stacks of ``scope`` rendered from the construct tree (no synthesis)."""
        findings: list[Finding] = []
        paths: dict[tuple[str, str], str] = {}
        for stack in _stacks_of(scope):
            body, stack_paths = _render_stack(stack)
            name = stack.node.path
            paths.update({(name, lid): path for lid, path in stack_paths.items()})
            account = stack.account if not cdk.Token.is_unresolved(stack.account) else None
            findings.extend(check_template(Template(body, name=name, account=account)))
        scope_path = scope.node.path

        def under(path: str) -> bool:
            return not scope_path or path == scope_path or path.startswith(scope_path + "/")

        findings = [f for f in findings if under(paths[(f.template, f.resource)])]
        self.last_findings = findings
        return _report(
            _violations(
                findings,
                lambda f: cdk.PolicyViolatingResource(
                    locations=["Properties"], construct_path=paths[(f.template, f.resource)]
                ),
            )
        )


def _stacks_of(scope: IConstruct) -> list[cdk.Stack]:
    """The stacks whose templates the rules need for ``scope``: its own stack, or those under it."""
    if not isinstance(scope, cdk.Stage) and not isinstance(scope, cdk.App):
        try:
            return [cdk.Stack.of(scope)]
        except Exception:  # noqa: BLE001 - a construct outside any stack
            pass
    return [c for c in scope.node.find_all() if isinstance(c, cdk.Stack)]


def _render_stack(stack: cdk.Stack) -> tuple[dict[str, Any], dict[str, str]]:
    """A template body for ``stack`` rendered from its L1 constructs, and logical id -> construct path."""
    resources: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for construct in stack.node.find_all():
        if isinstance(construct, cdk.CfnParameter):
            parameters[stack.resolve(construct.logical_id)] = {"Type": construct.type}
            continue
        if not isinstance(construct, cdk.CfnResource) or cdk.Stack.of(construct) is not stack:
            continue
        logical_id = stack.resolve(construct.logical_id)
        resources[logical_id] = {"Type": construct.cfn_resource_type, "Properties": render_properties(construct, stack)}
        paths[logical_id] = construct.node.path
    return {"Parameters": parameters, "Resources": resources}, paths
