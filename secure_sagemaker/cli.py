"""The `secure-sagemaker` command line.

Sub-commands register themselves in ``COMMANDS``: each is a function that adds its parser and
returns the handler. Handlers return the process exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from secure_sagemaker.diagram import DiagramError, markdown
from secure_sagemaker.nag.acknowledged import acknowledgments_markdown
from secure_sagemaker.nag.commands import add_audit, add_rules
from secure_sagemaker.preflight import add_preflight
from secure_sagemaker.report import AssemblyError, render_summary, summarise
from secure_sagemaker.securitydiff.command import add_diff

Handler = Callable[[argparse.Namespace], int]


def _add_summary(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "summary",
        help="summarise a cloud assembly: stacks, resources and nag findings per pack",
    )
    parser.add_argument("assembly", nargs="?", default="cdk.out", help="cloud assembly folder (default: cdk.out)")

    def run(args: argparse.Namespace) -> int:
        try:
            summary = summarise(args.assembly)
        except AssemblyError as exc:
            print(f"secure-sagemaker summary: {exc}", file=sys.stderr)
            return 2
        print(render_summary(summary))
        return 1 if summary.unacknowledged else 0

    return run


def _document_command(
    name: str, help: str, render: Callable[[str], str], error: type[Exception]
) -> Callable[[argparse._SubParsersAction], Handler]:
    """A command that prints ``render(path)``, a generated document, or exits 2 on ``error``."""

    def add(subparsers: argparse._SubParsersAction) -> Handler:
        parser = subparsers.add_parser(name, help=help)
        parser.add_argument("path", nargs="?", default="cdk.out", help="cloud assembly folder (default: cdk.out)")

        def run(args: argparse.Namespace) -> int:
            try:
                print(render(args.path), end="")
            except error as exc:
                print(f"secure-sagemaker {name}: {exc}", file=sys.stderr)
                return 2
            return 0

        return run

    return add


def _catalogue_command(name: str, help: str, render: str) -> Callable[[argparse._SubParsersAction], Handler]:
    """A command that prints a document rendered from the practice catalogue (no CDK import)."""

    def add(subparsers: argparse._SubParsersAction) -> Handler:
        subparsers.add_parser(name, help=help)

        def run(_args: argparse.Namespace) -> int:
            from secure_sagemaker.practices import render as documents

            print(getattr(documents, render)(), end="")
            return 0

        return run

    return add


COMMANDS: list[Callable[[argparse._SubParsersAction], Handler]] = [
    _add_summary,
    _document_command(
        "acknowledgments",
        "list every acknowledgment of a cloud assembly with its reason as Markdown, those that suppressed "
        "nothing or name no rule included (docs/acknowledgments.md)",
        acknowledgments_markdown,
        AssemblyError,
    ),
    _document_command(
        "diagram",
        "draw the templates of a cloud assembly (or one template) as Mermaid (docs/architecture.md)",
        markdown,
        DiagramError,
    ),
    # the SageMakerSecurity rule engine: pure Python, no CDK import
    add_audit,
    add_diff,
    add_rules,
    _catalogue_command(
        "practices",
        "map every practice to its constructs, rules and tests as Markdown (docs/practices.md)",
        "practices_markdown",
    ),
    _catalogue_command(
        "threat-model",
        "the threat model: mitigations and residual risk per threat, as Markdown (docs/threat-model.md)",
        "threat_model_markdown",
    ),
    # reads an AWS account through boto3 (the [aws] extra), imported only when it runs
    add_preflight,
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secure-sagemaker", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Handler] = {}
    for add in COMMANDS:
        before = set(subparsers.choices)
        handler = add(subparsers)
        (name,) = set(subparsers.choices) - before
        handlers[name] = handler
    args = parser.parse_args(argv)
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
