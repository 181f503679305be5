"""One flattener of resolved CloudFormation values into strings, in the three ways callers write them.

A resolved value (``{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ...]]}``) is flattened
by joining every ``Fn::Join`` and writing each other intrinsic in a *style*:

- :data:`TOKENS` marks each intrinsic as a JSON placeholder between :data:`TOKEN_MARK`\\ s, so two
  values built from the same tokens flatten to strings where one is a prefix of the other
  (construct-time matching of images and S3 URIs);
- :data:`NAG_IDS` writes ``<Logical.Attr>`` as cdk-nag does in its finding ids (its
  ``flattenCfnReference``), which acknowledgments must name exactly;
- :data:`READABLE` writes ``<Bucket.Arn>/models/*`` for people (``diff``'s IAM messages).

Pure Python: the ``audit`` and ``diff`` commands use it without starting Node.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

#: Marks an intrinsic inside a :data:`TOKENS`-flattened string; never in a literal.
TOKEN_MARK = "\x00"

_Recurse = Callable[[Any], str]


@dataclass(frozen=True)
class Style:
    """How :func:`flatten` writes what is not a ``Fn::Join``: literal strings, intrinsics, and the rest."""

    #: A literal string as written (``recurse`` flattens a value found inside it).
    text: Callable[[str, _Recurse], str]
    #: An intrinsic ``(name, argument)`` as written, or ``None`` to leave it to :attr:`other`.
    intrinsic: Callable[[str, Any, _Recurse], str | None]
    #: Any other value (a number, a boolean, ``None``, a structure, an intrinsic left over).
    other: Callable[[Any], str]


def flatten(value: Any, style: Style) -> str:
    """``value`` as one string: each ``Fn::Join`` joined, everything else written in ``style``."""

    def recurse(item: Any) -> str:
        return flatten(item, style)

    if isinstance(value, str):
        return style.text(value, recurse)
    if isinstance(value, dict) and len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            return str(arg[0]).join(recurse(part) for part in arg[1])
        written = style.intrinsic(name, arg, recurse)
        if written is not None:
            return written
    return style.other(value)


def _getatt(arg: Any, recurse: _Recurse) -> str:
    """``<Logical.Attr>`` for the argument of a ``Fn::GetAtt`` in either form."""
    if isinstance(arg, list):
        return "<" + ".".join(recurse(part) for part in arg) + ">"
    return f"<{arg}>"


def _no_intrinsic(name: str, arg: Any, recurse: _Recurse) -> None:
    return None


def _marked(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return TOKEN_MARK + json.dumps(value, sort_keys=True) + TOKEN_MARK


TOKENS = Style(text=lambda text, recurse: text, intrinsic=_no_intrinsic, other=_marked)


def _nag_intrinsic(name: str, arg: Any, recurse: _Recurse) -> str | None:
    if name in ("Fn::Sub", "Fn::ImportValue"):
        return recurse(arg)
    if name == "Fn::GetAtt":
        return _getatt(arg, recurse)
    if name == "Ref":
        return f"<{recurse(arg)}>"
    return None


NAG_IDS = Style(
    text=lambda text, recurse: text.replace("${", "<").replace("}", ">"),
    intrinsic=_nag_intrinsic,
    other=lambda value: "" if value is None else json.dumps(value, separators=(",", ":")),
)


def _readable_text(text: str, recurse: _Recurse) -> str:
    """A string, or the JSON value it holds (``diff`` compares grants by their JSON)."""
    if text.startswith("{") or text.startswith("["):
        try:
            return recurse(json.loads(text))
        except ValueError:
            return text
    return text


def _readable_intrinsic(name: str, arg: Any, recurse: _Recurse) -> str | None:
    if name == "Ref":
        return f"<{arg}>"
    if name == "Fn::GetAtt":
        return _getatt(arg, str)
    if name == "Fn::Sub":
        return str(arg[0] if isinstance(arg, list) and arg else arg)
    return None


READABLE = Style(
    text=_readable_text,
    intrinsic=_readable_intrinsic,
    other=lambda value: json.dumps(value, sort_keys=True, default=str),
)
