"""Which SageMaker instance types have local (NVMe) instance storage.

SageMaker rejects a volume key (``KmsKeyId`` of an endpoint config, ``VolumeKmsKeyId`` of a job)
on Nitro instance types with local instance storage, whose volumes a hardware module on the
instance encrypts (SageMaker API Reference, ``CreateEndpointConfig.KmsKeyId`` and
``ResourceConfig.VolumeKmsKeyId``; the list of such types is the Developer Guide's "Instance
storage volumes" page, https://docs.aws.amazon.com/sagemaker/latest/dg/host-instance-storage.html,
and EC2's instance store table, https://docs.aws.amazon.com/ec2/latest/instancetypes/).

The constructs leave the volume key out for these types, the guardrails exempt them from the
volume-key denies, and the rules do not report them: the hardware encryption is the control, not
a weaker setting. Pure Python, so the rule engine (and ``audit``) can import it without the CDK.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

#: SageMaker ML instance families whose instances carry NVMe instance store volumes. A family
#: is the part between ``ml.`` and the size: ``ml.g5.xlarge`` is family ``g5``.
INSTANCE_STORAGE_FAMILIES: frozenset[str] = frozenset(
    {
        # General purpose, compute and memory optimized with local NVMe ("d" types).
        "c5d",
        "c6gd",
        "c6id",
        "c7gd",
        "m5d",
        "m6gd",
        "m6id",
        "m7gd",
        "r5d",
        "r6gd",
        "r6id",
        "r7gd",
        # Accelerated computing.
        "g4ad",
        "g4dn",
        "g5",
        "g6",
        "g6e",
        "gr6",
        "p3dn",
        "p4d",
        "p4de",
        "p5",
        "p5e",
        "p5en",
        "p6-b200",
        "dl1",
        "trn1",
        "trn1n",
        "trn2",
    }
)

#: An ``ml.<family>.<size>`` instance type; the family (group 1) may hold a "-" (``p6-b200``).
INSTANCE_TYPE = re.compile(r"^ml\.([a-z0-9-]+)\.[a-z0-9]+$")


def instance_family(instance_type: Any) -> str | None:
    """The family of an ``ml.*`` instance type (``ml.g5.xlarge`` -> ``g5``), or None when
    ``instance_type`` is not a literal ``ml.<family>.<size>`` string."""
    if not isinstance(instance_type, str):
        return None
    match = INSTANCE_TYPE.match(instance_type)
    return match.group(1) if match else None


def has_instance_storage(instance_type: Any, families: Iterable[str] | None = None) -> bool:
    """True when ``instance_type`` is of a family with local instance storage, so SageMaker
    rejects a volume key for it. ``families`` overrides :data:`INSTANCE_STORAGE_FAMILIES`."""
    family = instance_family(instance_type)
    table = INSTANCE_STORAGE_FAMILIES if families is None else frozenset(families)
    return family is not None and family in table
