"""What "stateful" means, for `diff` and for the baseline's manifest of stateful resources.

A stateful resource holds data, or the key to data: replacing or deleting it loses that data (a
new, empty bucket; a key whose ciphertexts no longer decrypt). The types and the properties whose
change makes CloudFormation replace them come from ``stateful.json``, which
``scripts/stateful_table.py`` generates from cfn-lint's resource schemas.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

_TABLE = Path(__file__).with_name("stateful.json")


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    data = json.loads(_TABLE.read_text(encoding="utf-8"))
    return {cfn_type: tuple(names) for cfn_type, names in data["types"].items()}


def stateful_types() -> frozenset[str]:
    """Every stateful CloudFormation type."""
    return frozenset(_table())


def is_stateful(cfn_type: str) -> bool:
    """True when replacing or deleting a resource of ``cfn_type`` loses data."""
    return cfn_type in _table()


def create_only_properties(cfn_type: str) -> tuple[str, ...]:
    """The top-level properties of ``cfn_type`` whose change replaces the resource (empty if none)."""
    return _table().get(cfn_type, ())


STATEFUL_TYPES = stateful_types()


def stateful_manifest(templates: dict[str, dict]) -> dict[str, dict[str, str]]:
    """``{stack: {logical id: type}}`` of every stateful resource of ``templates`` (``{stack: body}``):
    what ``docs/stateful-resources.json`` pins for the baseline."""
    manifest: dict[str, dict[str, str]] = {}
    for stack, body in sorted(templates.items()):
        resources = body.get("Resources") if isinstance(body, dict) else None
        manifest[stack] = {
            logical_id: resource["Type"]
            for logical_id, resource in sorted((resources or {}).items())
            if isinstance(resource, dict) and is_stateful(str(resource.get("Type")))
        }
    return manifest
