"""An IAM identity-policy evaluator for synthesized templates, so tests assert outcomes, not strings.

``PolicyEvaluator(template).evaluate(role, action, resource, context)`` answers ``"Allow"``,
``"ExplicitDeny"`` or ``"ImplicitDeny"`` the way IAM evaluates the identity policies of one role
in one account: an explicit ``Deny`` wins, then an ``Allow``, else the request is implicitly
denied. It reads the role's inline ``AWS::IAM::Policy`` resources (``Roles``), template
``AWS::IAM::ManagedPolicy`` resources that name the role (``Roles``) or that the role lists in
``ManagedPolicyArns``; AWS managed policies (ARN strings) are not modelled and fail loudly.

Intrinsics resolve to fixed test values (:class:`Resolver`): account ``123456789012``, region
``us-east-1``, and for each logical id a fake physical name and ARN, so a test builds its request
from the same values (``resolver.arn("BaselineTrainingRole...")``).

Policy variables in conditions (``${aws:PrincipalTag/owner}``) are substituted from the request;
:meth:`PolicyEvaluator.principal_context` supplies the role's ARN and tags. tests/guardrail_eval.py
evaluates the guardrails' statements with this module too.

``evaluate_with_resource_policy(identity, resource_policy, principal, request)`` adds a resource
policy (a bucket policy, read with :meth:`PolicyEvaluator.bucket_policy`) for a request within one
account: its statements apply when their ``Principal`` names the caller, an explicit deny in either
policy wins, then an allow in either.

Not modelled (not needed by these tests): permissions boundaries, SCPs, cross-account requests,
``NotPrincipal``, session policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"

#: How a fake ARN is built for ``Fn::GetAtt [id, <arn attribute>]`` per resource type; ``{name}``
#: is the resource's fake physical name (see :meth:`Resolver.name`).
_ARN_FORMATS = {
    "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
    "AWS::IAM::ManagedPolicy": "arn:aws:iam::{account}:policy/{name}",
    "AWS::S3::Bucket": "arn:aws:s3:::{name}",
    "AWS::KMS::Key": "arn:aws:kms:{region}:{account}:key/{name}",
    "AWS::ECR::Repository": "arn:aws:ecr:{region}:{account}:repository/{name}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}:*",
    "AWS::SNS::Topic": "arn:aws:sns:{region}:{account}:{name}",
    "AWS::SageMaker::Domain": "arn:aws:sagemaker:{region}:{account}:domain/{name}",
    "AWS::SageMaker::UserProfile": "arn:aws:sagemaker:{region}:{account}:user-profile/{name}",
    "AWS::SageMaker::ModelPackageGroup": "arn:aws:sagemaker:{region}:{account}:model-package-group/{name}",
    "AWS::SageMaker::Endpoint": "arn:aws:sagemaker:{region}:{account}:endpoint/{name}",
    "AWS::SageMaker::Model": "arn:aws:sagemaker:{region}:{account}:model/{name}",
    "AWS::CodeArtifact::Domain": "arn:aws:codeartifact:{region}:{account}:domain/{name}",
    "AWS::CodeArtifact::Repository": "arn:aws:codeartifact:{region}:{account}:repository/{name}",
}
_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


class Resolver:
    """Resolves CloudFormation intrinsics to fixed fake values, the same for template and test."""

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> None:
        self._resources = template.get("Resources", {})
        self._overrides = dict(overrides or {})

    def name(self, logical_id: str) -> str:
        """The fake physical name (``Ref``) of a resource: its explicit name property or a
        lowercase form of its logical id (subnets and groups get ``subnet-``/``sg-`` ids)."""
        if logical_id in self._overrides:
            return self._overrides[logical_id]
        resource = self._resources.get(logical_id)
        if resource is None:
            raise KeyError(f"no resource {logical_id!r} in the template")
        kind, properties = resource["Type"], resource.get("Properties", {})
        for prop in ("ModelPackageGroupName", "UserProfileName", "RoleName", "BucketName"):
            if isinstance(properties.get(prop), str):
                return properties[prop]
        if kind == "AWS::EC2::Subnet":
            return f"subnet-{logical_id.lower()}"
        if kind == "AWS::EC2::SecurityGroup":
            return f"sg-{logical_id.lower()}"
        return logical_id.lower()

    def arn(self, logical_id: str) -> str:
        """The fake ARN of a resource (``Fn::GetAtt [id, Arn]``)."""
        kind = self._resources[logical_id]["Type"]
        if kind == "AWS::SageMaker::UserProfile":
            properties = self._resources[logical_id]["Properties"]
            return (
                f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/"
                f"{self.resolve(properties['DomainId'])}/{self.resolve(properties['UserProfileName'])}"
            )
        if kind not in _ARN_FORMATS:
            raise KeyError(f"no fake ARN format for {kind} ({logical_id}); add one to _ARN_FORMATS")
        return _ARN_FORMATS[kind].format(account=ACCOUNT, region=REGION, name=self.name(logical_id))

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self._resources[logical_id]["Type"]
        if attribute == "DomainId":
            return f"d-{logical_id.lower()}"
        if attribute.endswith("Arn") or attribute == "Arn":
            return self.arn(logical_id)
        if attribute == "GroupId" and kind == "AWS::EC2::SecurityGroup":
            return self.name(logical_id)
        raise KeyError(f"no fake value for Fn::GetAtt {logical_id}.{attribute}")

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic replaced by its fake value."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                return _PSEUDO[value] if value in _PSEUDO else self.name(value)
            if key == "Fn::GetAtt":
                logical, attribute = value if isinstance(value, list) else value.split(".", 1)
                return self.get_att(logical, attribute)
            if key == "Fn::Join":
                delimiter, items = value
                return delimiter.join(str(self.resolve(item)) for item in items)
            if key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1), variables), text)
            if key == "Fn::Select":
                index, items = value
                return self.resolve(items)[int(index)]
        return {key: self.resolve(value) for key, value in node.items()}

    def _sub(self, name: str, variables: Mapping[str, Any]) -> str:
        if name in variables:
            return str(self.resolve(variables[name]))
        if name in _PSEUDO:
            return str(_PSEUDO[name])
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.get_att(logical, attribute)
        return self.name(name)


@dataclass
class Request:
    """One API request: the action, the resource ARN and the request's condition keys.

    Context values are strings, booleans, numbers or lists (multi-valued keys such as
    ``sagemaker:VpcSubnets``); a key that is absent from ``context`` is absent from the request.
    """

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


def _glob(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM wildcard matching: ``*`` any run of characters, ``?`` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


_NUMERIC = {
    "NumericEquals": lambda a, b: a == b,
    "NumericNotEquals": lambda a, b: a != b,
    "NumericLessThan": lambda a, b: a < b,
    "NumericLessThanEquals": lambda a, b: a <= b,
    "NumericGreaterThan": lambda a, b: a > b,
    "NumericGreaterThanEquals": lambda a, b: a >= b,
}


def _match_one(operator: str, expected: str, actual: Any) -> bool:
    """Whether one request value satisfies one policy value under a non-negated operator."""
    if operator in ("StringEquals", "ArnEquals"):
        return _string(actual) == expected if operator == "StringEquals" else _glob(expected, _string(actual))
    if operator == "StringEqualsIgnoreCase":
        return _string(actual).lower() == expected.lower()
    if operator in ("StringLike", "ArnLike"):
        return _glob(expected, _string(actual))
    if operator == "Bool":
        return _string(actual).lower() == expected.lower()
    if operator in _NUMERIC:
        a, b = _number(actual), _number(expected)
        return a is not None and b is not None and _NUMERIC[operator](a, b)
    raise NotImplementedError(f"condition operator {operator!r} is not modelled")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


_POLICY_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substituted(value: str, context: Mapping[str, Any]) -> str | None:
    """``value`` with its policy variables (``${aws:PrincipalTag/owner}``) replaced from ``context``;
    None when the request does not carry one of them."""
    missing = [m.group(1) for m in _POLICY_VARIABLE.finditer(value) if context.get(m.group(1)) is None]
    if missing:
        return None
    return _POLICY_VARIABLE.sub(lambda m: _string(context[m.group(1)]), value)


def _condition_holds(operator: str, key: str, expected: Any, context: Mapping[str, Any]) -> bool:
    """One (operator, key) entry of a Condition block, with its set and IfExists qualifiers.

    A policy variable the request does not carry makes the entry false (negated operators
    included), as IAM evaluates it: a ``Deny`` that compares with ``${aws:PrincipalTag/owner}``
    does not apply to a caller without the tag, which is why the guardrails deny that case in a
    statement of their own.
    """
    expected_values = [_substituted(_string(v), context) for v in _as_list(expected)]
    if None in expected_values:
        return False
    present = key in context and context[key] is not None
    if operator == "Null":  # "true": the key must be absent; "false": present
        return (not present) == (expected_values[0].lower() == "true")
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
        if not present:
            return True
    negated = operator in _NEGATED
    base = _NEGATED.get(operator, operator)
    if qualifier is None:
        if not present:
            return negated  # a negated operator matches an absent key; a positive one does not
        actual = _as_list(context[key])
        # A single-valued key: any policy value may match (OR); negation is "matches none".
        hit = any(_match_one(base, e, a) for a in actual for e in expected_values)
        return not hit if negated else hit
    values = _as_list(context[key]) if present else []
    if qualifier == "ForAllValues":
        if not values:
            return True  # vacuously true for an absent or empty key
        return all(
            (not any(_match_one(base, e, v) for e in expected_values))
            if negated
            else any(_match_one(base, e, v) for e in expected_values)
            for v in values
        )
    if qualifier == "ForAnyValue":
        if not values:
            return False
        return any(
            (not any(_match_one(base, e, v) for e in expected_values))
            if negated
            else any(_match_one(base, e, v) for e in expected_values)
            for v in values
        )
    raise NotImplementedError(f"condition qualifier {qualifier!r} is not modelled")


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    """Every operator and every key of a Condition block must hold (AND)."""
    return all(
        _condition_holds(operator, key, expected, context)
        for operator, entries in conditions.items()
        for key, expected in entries.items()
    )


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Whether a (resolved) statement's action, resource and conditions all match ``request``."""
    if "Action" in statement:
        if not any(_glob(a, request.action, case_sensitive=False) for a in _as_list(statement["Action"])):
            return False
    elif any(_glob(a, request.action, case_sensitive=False) for a in _as_list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_glob(r, request.resource) for r in _as_list(statement["Resource"])):
            return False
    elif any(_glob(r, request.resource) for r in _as_list(statement.get("NotResource", []))):
        return False
    return _conditions_hold(statement.get("Condition", {}), request.context)


def evaluate_statements(statements: Iterable[Mapping[str, Any]], request: Request) -> str:
    """IAM's verdict for ``request`` under ``statements`` (already resolved)."""
    matching = [s for s in statements if statement_applies(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return EXPLICIT_DENY
    if any(s["Effect"] == "Allow" for s in matching):
        return ALLOW
    return IMPLICIT_DENY


def principal_matches(statement: Mapping[str, Any], principal: str) -> bool:
    """Whether a resource-policy statement's ``Principal`` names ``principal``: an IAM ARN of this
    account (matched by ``"*"``, by itself, or by the account's root ARN) or a service principal
    such as ``cloudtrail.amazonaws.com``."""
    if "NotPrincipal" in statement:
        raise NotImplementedError("NotPrincipal is not modelled")
    value = statement.get("Principal")
    if value == "*":
        return True
    is_service = not principal.startswith("arn:")
    for kind, names in value.items():
        for name in _as_list(names):
            if kind == "Service" and is_service and name == principal:
                return True
            if kind == "AWS" and not is_service:
                if name in ("*", principal) or name in (ACCOUNT, f"arn:{PARTITION}:iam::{ACCOUNT}:root"):
                    return True
    return False


def evaluate_with_resource_policy(
    identity: Iterable[Mapping[str, Any]],
    resource_policy: Iterable[Mapping[str, Any]],
    principal: str,
    request: Request,
) -> str:
    """IAM's verdict for a same-account ``request`` by ``principal`` under its identity statements
    and a resource policy (both resolved): an explicit deny in either wins, then an allow in either."""
    naming = [s for s in resource_policy if principal_matches(s, principal)]
    verdicts = {evaluate_statements(identity, request), evaluate_statements(naming, request)}
    if EXPLICIT_DENY in verdicts:
        return EXPLICIT_DENY
    return ALLOW if ALLOW in verdicts else IMPLICIT_DENY


class PolicyEvaluator:
    """Evaluates requests against the identity policies a role carries in a synthesized template."""

    def __init__(self, template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> None:
        self.template = template
        self.resolver = Resolver(template, overrides)

    def role_id(self, prefix: str) -> str:
        """The one ``AWS::IAM::Role`` whose logical id starts with ``prefix``."""
        found = [
            k for k, v in self.template["Resources"].items() if v["Type"] == "AWS::IAM::Role" and k.startswith(prefix)
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} roles start with {prefix!r}: {found}")
        return found[0]

    def statements(self, role: str) -> list[dict]:
        """Every resolved identity-policy statement of role ``role`` (a logical id)."""
        resources = self.template["Resources"]
        if resources[role]["Type"] != "AWS::IAM::Role":
            raise KeyError(f"{role} is not an AWS::IAM::Role")
        documents = []
        for resource in resources.values():
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                names = resource["Properties"].get("Roles", [])
                if {"Ref": role} in names:
                    documents.append(resource["Properties"]["PolicyDocument"])
        for arn in resources[role]["Properties"].get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and "Ref" in arn and arn["Ref"] in resources:
                policy = resources[arn["Ref"]]
                if {"Ref": role} not in policy["Properties"].get("Roles", []):
                    documents.append(policy["Properties"]["PolicyDocument"])
            else:
                raise NotImplementedError(f"{role} carries a policy the evaluator cannot read: {arn}")
        for inline in resources[role]["Properties"].get("Policies", []):
            documents.append(inline["PolicyDocument"])
        return [self.resolver.resolve(s) for document in documents for s in _as_list(document["Statement"])]

    def principal_context(self, role: str) -> dict[str, Any]:
        """What IAM adds to every request of role ``role``: ``aws:PrincipalArn`` and an
        ``aws:PrincipalTag/<key>`` for each of the role's tags (tags with literal values only)."""
        context: dict[str, Any] = {"aws:PrincipalArn": self.resolver.arn(role)}
        for tag in self.template["Resources"][role]["Properties"].get("Tags", []):
            if isinstance(tag["Value"], str):
                context[f"aws:PrincipalTag/{tag['Key']}"] = tag["Value"]
        return context

    def evaluate(self, role: str, action: str, resource: str, context: Mapping[str, Any] | None = None) -> str:
        """``"Allow"``, ``"ExplicitDeny"`` or ``"ImplicitDeny"`` for the request, made by ``role``."""
        return evaluate_statements(self.statements(role), Request(action, resource, context or {}))

    def allowed(self, role: str, action: str, resource: str, context: Mapping[str, Any] | None = None) -> bool:
        return self.evaluate(role, action, resource, context) == ALLOW

    def bucket_policy(self, bucket: str) -> list[dict]:
        """The resolved statements of the ``AWS::S3::BucketPolicy`` of bucket ``bucket`` (a logical id)."""
        (document,) = [
            r["Properties"]["PolicyDocument"]
            for r in self.template["Resources"].values()
            if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}
        ]
        return [self.resolver.resolve(s) for s in _as_list(document["Statement"])]


__all__ = [
    "ACCOUNT",
    "ALLOW",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "REGION",
    "PolicyEvaluator",
    "Request",
    "Resolver",
    "evaluate_statements",
    "evaluate_with_resource_policy",
    "principal_matches",
]
