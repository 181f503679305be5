"""Synth-time re-checks of what a construct enforces, written once.

A control is defined once, as a rule of the pack (``secure_sagemaker.nag.rules``). A construct
that enforces it re-runs that same rule at synth on its own L1 resources, so a property changed
after construction (``bucket.node.default_child.bucket_encryption = None``) fails ``cdk synth``
even without the pack registered, and the construct and the pack can never disagree.

What only the construct knows (that the key is *this* key, the subnet *this* subnet, the
rotation period the one it was given) stays a predicate over the resource's CloudFormation
properties: an *identity check*.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import aws_cdk as cdk
import constructs
import jsii
from constructs import Construct

from secure_sagemaker._validation import describe

#: A check only the construct can make: what it says is enforced, and a predicate over the
#: resource's resolved CloudFormation properties (PascalCase) that holds while it is.
IdentityCheck = tuple[str, Callable[[dict], bool]]

_FIX = "remove the change (or use the construct's documented opt-out where one exists)"


def render_properties(resource: cdk.CfnResource, stack: cdk.Stack | None = None) -> dict[str, Any]:
    """The CloudFormation ``Properties`` of ``resource`` as the template will have them, resolved in its
    stack (raw overrides aside: those are applied when the template is written)."""
    stack = stack or cdk.Stack.of(resource)
    rendered = stack.resolve(resource._render_properties(stack.resolve(resource._cfn_properties)))
    return rendered or {}


def registered_rules(rule_ids: Sequence[str]) -> list[Any]:
    """The registered rules named by ``rule_ids`` (bare ids, e.g. ``BucketVersioning``), in order.

    Raises ``ValueError`` at once for an id the registry does not hold: a construct must not claim
    to enforce a control no rule defines.
    """
    from secure_sagemaker.nag.rule import REGISTRY, all_rules

    if not REGISTRY:
        all_rules()
    missing = [rule_id for rule_id in rule_ids if rule_id not in REGISTRY]
    if missing:
        raise ValueError(
            f"enforce_rules: no registered rule has the id {', '.join(map(repr, missing))}; "
            f"use a rule id of docs/RULES.md without the pack prefix"
        )
    return [REGISTRY[rule_id] for rule_id in rule_ids]


@jsii.implements(constructs.IValidation)
class _EnforcedRules:
    """At synth: the named rules on a small template of the construct's own L1 resources, and the
    construct's identity checks on the first of them."""

    def __init__(
        self,
        owner: str,
        resources: Sequence[cdk.CfnResource],
        rules: Sequence[Any],
        identity: Sequence[IdentityCheck],
    ) -> None:
        self._owner = owner
        self._resources = list(resources)
        self._rules = list(rules)
        self._identity = list(identity)

    def validate(self) -> list[str]:
        from secure_sagemaker.nag.engine import evaluate
        from secure_sagemaker.nag.template import Template

        stack = cdk.Stack.of(self._resources[0])
        rendered = [render_properties(resource, stack) for resource in self._resources]
        # Paths are read only for a message: each costs round trips to the jsii kernel.
        errors = [
            self._error(what, self._resources[0].node.path)
            for what, holds in self._identity
            if not _holds(holds, rendered[0])
        ]
        if not self._rules:
            return errors
        by_logical_id: dict[str, cdk.CfnResource] = {}
        body: dict[str, Any] = {}
        for resource, properties in zip(self._resources, rendered, strict=True):
            # A single resource needs no real logical id: nothing else of the template refers to it.
            logical_id = stack.resolve(resource.logical_id) if len(self._resources) > 1 else "Enforced"
            body[logical_id] = {"Type": resource.cfn_resource_type, "Properties": properties}
            by_logical_id[logical_id] = resource
        template = Template({"Resources": body}, name="enforced", unexpanded=[])
        for rule in self._rules:
            for resource in template.of_type(*rule.resource_types):
                for verdict in evaluate(rule, resource):
                    if verdict.failed:
                        path = by_logical_id[resource.logical_id].node.path
                        errors.append(self._error(f"{rule.full_id} ({verdict.message})", path, rule.fix))
        return errors

    def _error(self, what: str, path: str, fix: str | None = None) -> str:
        how = f"{_FIX}; the rule says: {fix.rstrip('.')}" if fix else _FIX
        return (
            f"{self._owner}: {what} is enforced by this construct but the resource {path} was changed after "
            f"construction. Fix: {how}."
        )


def _holds(check: Callable[[dict], bool], properties: dict) -> bool:
    try:
        return bool(check(properties))
    except (KeyError, TypeError, IndexError, AttributeError):
        return False


def enforce_rules(
    owner: Construct,
    *,
    resources: Sequence[cdk.CfnResource],
    rules: Sequence[str] = (),
    identity: Sequence[IdentityCheck] = (),
) -> None:
    """Re-check, when the app is synthesized, that ``owner``'s L1 ``resources`` (all of one stack) still
    pass ``rules`` (bare rule ids of the pack) and that the first of them passes the ``identity`` checks.

    Every *failed* verdict of a named rule is a validation error naming ``owner``, the rule id, the
    resource's path and the fix; an *unverifiable* one (a key of another stack) is not. Rules run
    on every resource of ``resources`` of their types; the others are there for the rules to follow
    references to (a bucket's policy). A construct opts out of a control by leaving its rule out.

    An identity predicate must resolve what it compares with inside itself (``stack.resolve(key.key_arn)``
    at synth), never before: a resource of another stack or Stage resolves to its cross-stack
    reference (``Fn::ImportValue``, ``Fn::GetStackOutput``) only once the app is being synthesized.
    """
    if not resources:
        raise ValueError("enforce_rules: pass the L1 resources the rules and identity checks run on")
    owner.node.add_validation(_EnforcedRules(describe(owner), resources, registered_rules(rules), identity))
