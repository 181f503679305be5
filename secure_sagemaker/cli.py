"""The `secure-sagemaker` command line.

Sub-commands register themselves in ``COMMANDS``: each is a function that adds its parser and
returns the handler. Handlers return the process exit code.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _add_summary(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "summary",
        help="summarise a cloud assembly: stacks, resources and nag findings per pack",
    )
    parser.add_argument("assembly", nargs="?", default="cdk.out", help="cloud assembly folder (default: cdk.out)")

    def run(args: argparse.Namespace) -> int:
        from secure_sagemaker.report import AssemblyError, render_summary, summarise

        try:
            summary = summarise(args.assembly)
        except AssemblyError as exc:
            print(f"secure-sagemaker summary: {exc}", file=sys.stderr)
            return 2
        print(render_summary(summary))
        return 1 if summary.unacknowledged else 0

    return run


def _add_acknowledgments(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "acknowledgments",
        help="list the acknowledged nag findings of a cloud assembly as Markdown (docs/acknowledgments.md)",
    )
    parser.add_argument("assembly", nargs="?", default="cdk.out", help="cloud assembly folder (default: cdk.out)")

    def run(args: argparse.Namespace) -> int:
        from secure_sagemaker.report import AssemblyError, acknowledgments_markdown

        try:
            print(acknowledgments_markdown(args.assembly), end="")
        except AssemblyError as exc:
            print(f"secure-sagemaker acknowledgments: {exc}", file=sys.stderr)
            return 2
        return 0

    return run


def _add_diagram(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "diagram", help="draw the templates of a cloud assembly as Mermaid (docs/architecture.md)"
    )
    parser.add_argument("path", nargs="?", default="cdk.out", help="cloud assembly folder or template (default: cdk.out)")

    def run(args: argparse.Namespace) -> int:
        from secure_sagemaker.diagram import DiagramError, markdown

        try:
            print(markdown(args.path), end="")
        except DiagramError as exc:
            print(f"secure-sagemaker diagram: {exc}", file=sys.stderr)
            return 2
        return 0

    return run


COMMANDS: list[Callable[[argparse._SubParsersAction], Handler]] = [_add_summary, _add_acknowledgments, _add_diagram]

# `audit` and `rules` (the SageMakerSecurity rule engine; pure Python, no CDK import).
from secure_sagemaker.nag.commands import add_audit, add_rules  # noqa: E402

COMMANDS += [add_audit, add_rules]


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
