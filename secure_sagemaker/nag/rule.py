"""What a rule is, what it returns, and the registry every front end reads.

A rule is one plain function over one :class:`~secure_sagemaker.nag.template.Resource` (its
template is ``resource.template``). It returns ``None`` when the resource complies (or the rule
does not apply to it), :func:`fail` when it does not, and :func:`unverifiable` when a value it
needs is present but cannot be verified from the template. A rule may return a list of those.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence, Union

from secure_sagemaker.nag.template import Resource, Unresolved, first_sentence

#: The pack name: rule ids read ``SageMakerSecurity-<Rule>`` and acknowledgment ids
#: ``SageMakerSecurity::SageMakerSecurity-<Rule>``, as for the stock cdk-nag packs.
PACK_NAME = "SageMakerSecurity"


class Level(str, enum.Enum):
    """How serious a finding is: errors fail synth and `audit`, warnings are advice."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1}[self.value]

    def __str__(self) -> str:
        return self.value


ERROR = Level.ERROR
WARNING = Level.WARNING


@dataclass(frozen=True)
class Verdict:
    """A rule's verdict on one resource: it fails, or it cannot be verified."""

    failed: bool
    message: str


def fail(message: str) -> Verdict:
    """The resource does not comply; ``message`` says what is wrong on this resource."""
    return Verdict(True, message)


def unverifiable(message: str | Unresolved) -> Verdict:
    """A value the rule needs is present but cannot be verified from the template."""
    return Verdict(False, str(message))


Result = Union[None, Verdict, Sequence[Verdict]]
Check = Callable[[Resource], Result]


@dataclass(frozen=True)
class Rule:
    """A rule: what it checks, how serious it is, why, how to fix it, and what practice it enforces."""

    id: str
    level: Level
    resource_types: tuple[str, ...]
    info: str
    explanation: str
    fix: str
    practices: tuple[str, ...]
    threats: tuple[str, ...]
    check: Check = field(repr=False, compare=False)

    @property
    def full_id(self) -> str:
        """The id findings carry: ``SageMakerSecurity-<Rule>``."""
        return f"{PACK_NAME}-{self.id}"

    @property
    def acknowledgment_id(self) -> str:
        """The id to pass to ``Validations.of(x).acknowledge``: ``SageMakerSecurity::SageMakerSecurity-<Rule>``."""
        return f"{PACK_NAME}::{self.full_id}"

    @property
    def summary(self) -> str:
        """The rule function's one-sentence docstring."""
        return first_sentence(self.check.__doc__)


#: Every registered rule, by id, in registration order (grouped by service module).
REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    level: Level,
    resource_types: str | Iterable[str],
    *,
    info: str,
    explanation: str,
    fix: str,
    practices: Iterable[str],
    threats: Iterable[str] = (),
) -> Callable[[Check], Check]:
    """Register the decorated function as rule ``id``."""

    def register(check: Check) -> Check:
        if id in REGISTRY:
            raise ValueError(f"rule {id} is registered twice")
        if not (check.__doc__ or "").strip():
            raise ValueError(f"rule {id} needs a one-sentence docstring")
        types = (resource_types,) if isinstance(resource_types, str) else tuple(resource_types)
        REGISTRY[id] = Rule(
            id=id,
            level=level,
            resource_types=types,
            info=info,
            explanation=explanation,
            fix=fix,
            practices=tuple(practices),
            threats=tuple(threats),
            check=check,
        )
        return check

    return register


def all_rules() -> tuple[Rule, ...]:
    """Every rule of the pack, in catalogue order."""
    import secure_sagemaker.nag.rules  # noqa: F401  (registers the rules)

    return tuple(REGISTRY.values())


def get_rule(rule_id: str) -> Rule:
    """The rule with ``rule_id`` (bare, ``SageMakerSecurity-`` prefixed or namespaced)."""
    bare = rule_id.split("::")[-1]
    if bare.startswith(f"{PACK_NAME}-"):
        bare = bare[len(PACK_NAME) + 1 :]
    for r in all_rules():
        if r.id == bare:
            return r
    raise KeyError(rule_id)


def verdicts(result: Any) -> list[Verdict]:
    """A rule's return value as a list of verdicts, dropping anything that is not one."""
    if result is None:
        return []
    if isinstance(result, Verdict):
        return [result]
    if isinstance(result, (list, tuple)):
        return [v for v in result if isinstance(v, Verdict)]
    return []
