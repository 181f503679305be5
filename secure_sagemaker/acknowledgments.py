"""Acknowledging nag findings the one way this library does it.

Every acknowledgment names the full rule id (``<pack>::<rule>``) on the narrowest construct and
carries a reason a security reviewer would accept. ``docs/acknowledgments.md`` lists each one and
a test compares that list with what the baseline records.
"""

from __future__ import annotations

from typing import Iterable

import aws_cdk as cdk
from constructs import IConstruct

#: The stock cdk-nag packs, by the prefix their rule ids carry.
STOCK_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def rule_id(rule: str) -> str:
    """The acknowledgment id for ``rule`` (``AwsSolutions-S1`` -> ``AwsSolutions::AwsSolutions-S1``)."""
    if "::" in rule.split("[", 1)[0]:
        return rule
    pack = rule.split("-", 1)[0]
    return f"{pack}::{rule}"


def acknowledge(construct: IConstruct, rules: Iterable[str], reason: str) -> None:
    """Acknowledge each of ``rules`` on ``construct`` (and its children) with ``reason``."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledge: reason {reason!r} is too short to convince a reviewer")
    acks = [cdk.Acknowledgment(id=rule_id(r), reason=reason) for r in rules]
    if acks:
        cdk.Validations.of(construct).acknowledge(*acks)
