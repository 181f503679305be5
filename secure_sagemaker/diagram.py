"""An architecture picture drawn from a synthesized template, as a Mermaid flowchart.

Nothing is drawn by hand: nodes are the template's security-relevant resources and edges are the
``Ref`` / ``Fn::GetAtt`` references between them, labelled with the property that makes them
(``KmsKeyId``, ``VpcConfig``, ...). GitHub renders the result without any binary dependency.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

#: Resource types drawn, with their label and the group (subgraph) they belong to.
DRAWN: dict[str, tuple[str, str]] = {
    "AWS::EC2::VPC": ("VPC", "network"),
    "AWS::EC2::Subnet": ("isolated subnet", "network"),
    "AWS::EC2::SecurityGroup": ("security group", "network"),
    "AWS::EC2::VPCEndpoint": ("VPC endpoint", "network"),
    "AWS::EC2::FlowLog": ("flow log", "network"),
    "AWS::SageMaker::Domain": ("Studio domain", "sagemaker"),
    "AWS::SageMaker::UserProfile": ("user profile", "sagemaker"),
    "AWS::SageMaker::NotebookInstance": ("notebook instance", "sagemaker"),
    "AWS::SageMaker::Model": ("model", "sagemaker"),
    "AWS::SageMaker::EndpointConfig": ("endpoint config", "sagemaker"),
    "AWS::SageMaker::Endpoint": ("endpoint", "sagemaker"),
    "AWS::ApiGateway::RestApi": ("REST API", "edge"),
    "AWS::ApiGateway::Stage": ("API stage", "edge"),
    "AWS::WAFv2::WebACL": ("web ACL", "edge"),
    "AWS::WAFv2::WebACLAssociation": ("web ACL association", "edge"),
    "AWS::WAFv2::LoggingConfiguration": ("WAF logging", "edge"),
    "AWS::S3::Bucket": ("bucket", "data"),
    "AWS::ECR::Repository": ("ECR repository", "data"),
    "AWS::KMS::Key": ("KMS key", "keys"),
    "AWS::IAM::Role": ("IAM role", "identity"),
    "AWS::Logs::LogGroup": ("log group", "audit"),
    "AWS::CloudTrail::Trail": ("CloudTrail trail", "audit"),
    "AWS::GuardDuty::Detector": ("GuardDuty detector", "audit"),
    "AWS::Events::Rule": ("EventBridge rule", "audit"),
    "AWS::SNS::Topic": ("alert topic", "audit"),
}

GROUPS = {
    "network": "Private network",
    "sagemaker": "SageMaker",
    "edge": "Inference API",
    "data": "Data and models",
    "keys": "Customer-managed keys",
    "identity": "Identity",
    "audit": "Audit and detection",
}

#: Interface endpoints are many and alike: they are drawn as one node listing their services.
_ENDPOINTS_NODE = "InterfaceEndpoints"
_HASH = re.compile(r"[0-9A-F]{8}$")


class DiagramError(Exception):
    """The input is not a template or cloud assembly that can be drawn."""


def _references(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(logical id, top-level property) for every Ref / GetAtt / Sub reference inside ``value``."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"], path
        elif "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) and target else str(target).split(".")[0]
            yield name, path
        elif "Fn::Sub" in value:
            text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]
            for match in re.finditer(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}", str(text)):
                yield match.group(1), path
        for key, inner in value.items():
            yield from _references(inner, path or key)
    elif isinstance(value, list):
        for inner in value:
            yield from _references(inner, path)


def _short(logical_id: str) -> str:
    """A readable name: the logical id without its hash (``BaselineDataBucket84344E3C`` -> ``BaselineDataBucket``)."""
    return _HASH.sub("", logical_id) or logical_id


def _endpoint_service(props: dict) -> str:
    """The service part of an endpoint's ServiceName (``com.amazonaws.<region>.sagemaker.api`` -> ``sagemaker.api``)."""
    name = props.get("ServiceName")
    if isinstance(name, dict) and isinstance(name.get("Fn::Join"), list) and len(name["Fn::Join"]) == 2:
        text = "".join(part if isinstance(part, str) else "<region>" for part in name["Fn::Join"][1])
    else:
        text = str(name)
    if "<region>." in text:
        return text.split("<region>.", 1)[1]
    return ".".join(text.split(".")[3:]) or text


def mermaid(template: dict, title: str = "") -> str:
    """The Mermaid flowchart of ``template``'s security-relevant resources and their references."""
    resources = template.get("Resources", {})
    if not isinstance(resources, dict):
        raise DiagramError("the template's Resources is not a mapping")
    drawn = {k: v for k, v in resources.items() if isinstance(v, dict) and v.get("Type") in DRAWN}
    interface = {
        k
        for k, v in drawn.items()
        if v["Type"] == "AWS::EC2::VPCEndpoint" and (v.get("Properties") or {}).get("VpcEndpointType") == "Interface"
    }
    short = {k: _short(k) for k in drawn}
    clashes = {name for name in short.values() if list(short.values()).count(name) > 1}
    node_of = {k: _ENDPOINTS_NODE if k in interface else (k if short[k] in clashes else short[k]) for k in drawn}
    resource_of = {node: k for k, node in node_of.items() if node != _ENDPOINTS_NODE}

    lines = ["flowchart LR"]
    if title:
        lines.insert(0, f"%% {title}")
    for group, caption in GROUPS.items():
        members = sorted({node_of[k] for k, v in drawn.items() if DRAWN[v["Type"]][1] == group})
        if not members:
            continue
        lines.append(f'  subgraph {group}["{caption}"]')
        for node in members:
            if node == _ENDPOINTS_NODE:
                services = sorted({_endpoint_service(drawn[k].get("Properties") or {}) for k in interface})
                label = f"{len(interface)} interface endpoints<br/>{', '.join(services)}"
            else:
                label = f"{DRAWN[drawn[resource_of[node]]['Type']][0]}<br/>{node}"
            lines.append(f'    {node}["{label}"]')
        lines.append("  end")
    edges: set[tuple[str, str, str]] = set()
    for source, resource in drawn.items():
        for target, prop in _references(resource.get("Properties") or {}):
            if target in drawn and node_of[target] != node_of[source]:
                edges.add((node_of[source], prop, node_of[target]))
    lines += [f"  {a} -->|{prop}| {b}" if prop else f"  {a} --> {b}" for a, prop, b in sorted(edges)]
    return "\n".join(lines) + "\n"


def templates_in(path: str | Path) -> list[Path]:
    """The templates to draw: a template file itself, or every ``*.template.json`` of a cloud assembly."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(path.glob("*.template.json"))
        if found:
            return found
        raise DiagramError(f"{path}: no *.template.json (run `make synth` first)")
    raise DiagramError(f"{path}: no such file or folder")


def markdown(path: str | Path) -> str:
    """``docs/architecture.md``: one Mermaid diagram per template under ``path``."""
    parts = [
        "# Architecture",
        "",
        "Generated by `secure-sagemaker diagram` from the synthesized templates. Nodes are the "
        "templates' resources, edges the references between them, labelled with the property "
        "that makes them.",
    ]
    for template_path in templates_in(path):
        try:
            template = json.loads(template_path.read_text())
        except (OSError, ValueError) as exc:
            raise DiagramError(f"{template_path}: cannot read JSON ({exc})") from exc
        if not isinstance(template, dict):
            raise DiagramError(f"{template_path}: not a CloudFormation template")
        name = template_path.name.removesuffix(".template.json")
        parts += ["", f"## {name}", "", "```mermaid", mermaid(template).rstrip(), "```"]
    return "\n".join(parts) + "\n"
