"""Comparing two sets of templates for security: the changes a reviewer must see.

Templates are paired by their path relative to what was given (``Stack.template.json`` in two
cloud assemblies), or, when each side is one template, with each other. Every change is a
:class:`Change` of one kind, worse or better (or neither), with one sentence for people.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secure_sagemaker.nag.engine import NAG_METADATA_KEY, check_template
from secure_sagemaker.nag.template import Template, as_dict, as_list, link_exports
from secure_sagemaker.securitydiff import controls, iam
from secure_sagemaker.securitydiff.stateful import create_only_properties, is_stateful

#: The kinds of change, in the order reports show them, with their headings.
KINDS: dict[str, str] = {
    "stateful": "Stateful resources replaced or deleted (data loss)",
    "control": "Controls weakened or strengthened",
    "iam": "IAM permissions",
    "network": "Security groups and network",
    "finding": "Nag findings (SageMakerSecurity rules)",
    "acknowledgment": "Acknowledgments",
}

#: Added resources of these types open a path to or from the internet (or another network).
_NETWORK_OPENINGS = frozenset(
    {
        "AWS::EC2::InternetGateway",
        "AWS::EC2::EgressOnlyInternetGateway",
        "AWS::EC2::NatGateway",
        "AWS::EC2::VPCGatewayAttachment",
        "AWS::EC2::EIP",
        "AWS::EC2::VPCPeeringConnection",
        "AWS::EC2::TransitGatewayAttachment",
        "AWS::EC2::VPNGateway",
        "AWS::EC2::ClientVpnEndpoint",
    }
)
#: Network types whose other changes are shown (neither worse nor better).
_NETWORK_TYPES = frozenset(
    {
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::EC2::RouteTable",
        "AWS::EC2::Route",
        "AWS::EC2::VPCEndpoint",
        "AWS::EC2::NetworkAcl",
        "AWS::EC2::NetworkAclEntry",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::EC2::PrefixList",
    }
    | _NETWORK_OPENINGS
)
_ROUTE_TARGETS = (
    "GatewayId",
    "NatGatewayId",
    "EgressOnlyInternetGatewayId",
    "TransitGatewayId",
    "VpcPeeringConnectionId",
    "InstanceId",
    "NetworkInterfaceId",
)
#: Not security: never reported when they are all that changed.
_COSMETIC = frozenset({"Description", "Tags", "AlarmDescription", "GroupDescription"})


@dataclass(frozen=True)
class Change:
    """One security-relevant difference between BASE and HEAD."""

    kind: str
    worse: bool | None  # True: worse; False: better; None: neither, shown for review
    template: str
    resource: str
    resource_type: str
    message: str
    rule_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "kind": self.kind,
            "effect": {True: "worse", False: "better", None: "review"}[self.worse],
            "template": self.template,
            "resource": self.resource,
            "resource_type": self.resource_type,
            "message": self.message,
        }
        if self.rule_id:
            data["rule_id"] = self.rule_id
        return data


@dataclass
class DiffReport:
    """Everything `diff` found, and what it compared."""

    changes: list[Change] = field(default_factory=list)
    templates: int = 0
    resources: int = 0

    @property
    def worse(self) -> list[Change]:
        return [c for c in self.changes if c.worse is True]

    @property
    def better(self) -> list[Change]:
        return [c for c in self.changes if c.worse is False]

    @property
    def exit_code(self) -> int:
        """0 when HEAD is no worse than BASE, 1 when it is."""
        return 1 if self.worse else 0


@dataclass
class Side:
    """One side of the diff: templates by pairing key, and acknowledgments from the cloud
    assembly's ``validation-report.json`` (``{(construct path, rule): reason}``)."""

    templates: dict[str, Template]
    reported_acknowledgments: dict[tuple[str, str], str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _without_cosmetic(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if k not in _COSMETIC}


def _resources(template: Template) -> dict[str, dict]:
    return {k: as_dict(v) for k, v in as_dict(template.body.get("Resources")).items()}


def _acknowledgments(entries: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in as_list(as_dict(entries).get("rules_to_suppress")):
        entry = as_dict(entry)
        rule_id, reason = entry.get("id"), entry.get("reason")
        if isinstance(rule_id, str):
            found[rule_id.strip()] = reason.strip() if isinstance(reason, str) else ""
    return found


def template_acknowledgments(template: Template) -> dict[tuple[str, str], str]:
    """``{(logical id or "(template)", rule): reason}`` from the template's ``cdk_nag`` metadata."""
    found = {
        ("(template)", rule): reason
        for rule, reason in _acknowledgments(as_dict(template.body.get("Metadata")).get(NAG_METADATA_KEY)).items()
    }
    for logical_id, resource in _resources(template).items():
        for rule, reason in _acknowledgments(as_dict(resource.get("Metadata")).get(NAG_METADATA_KEY)).items():
            found[(logical_id, rule)] = reason
    return found


def report_acknowledgments(assembly: Path) -> dict[tuple[str, str], str]:
    """``{(construct path, rule): reason}`` of the suppressed violations in an assembly's
    ``validation-report.json`` (empty when there is none)."""
    path = assembly / "validation-report.json"
    if not path.is_file():
        return {}
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        from secure_sagemaker.nag.loader import TemplateError

        raise TemplateError(f"{path}: cannot be read as a nag report ({' '.join(str(exc).split())})") from None
    found: dict[tuple[str, str], str] = {}
    for plugin in as_list(as_dict(report).get("pluginReports")):
        for ack in as_list(as_dict(plugin).get("suppressedViolations")):
            ack = as_dict(ack)
            rule, reason = ack.get("ruleName"), ack.get("reason")
            for construct in as_list(ack.get("violatingConstructs")):
                construct_path = as_dict(construct).get("constructPath")
                if isinstance(rule, str) and isinstance(construct_path, str):
                    found[(construct_path, rule)] = reason if isinstance(reason, str) else ""
    return found


# --------------------------------------------------------------------------------------------
# The comparisons
# --------------------------------------------------------------------------------------------


def _stateful(name: str, logical_id: str, old: dict, new: dict | None, renamed_to: str | None) -> list[Change]:
    cfn_type = old.get("Type", "")
    keeps = old.get("DeletionPolicy") in controls.KEEPING_POLICIES
    if new is None:
        if renamed_to:
            what = f"REPLACED: its logical id changed to {renamed_to}, so CloudFormation creates a new, empty resource"
        else:
            what = "DELETED: it is no longer in the template"
        kept = (
            f"; DeletionPolicy {old['DeletionPolicy']} keeps the old one, orphaned outside the stack"
            if keeps
            else "; its data is lost (no DeletionPolicy Retain)"
        )
        return [Change("stateful", True, name, logical_id, cfn_type, what + kept)]
    if new.get("Type") != cfn_type:
        return [
            Change("stateful", True, name, logical_id, cfn_type, f"REPLACED: its type changes to {new.get('Type')}")
        ]
    old_props, new_props = as_dict(old.get("Properties")), as_dict(new.get("Properties"))
    changed = [p for p in create_only_properties(cfn_type) if _canon(old_props.get(p)) != _canon(new_props.get(p))]
    changes: list[Change] = []
    if changed:
        kept = (
            "; UpdateReplacePolicy keeps the old one, orphaned"
            if new.get("UpdateReplacePolicy") in controls.KEEPING_POLICIES
            else "; the old one and its data are deleted"
        )
        changes.append(
            Change(
                "stateful",
                True,
                name,
                logical_id,
                cfn_type,
                f"REPLACED: {', '.join(changed)} can only be set on creation, so CloudFormation creates a new "
                f"resource{kept}",
            )
        )
    for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
        was, now = old.get(attribute), new.get(attribute)
        if was in controls.KEEPING_POLICIES and now not in controls.KEEPING_POLICIES:
            changes.append(
                Change(
                    "control",
                    True,
                    name,
                    logical_id,
                    cfn_type,
                    f"{attribute} {was} -> {now or '(absent: Delete)'}: the data is no longer kept",
                )
            )
        elif now in controls.KEEPING_POLICIES and was not in controls.KEEPING_POLICIES:
            changes.append(
                Change(
                    "control",
                    False,
                    name,
                    logical_id,
                    cfn_type,
                    f"{attribute} {was or '(absent)'} -> {now}: the data is kept",
                )
            )
    return changes


def _security_group_rules(resources: dict[str, dict]) -> dict[tuple[str, str], set[str]]:
    """``{(group, direction): {rule}}`` from inline and standalone security group rules."""
    rules: dict[tuple[str, str], set[str]] = {}

    def add(group: str, direction: str, rule: Any) -> None:
        rule = {k: v for k, v in as_dict(rule).items() if k not in ("Description", "GroupId")}
        rules.setdefault((group, direction), set()).add(_canon(rule))

    for logical_id, resource in resources.items():
        cfn_type = resource.get("Type")
        properties = as_dict(resource.get("Properties"))
        if cfn_type == "AWS::EC2::SecurityGroup":
            rules.setdefault((logical_id, "ingress"), set())
            rules.setdefault((logical_id, "egress"), set())
            for rule in as_list(properties.get("SecurityGroupIngress")):
                add(logical_id, "ingress", rule)
            for rule in as_list(properties.get("SecurityGroupEgress")):
                add(logical_id, "egress", rule)
        elif cfn_type in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            group = properties.get("GroupId")
            ref = as_dict(group).get("Ref") or (as_list(as_dict(group).get("Fn::GetAtt")) or [None])[0]
            add(
                ref if isinstance(ref, str) else _canon(group),
                "ingress" if cfn_type.endswith("Ingress") else "egress",
                properties,
            )
    return rules


def _within(new: str, old: str) -> bool:
    """True when security group rule ``new`` admits nothing that rule ``old`` did not: the same
    protocol and peer kind, a port range inside the old one, a CIDR inside the old one."""
    import ipaddress

    a, b = json.loads(new), json.loads(old)
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    ports = ("FromPort", "ToPort")
    peers = ("CidrIp", "CidrIpv6")
    others = set(a) | set(b)
    if any(_canon(a.get(k)) != _canon(b.get(k)) for k in others - set(ports) - set(peers)):
        return False
    if str(b.get("IpProtocol")) != "-1":
        try:
            if not (int(b["FromPort"]) <= int(a["FromPort"]) and int(a["ToPort"]) <= int(b["ToPort"])):
                return False
        except (KeyError, TypeError, ValueError):
            return _canon([a.get(p) for p in ports]) == _canon([b.get(p) for p in ports])
    for peer in peers:
        if (peer in a) != (peer in b):
            return False
        if peer in a:
            try:
                if not ipaddress.ip_network(a[peer], strict=False).subnet_of(
                    ipaddress.ip_network(b[peer], strict=False)
                ):
                    return False
            except (TypeError, ValueError):
                if a[peer] != b[peer]:
                    return False
    return True


def _network(name: str, old_resources: dict[str, dict], new_resources: dict[str, dict]) -> list[Change]:
    changes: list[Change] = []
    old_rules, new_rules = _security_group_rules(old_resources), _security_group_rules(new_resources)
    for (group, direction), rules in sorted(new_rules.items()):
        before = old_rules.get((group, direction), set())
        for rule in sorted(rules - before):
            if any(_within(rule, old) for old in before):
                changes.append(
                    Change(
                        "network", False, name, group, "AWS::EC2::SecurityGroup", f"{direction} rule narrowed: {rule}"
                    )
                )
                continue
            changes.append(
                Change("network", True, name, group, "AWS::EC2::SecurityGroup", f"{direction} rule added: {rule}")
            )
        for rule in sorted(before - rules):
            changes.append(
                Change("network", False, name, group, "AWS::EC2::SecurityGroup", f"{direction} rule removed: {rule}")
            )
    for (group, direction), rules in sorted(old_rules.items()):
        if (group, direction) not in new_rules:
            for rule in sorted(rules):
                changes.append(
                    Change(
                        "network",
                        False,
                        name,
                        group,
                        "AWS::EC2::SecurityGroup",
                        f"{direction} rule removed with its group: {rule}",
                    )
                )
    for logical_id, new in new_resources.items():
        cfn_type = new.get("Type", "")
        if cfn_type not in _NETWORK_TYPES:
            continue
        old = old_resources.get(logical_id)
        new_props = as_dict(new.get("Properties"))
        if old is None:
            if cfn_type in _NETWORK_OPENINGS:
                changes.append(
                    Change(
                        "network",
                        True,
                        name,
                        logical_id,
                        cfn_type,
                        f"added: a {cfn_type.split('::')[-1]} opens a path out of (or into) the network",
                    )
                )
            elif cfn_type == "AWS::EC2::Route" and any(k in new_props for k in _ROUTE_TARGETS):
                target = next(k for k in _ROUTE_TARGETS if k in new_props)
                changes.append(
                    Change(
                        "network",
                        True,
                        name,
                        logical_id,
                        cfn_type,
                        f"route added to {target} {_canon(new_props[target])}",
                    )
                )
            elif cfn_type == "AWS::EC2::NetworkAclEntry" and str(new_props.get("RuleAction", "")).lower() == "allow":
                changes.append(
                    Change(
                        "network",
                        True,
                        name,
                        logical_id,
                        cfn_type,
                        f"network ACL allow entry added: {_canon(_without_cosmetic(new_props))}",
                    )
                )
            else:
                changes.append(Change("network", None, name, logical_id, cfn_type, "added"))
            continue
        old_props = as_dict(old.get("Properties"))
        if _canon(_without_cosmetic(old_props)) != _canon(_without_cosmetic(new_props)):
            keys = sorted(
                k
                for k in set(old_props) | set(new_props)
                if k not in _COSMETIC and _canon(old_props.get(k)) != _canon(new_props.get(k))
            )
            worse = cfn_type == "AWS::EC2::Route" and any(k in _ROUTE_TARGETS for k in keys)
            changes.append(
                Change("network", True if worse else None, name, logical_id, cfn_type, f"changed: {', '.join(keys)}")
            )
    for logical_id, old in old_resources.items():
        cfn_type = old.get("Type", "")
        if logical_id not in new_resources and cfn_type in _NETWORK_TYPES:
            properties = as_dict(old.get("Properties"))
            better = cfn_type in _NETWORK_OPENINGS or (
                cfn_type == "AWS::EC2::Route" and any(k in properties for k in _ROUTE_TARGETS)
            )
            changes.append(Change("network", False if better else None, name, logical_id, cfn_type, "removed"))
    return changes


def _references(value: Any, found: set[str]) -> set[str]:
    """Every logical id ``value`` names with ``Ref``, ``Fn::GetAtt`` or ``${X}`` in ``Fn::Sub``."""
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and isinstance(arg, str):
                found.add(arg)
            elif key == "Fn::GetAtt":
                target = (
                    arg[0] if isinstance(arg, list) and arg else arg.split(".", 1)[0] if isinstance(arg, str) else None
                )
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) and arg else arg
                if isinstance(text, str):
                    found.update(part.split("}", 1)[0].split(".", 1)[0] for part in text.split("${")[1:])
                _references(arg, found)
            else:
                _references(arg, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, found)
    return found


def _edges(old_resources: dict[str, dict]) -> dict[str, set[str]]:
    """Who refers to whom in ``old_resources``, both ways (an alarm only through what it watches)."""
    edges: dict[str, set[str]] = {}
    for lid, resource in old_resources.items():
        watched: Any = resource
        if resource.get("Type") == "AWS::CloudWatch::Alarm":  # what it watches, not where it notifies
            properties = as_dict(resource.get("Properties"))
            watched = [properties.get("Dimensions"), properties.get("Metrics")]
        for target in _references(watched, set()):
            if target in old_resources and target != lid:
                edges.setdefault(lid, set()).add(target)
                edges.setdefault(target, set()).add(lid)
    return edges


def _control_removed(
    name: str,
    logical_id: str,
    cfn_type: str,
    old_resources: dict[str, dict],
    new_resources: dict[str, dict],
    edges: dict[str, set[str]],
) -> Change:
    """A removed control is worse, unless everything it protected went with it (an alarm on a
    deleted endpoint, the WAF of a deleted API): then it is shown for review."""
    protected: set[str] = set()
    seen, todo = {logical_id}, [logical_id]
    while todo:
        for neighbour in edges.get(todo.pop(), ()):
            if neighbour in seen:
                continue
            seen.add(neighbour)
            if old_resources[neighbour].get("Type") in controls.CONTROL_TYPES:
                todo.append(neighbour)
            elif not is_stateful(old_resources[neighbour].get("Type", "")) and not old_resources[neighbour].get(
                "Type", ""
            ).startswith("AWS::IAM::"):
                protected.add(neighbour)
    if protected and not protected & new_resources.keys():
        gone = ", ".join(sorted(protected)[:3]) + (f" (+{len(protected) - 3} more)" if len(protected) > 3 else "")
        return Change(
            "control", None, name, logical_id, cfn_type, f"control removed together with what it watched: {gone}"
        )
    return Change(
        "control", True, name, logical_id, cfn_type, "control removed: the resource is no longer in the template"
    )


def _resource_changes(
    name: str, old_resources: dict[str, dict], new_resources: dict[str, dict], renamed: dict[str, str] | None = None
) -> list[Change]:
    """Per-resource changes; ``renamed`` collects ``{old id: new id}`` of resources whose logical
    id changed with nothing else."""
    changes: list[Change] = []
    edges: dict[str, set[str]] | None = None  # built once, when a control was removed
    added = {lid: r for lid, r in new_resources.items() if lid not in old_resources}
    signatures: dict[tuple[str, str], str] = {}
    for lid, r in added.items():
        signatures.setdefault((r.get("Type", ""), _canon(_without_cosmetic(as_dict(r.get("Properties"))))), lid)
    for logical_id, old in old_resources.items():
        cfn_type = old.get("Type", "")
        new = new_resources.get(logical_id)
        if new is None:
            if is_stateful(cfn_type):
                new_id = signatures.get((cfn_type, _canon(_without_cosmetic(as_dict(old.get("Properties"))))))
                if new_id and renamed is not None:
                    renamed[logical_id] = new_id
                changes.extend(_stateful(name, logical_id, old, None, new_id))
            elif cfn_type in controls.CONTROL_TYPES:
                if edges is None:
                    edges = _edges(old_resources)
                changes.append(_control_removed(name, logical_id, cfn_type, old_resources, new_resources, edges))
            for label, document in iam.documents(cfn_type, as_dict(old.get("Properties"))):
                if document is not None:
                    changes.extend(
                        Change("iam", worse, name, logical_id, cfn_type, f"{label}: {message}")
                        for worse, message in iam.compare_documents(document, None)
                    )
            continue
        old_props, new_props = as_dict(old.get("Properties")), as_dict(new.get("Properties"))
        if is_stateful(cfn_type):
            changes.extend(_stateful(name, logical_id, old, new, None))
        if _canon(old_props) == _canon(new_props):
            continue
        if new.get("Type") == cfn_type:
            for worse, message in controls.weakened(cfn_type, old_props, new_props):
                changes.append(Change("control", worse, name, logical_id, cfn_type, message))
        old_docs = dict(iam.documents(cfn_type, old_props))
        for label, document in iam.documents(new.get("Type", ""), new_props):
            if _canon(old_docs.get(label)) != _canon(document):
                changes.extend(
                    Change("iam", worse, name, logical_id, cfn_type, f"{label}: {message}")
                    for worse, message in iam.compare_documents(old_docs.get(label), document)
                )
        new_labels = {label for label, _ in iam.documents(new.get("Type", ""), new_props)}
        for label, document in old_docs.items():
            if label not in new_labels and document is not None:
                changes.extend(
                    Change("iam", worse, name, logical_id, cfn_type, f"{label}: {message}")
                    for worse, message in iam.compare_documents(document, None)
                )
        for worse, message in iam.attachments(cfn_type, old_props, new_props):
            changes.append(Change("iam", worse, name, logical_id, cfn_type, message))
    for logical_id, new in added.items():
        cfn_type = new.get("Type", "")
        props = as_dict(new.get("Properties"))
        for label, document in iam.documents(cfn_type, props):
            if document is not None:
                changes.extend(
                    Change("iam", worse, name, logical_id, cfn_type, f"{label} (new resource): {message}")
                    for worse, message in iam.compare_documents(None, document)
                )
        for worse, message in iam.attachments(cfn_type, {}, props):
            changes.append(Change("iam", worse, name, logical_id, cfn_type, message))
        if cfn_type == "AWS::Lambda::Permission":
            changes.append(
                Change(
                    "iam",
                    True,
                    name,
                    logical_id,
                    cfn_type,
                    f"new invoke permission for {_canon(props.get('Principal'))} on "
                    f"{_canon(props.get('FunctionName'))}",
                )
            )
    return changes


def _open_findings(templates: dict[str, Template]) -> tuple[dict[tuple[str, str, str], Any], int]:
    findings: dict[tuple[str, str, str], Any] = {}
    for key, template in templates.items():
        for finding in check_template(template):
            if finding.acknowledged is None:
                findings[(key, finding.resource, finding.rule_id)] = finding
    return findings, sum(len(t.resources) for t in templates.values())


def _finding_changes(
    base: dict[str, Template], head: dict[str, Template], renamed: dict[tuple[str, str], str] | None = None
) -> list[Change]:
    """Findings added and resolved; a finding that moved with a renamed resource (``renamed``:
    ``{(template, old id): new id}``) is neither: the rename itself is reported."""
    # A template that did not change has the same findings on both sides: the rules skip it,
    # unless it imports values, which another stack's change can alter.
    same = {
        key
        for key in base.keys() & head.keys()
        if base[key].body == head[key].body and "Fn::ImportValue" not in json.dumps(head[key].body)
    }
    old, _ = _open_findings({k: t for k, t in base.items() if k not in same})
    new, _ = _open_findings({k: t for k, t in head.items() if k not in same})
    for key, logical_id, rule in list(old):
        moved = (renamed or {}).get((key, logical_id))
        if moved and (key, moved, rule) in new:
            del old[(key, logical_id, rule)], new[(key, moved, rule)]
    changes = []
    for key in sorted(new.keys() - old.keys(), key=lambda k: (k[2], k[0], k[1])):
        f = new[key]
        changes.append(
            Change(
                "finding", True, f.template, f.resource, f.resource_type, f"new {f.level.value}: {f.message}", f.rule_id
            )
        )
    for key in sorted(old.keys() - new.keys(), key=lambda k: (k[2], k[0], k[1])):
        f = old[key]
        changes.append(
            Change(
                "finding",
                False,
                f.template,
                f.resource,
                f.resource_type,
                f"resolved {f.level.value}: {f.message}",
                f.rule_id,
            )
        )
    return changes


def _acknowledgment_changes(
    where: str, old: dict[tuple[str, str], str], new: dict[tuple[str, str], str], types: dict[str, str]
) -> list[Change]:
    changes = []
    for key in sorted(new.keys() | old.keys()):
        resource, rule = key
        cfn_type = types.get(resource, "")
        if key not in old:
            changes.append(
                Change(
                    "acknowledgment",
                    True,
                    where,
                    resource,
                    cfn_type,
                    f"{rule} acknowledged: {new[key] or '(no reason given)'}",
                    rule,
                )
            )
        elif key not in new:
            changes.append(
                Change(
                    "acknowledgment",
                    False,
                    where,
                    resource,
                    cfn_type,
                    f"{rule} no longer acknowledged (was: {old[key]})",
                    rule,
                )
            )
        elif old[key] != new[key]:
            changes.append(
                Change(
                    "acknowledgment",
                    True,
                    where,
                    resource,
                    cfn_type,
                    f"{rule} reason changed: {old[key]!r} -> {new[key]!r}",
                    rule,
                )
            )
    return changes


def diff_sides(base: Side, head: Side) -> DiffReport:
    """Every security-relevant change from ``base`` to ``head``."""
    link_exports(base.templates.values())
    link_exports(head.templates.values())
    changes: list[Change] = []
    renamed: dict[tuple[str, str], str] = {}
    for key in sorted(base.templates.keys() | head.templates.keys()):
        old_template, new_template = base.templates.get(key), head.templates.get(key)
        name = (new_template or old_template).name  # type: ignore[union-attr]
        old_resources = _resources(old_template) if old_template else {}
        new_resources = _resources(new_template) if new_template else {}
        moved: dict[str, str] = {}
        changes.extend(_resource_changes(name, old_resources, new_resources, moved))
        renamed.update({(key, old_id): new_id for old_id, new_id in moved.items()})
        changes.extend(_network(name, old_resources, new_resources))
        types = {lid: r.get("Type", "") for lid, r in {**old_resources, **new_resources}.items()}
        changes.extend(
            _acknowledgment_changes(
                name,
                template_acknowledgments(old_template) if old_template else {},
                template_acknowledgments(new_template) if new_template else {},
                types,
            )
        )
    changes.extend(_finding_changes(base.templates, head.templates, renamed))
    changes.extend(
        _acknowledgment_changes(
            "validation-report.json", base.reported_acknowledgments, head.reported_acknowledgments, {}
        )
    )
    order = {kind: i for i, kind in enumerate(KINDS)}
    changes.sort(key=lambda c: (order[c.kind], {True: 0, None: 1, False: 2}[c.worse], c.template, c.resource))
    return DiffReport(
        changes=changes,
        templates=len(base.templates.keys() | head.templates.keys()),
        resources=sum(len(t.resources) for t in head.templates.values()),
    )


def diff_templates(base: dict[str, Any], head: dict[str, Any]) -> DiffReport:
    """:func:`diff_sides` on templates given as ``{name: template body}`` (dicts)."""
    return diff_sides(
        Side({name: Template(body, name=name) for name, body in base.items()}),
        Side({name: Template(body, name=name) for name, body in head.items()}),
    )


def load_side(path: str, *, account: str | None = None) -> Side:
    """The templates under ``path`` (a file, a folder or a cloud assembly), keyed by their path
    relative to it, and an assembly's reported acknowledgments."""
    from secure_sagemaker.nag.loader import TEMPLATE_SUFFIXES, load_paths

    loaded = load_paths([path], account=account)
    root = Path(path)
    templates: dict[str, Template] = {}
    for item in loaded:
        relative = Path(item.path.name) if root.is_file() else item.path.relative_to(root)
        # a YAML template and its JSON conversion pair with each other
        key = (
            relative.with_suffix("").as_posix() if relative.suffix.lower() in TEMPLATE_SUFFIXES else relative.as_posix()
        )
        templates[key] = Template(item.body, name=relative.as_posix(), account=item.account, lines=item.lines)
    reported = report_acknowledgments(root) if (root / "manifest.json").is_file() else {}
    return Side(templates, reported)


def diff_paths(base: str, head: str, *, account: str | None = None) -> DiffReport:
    """Load both sides and diff them; a single template on each side is paired whatever its name."""
    old, new = load_side(base, account=account), load_side(head, account=account)
    if len(old.templates) == 1 and len(new.templates) == 1 and old.templates.keys() != new.templates.keys():
        (key,) = new.templates
        (old_template,) = old.templates.values()
        old.templates = {key: old_template}
    return diff_sides(old, new)
