"""The floor of synth: a cloud assembly's templates replayed as plain ``cdk.CfnResource`` L1s.

:func:`replay` rebuilds every stack of an assembly in a new app: each resource a ``CfnResource``
with the logical id, type, properties, attributes and metadata it has in the template, directly
under its stack; each acknowledgment of the assembly on the resources it covered (or on the stack),
so the nag packs report the same findings as acknowledged. The synthesized templates then equal the
originals, and what synth costs beyond that is what the constructs add on top of the CDK itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

#: What the default synthesizer adds by itself: the replay leaves these sections to it.
SYNTHESIZER_PARAMETER = "BootstrapVersion"
SYNTHESIZER_RULE = "CheckBootstrapVersion"
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
#: Resource attributes replayed as overrides; the others are set as the L2s set them, so that the
#: keys come out in the same order.
OVERRIDDEN = ("UpdatePolicy", "CreationPolicy")
POLICIES = {
    "Delete": cdk.CfnDeletionPolicy.DELETE,
    "Retain": cdk.CfnDeletionPolicy.RETAIN,
    "RetainExceptOnCreate": cdk.CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE,
    "Snapshot": cdk.CfnDeletionPolicy.SNAPSHOT,
}


def load_service_modules(assembly: Path) -> list[str]:
    """Load what an app written with the CDK's typed classes loads for the resource types of
    ``assembly``: each ``aws_cdk.aws_<service>`` Python module, and its JavaScript module in the jsii
    kernel (read one static member of the type's L1 class, ``Cfn<Name>.CFN_RESOURCE_TYPE_NAME``).

    The *typed floor* is the floor with these loaded first: the least any app pays that builds the
    templates with ``aws_cdk.aws_ec2.CfnVPC`` and the like, L1s as much as L2s. Returns the L1
    classes loaded; a type with no L1 class in aws_cdk (``Custom::...``) is skipped.
    """
    import importlib

    types: set[str] = set()
    for artifact in stack_artifacts(assembly).values():
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        types.update(resource["Type"] for resource in template.get("Resources", {}).values())
    loaded = []
    for cfn_type in sorted(types):
        parts = cfn_type.split("::")
        if len(parts) != 3 or parts[0] != "AWS":
            continue
        try:
            module = importlib.import_module(f"aws_cdk.aws_{parts[1].lower()}")
        except ImportError:
            continue
        l1 = getattr(module, f"Cfn{parts[2]}", None)
        if l1 is not None:
            assert l1.CFN_RESOURCE_TYPE_NAME == cfn_type
            loaded.append(f"{module.__name__}.{l1.__name__}")
    return loaded


def stack_artifacts(assembly: Path) -> dict[str, dict[str, Any]]:
    """Stack artifact id -> its manifest entry, in manifest order."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    return {k: a for k, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}


def replay(app: cdk.App, assembly: Path) -> list[cdk.Stack]:
    """Build every stack of ``assembly`` in ``app`` as plain L1s (see the module docstring)."""
    stacks = []
    for artifact_id, artifact in stack_artifacts(assembly).items():
        template = json.loads((assembly / artifact["properties"]["templateFile"]).read_text())
        metadata = json.loads((assembly / f"{artifact_id}.metadata.json").read_text())
        stacks.append(_replay_stack(app, artifact_id, artifact, template, metadata))
    return stacks


def _replay_stack(
    app: cdk.App, artifact_id: str, artifact: dict[str, Any], template: dict[str, Any], metadata: dict[str, Any]
) -> cdk.Stack:
    account, region = artifact["environment"].removeprefix("aws://").split("/")
    env = None if (account, region) == ("unknown-account", "unknown-region") else cdk.Environment(account, region)
    bootstrap_rule = SYNTHESIZER_RULE in template.get("Rules", {})
    stack = cdk.Stack(
        app,
        artifact_id,
        env=env,
        description=template.get("Description"),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=bootstrap_rule),
    )
    if template.get("Metadata"):
        stack.template_options.metadata = template["Metadata"]
    # CDK writes the sections in the order their first element was created, so create them in the
    # template's order; conditions are attached once they all exist.
    resources: dict[str, cdk.CfnResource] = {}
    conditional: list[tuple[Any, str]] = []
    for section in template:
        for name, body in template[section].items() if isinstance(template[section], dict) else ():
            if section == "Parameters" and name != SYNTHESIZER_PARAMETER:
                cdk.CfnParameter(stack, name, **_parameter_props(body))
            elif section == "Mappings":
                cdk.CfnMapping(stack, name, mapping=body)
            elif section == "Conditions":
                cdk.CfnCondition(stack, name, expression=_Expression(body))
            elif section == "Rules" and name != SYNTHESIZER_RULE:
                cdk.CfnRule(stack, name, assertions=[cdk.CfnRuleAssertion(**a) for a in body.get("Assertions", [])])
            elif section == "Outputs":
                output = cdk.CfnOutput(
                    stack,
                    name,
                    value=cdk.Token.as_string(body["Value"]),
                    description=body.get("Description"),
                    export_name=body.get("Export", {}).get("Name"),
                )
                if "Condition" in body:
                    conditional.append((output, body["Condition"]))
            elif section == "Resources":
                resources[name] = _replay_resource(stack, name, body)
                if "Condition" in body:
                    conditional.append((resources[name].cfn_options, body["Condition"]))
    for element, condition in conditional:
        element.condition = stack.node.find_child(condition)
    for logical_id, body in template["Resources"].items():
        depends_on = body.get("DependsOn", [])
        for target in [depends_on] if isinstance(depends_on, str) else depends_on:
            resources[logical_id].add_resource_dependency(resources[target])
        if isinstance(depends_on, list) and len(depends_on) > 1:  # CDK sorts by path: keep the original order
            resources[logical_id].add_override("DependsOn", depends_on)
    _replay_acknowledgments(stack, template, metadata, resources)
    return stack


def _replay_resource(stack: cdk.Stack, logical_id: str, body: dict[str, Any]) -> cdk.CfnResource:
    resource = cdk.CfnResource(stack, logical_id, type=body["Type"], properties=body.get("Properties"))
    resource.cfn_options.metadata = body.get("Metadata", {})
    if "DeletionPolicy" in body:
        resource.cfn_options.deletion_policy = POLICIES[body["DeletionPolicy"]]
    if "UpdateReplacePolicy" in body:
        resource.cfn_options.update_replace_policy = POLICIES[body["UpdateReplacePolicy"]]
    for attribute in OVERRIDDEN:
        if attribute in body:
            resource.add_override(attribute, body[attribute])
    return resource


def _parameter_props(body: dict[str, Any]) -> dict[str, Any]:
    names = {"Type": "type", "Default": "default", "Description": "description", "NoEcho": "no_echo"}
    names.update({"AllowedValues": "allowed_values", "AllowedPattern": "allowed_pattern"})
    names.update({"MinLength": "min_length", "MaxLength": "max_length", "MinValue": "min_value"})
    names.update({"MaxValue": "max_value", "ConstraintDescription": "constraint_description"})
    return {names[k]: v for k, v in body.items()}


def _replay_acknowledgments(
    stack: cdk.Stack, template: dict[str, Any], metadata: dict[str, Any], resources: dict[str, cdk.CfnResource]
) -> None:
    """Each acknowledgment on the stack itself, or on every resource at or below the path it was on."""
    stack_path = f"/{stack.node.path}"
    paths = {
        f"/{body['Metadata']['aws:cdk:path']}": logical_id
        for logical_id, body in template["Resources"].items()
        if "aws:cdk:path" in body.get("Metadata", {})
    }
    for path, entries in metadata.items():
        for entry in entries:
            if entry["type"] != ACKNOWLEDGED:
                continue
            targets = (
                [stack]
                if path == stack_path
                else [resources[lid] for p, lid in paths.items() if p == path or p.startswith(path + "/")]
            )
            for target in targets:
                for rule_id, reason in entry["data"].items():
                    cdk.Validations.of(target).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


@jsii.implements(cdk.ICfnConditionExpression)
class _Expression:
    """A condition's expression, already in CloudFormation form."""

    def __init__(self, body: Any) -> None:
        self._body = body

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, _context: cdk.IResolveContext) -> Any:
        return self._body

    def to_string(self) -> str:
        return json.dumps(self._body)
