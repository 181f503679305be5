"""A stack whose availability zones are resolved at deploy time, never looked up at synth."""

from __future__ import annotations

import builtins

import aws_cdk as cdk

#: How many zones the stack reports; constructs here pick their own with ``Fn::GetAZs``.
_ZONES_REPORTED = 2


class DeployTimeZonesStack(cdk.Stack):
    """A ``cdk.Stack`` whose ``availability_zones`` are ``Fn::GetAZs`` tokens, also with an
    explicit account and Region.

    CDK's ``Stack.availability_zones`` turns into a context lookup (which needs AWS credentials
    and leaves ``manifest.json`` "missing" entries) as soon as a stack has a concrete
    environment, and ``ec2.Vpc`` asks for it even when given its zones. Stacks of this library
    derive from this class, so a Stage per account and Region synthesizes without credentials.
    Subclass it for your own stacks that hold a :class:`~secure_sagemaker.PrivateNetwork`.
    """

    @builtins.property
    def availability_zones(self) -> list[str]:
        """``Fn::Select`` over ``Fn::GetAZs`` for the first zones of the Region (deploy time)."""
        return [cdk.Fn.select(i, cdk.Fn.get_azs()) for i in range(_ZONES_REPORTED)]
