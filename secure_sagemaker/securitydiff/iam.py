"""Policy documents compared grant by grant: what HEAD allows that BASE did not, and which denies
it dropped.

Every statement is flattened into grants (effect, principal, one action, one resource, its
conditions). A HEAD ``Allow`` grant is *covered* when a BASE grant of the same document with the
same principal matches its action and resource (wildcards included) and asks for no condition the
HEAD grant lacks; an uncovered grant is an added or broadened permission. A BASE ``Deny`` grant
that no HEAD deny covers is a dropped guardrail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterator

from secure_sagemaker._flatten import READABLE, flatten
from secure_sagemaker.nag.template import as_dict, as_list

#: ``{type: [(label, path)]}``: where policy documents live; ``*`` walks a list.
DOCUMENTS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "AWS::IAM::Role": [("trust policy", ("AssumeRolePolicyDocument",)), ("inline policy", ("Policies", "*"))],
    "AWS::IAM::User": [("inline policy", ("Policies", "*"))],
    "AWS::IAM::Group": [("inline policy", ("Policies", "*"))],
    "AWS::IAM::Policy": [("policy", ("PolicyDocument",))],
    "AWS::IAM::ManagedPolicy": [("managed policy", ("PolicyDocument",))],
    "AWS::IAM::RolePolicy": [("inline policy", ("PolicyDocument",))],
    "AWS::S3::BucketPolicy": [("bucket policy", ("PolicyDocument",))],
    "AWS::SNS::TopicPolicy": [("topic policy", ("PolicyDocument",))],
    "AWS::SQS::QueuePolicy": [("queue policy", ("PolicyDocument",))],
    "AWS::KMS::Key": [("key policy", ("KeyPolicy",))],
    "AWS::EC2::VPCEndpoint": [("endpoint policy", ("PolicyDocument",))],
    "AWS::ApiGateway::RestApi": [("resource policy", ("Policy",))],
    "AWS::ECR::Repository": [("repository policy", ("RepositoryPolicyText",))],
    "AWS::Logs::ResourcePolicy": [("resource policy", ("PolicyDocument",))],
    "AWS::SecretsManager::ResourcePolicy": [("resource policy", ("ResourcePolicy",))],
}
#: Properties that attach a policy to identities, or managed policies to one: a new entry grants.
ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("Roles", "Users", "Groups"),
    "AWS::IAM::ManagedPolicy": ("Roles", "Users", "Groups"),
    "AWS::IAM::Role": ("ManagedPolicyArns",),
    "AWS::IAM::User": ("ManagedPolicyArns", "Groups"),
    "AWS::IAM::Group": ("ManagedPolicyArns",),
}


def _canon(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def readable(value: Any) -> str:
    """A value as people read it: ``<Bucket.Arn>/models/*`` for ``Fn::Join`` of ``Fn::GetAtt``."""
    return flatten(value, READABLE)


@dataclass(frozen=True)
class Grant:
    effect: str
    principal: str
    action: str  # "!" prefix for NotAction (compared exactly)
    resource: str  # "!" prefix for NotResource (compared exactly)
    conditions: frozenset[tuple[str, str, str]]


def documents(cfn_type: str, properties: dict) -> Iterator[tuple[str, Any]]:
    """``(label, document)`` for every policy document of a resource."""
    for label, path in DOCUMENTS.get(cfn_type, ()):
        if path[-1] == "*":
            for item in as_list(properties.get(path[0])):
                item = as_dict(item)
                name = item.get("PolicyName")
                yield f"{label} {_canon(name)}" if name is not None else label, item.get("PolicyDocument")
        else:
            yield label, properties.get(path[0])


def grants(document: Any) -> list[tuple[int, Grant]]:
    """``(statement index, grant)`` for every grant of ``document`` (a dict or a JSON string)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    found: list[tuple[int, Grant]] = []
    for index, statement in enumerate(as_list(as_dict(document).get("Statement"))):
        statement = as_dict(statement)
        effect = statement.get("Effect") if isinstance(statement.get("Effect"), str) else "Allow"
        principal = _canon(statement.get("Principal", statement.get("NotPrincipal", "")))
        if "NotPrincipal" in statement:
            principal = "!" + principal
        if "NotAction" in statement:
            actions = ["!" + _canon(statement["NotAction"])]
        else:
            actions = [_canon(a) for a in as_list(statement.get("Action"))] or [""]
        if "NotResource" in statement:
            resources = ["!" + _canon(statement["NotResource"])]
        else:
            resources = [_canon(r) for r in as_list(statement.get("Resource"))] or [""]
        conditions = frozenset(
            (operator, key, _canon(values))
            for operator, block in as_dict(statement.get("Condition")).items()
            for key, values in as_dict(block).items()
        )
        for action in actions:
            for resource in resources:
                found.append((index, Grant(effect, principal, action, resource, conditions)))
    return found


def _matches(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    if pattern == value:
        return True
    if pattern.startswith("!") or value.startswith("!") or pattern.startswith("{"):
        return False
    return ("*" in pattern or "?" in pattern) and fnmatchcase(value, pattern)


def covers(wide: Grant, narrow: Grant) -> bool:
    """True when ``wide`` allows (or denies) everything ``narrow`` does."""
    return (
        wide.effect == narrow.effect
        and (wide.principal == narrow.principal or wide.principal in ('{"AWS": "*"}', '"*"', "*"))
        and _matches(wide.action, narrow.action, case=False)
        and _matches(wide.resource, narrow.resource)
        and wide.conditions <= narrow.conditions
    )


def _describe(grants_: list[Grant]) -> str:
    actions = sorted({readable(g.action) for g in grants_})
    resources = sorted({readable(g.resource) for g in grants_ if g.resource})

    def short(items: list[str]) -> str:
        shown = ", ".join(items[:4])
        return shown + (f" (+{len(items) - 4} more)" if len(items) > 4 else "")

    principal = readable(grants_[0].principal) if grants_[0].principal else ""
    on = f" on {short(resources)}" if resources else ""
    who = f" to {principal}" if principal else ""
    return f"{short(actions)}{on}{who}"


def compare_documents(before: Any, after: Any) -> list[tuple[bool, str]]:
    """``(worse, message)`` for the grants ``after`` adds or broadens and the denies it drops,
    and one line for what it narrows."""
    old = grants(before) if before is not None else []
    new = grants(after) if after is not None else []
    old_allow = [g for _, g in old if g.effect == "Allow"]
    old_set = {g for _, g in old}
    new_set = {g for _, g in new}
    changes: list[tuple[bool, str]] = []
    by_statement: dict[int, list[Grant]] = {}
    for index, grant in new:
        if grant.effect != "Allow" or grant in old_set:
            continue
        if not any(covers(b, grant) for b in old_allow):
            by_statement.setdefault(index, []).append(grant)
    for index, uncovered in sorted(by_statement.items()):
        dropped = sorted(
            {
                key
                for g in uncovered
                for b in old_allow
                if (b.principal, b.action, b.resource) == (g.principal, g.action, g.resource)
                for (_, key, _) in b.conditions - g.conditions
            }
        )
        if dropped:
            changes.append(
                (True, f"statement {index} allows {_describe(uncovered)} without condition {', '.join(dropped)}")
            )
        else:
            changes.append((True, f"statement {index} newly allows {_describe(uncovered)}"))
    new_deny = [g for _, g in new if g.effect == "Deny"]
    lost = [g for _, g in old if g.effect == "Deny" and g not in new_set and not any(covers(h, g) for h in new_deny)]
    if lost:
        changes.append((True, f"no longer denies {_describe(lost)}"))
    old_deny = [g for _, g in old if g.effect == "Deny"]
    gained = [g for g in new_deny if g not in old_set and not any(covers(b, g) for b in old_deny)]
    if gained:
        changes.append((False, f"now denies {_describe(gained)}"))
    new_allow = [g for _, g in new if g.effect == "Allow"]
    narrowed = [g for g in old_allow if g not in new_set and not any(covers(h, g) for h in new_allow)]
    if narrowed:
        changes.append((False, f"no longer allows {_describe(narrowed)}"))
    return changes


def attachments(cfn_type: str, before: dict, after: dict) -> list[tuple[bool, str]]:
    """New (worse) and removed (better) attachments of policies to identities."""
    changes: list[tuple[bool, str]] = []
    for name in ATTACHMENTS.get(cfn_type, ()):
        old = {_canon(v) for v in as_list(before.get(name))}
        new = {_canon(v) for v in as_list(after.get(name))}
        for added in sorted(new - old):
            changes.append((True, f"{name} gains {added}"))
        for removed in sorted(old - new):
            changes.append((False, f"{name} loses {removed}"))
    return changes
