"""The `diff` sub-command of `secure-sagemaker` (registered in ``cli.COMMANDS``); no CDK import."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

Handler = Callable[[argparse.Namespace], int]


def _fail(message: str) -> int:
    print(f"secure-sagemaker diff: {message}", file=sys.stderr)
    return 2


def add_diff(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "diff",
        help="what HEAD changes for security against BASE (two cloud assemblies, folders or templates)",
        description=(
            "Compare two cloud assemblies (cdk.out), folders of templates or templates, JSON or YAML: nag findings "
            "added and removed, controls weakened, IAM permissions added or broadened, security-group and network "
            "changes, stateful resources replaced or deleted, acknowledgments added or changed. "
            "Exit status: 0 when HEAD is no worse, 1 when it is worse, 2 for usage errors or unreadable input."
        ),
    )
    parser.add_argument("base", metavar="BASE", help="the version before the change (cdk.out, folder or template)")
    parser.add_argument("head", metavar="HEAD", help="the version after the change")
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--account", metavar="ID", help="the 12-digit account the templates deploy to")
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE instead of standard output; FILE is left alone when the input cannot be read",
    )

    def run(args: argparse.Namespace) -> int:
        try:
            return _diff(args)
        except KeyboardInterrupt:
            return _fail("interrupted")
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            return _fail(f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}")

    return run


def _diff(args: argparse.Namespace) -> int:
    from secure_sagemaker.nag.loader import TemplateError
    from secure_sagemaker.securitydiff.engine import diff_paths
    from secure_sagemaker.securitydiff.output import RENDERERS

    if args.account is not None and not (args.account.isdigit() and len(args.account) == 12):
        return _fail(f"--account {args.account!r} is not a 12-digit AWS account id")
    try:
        report = diff_paths(args.base, args.head, account=args.account)
    except TemplateError as exc:
        return _fail(str(exc))
    text = RENDERERS[args.format](report) + "\n"
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return _fail(f"cannot write --output {args.output}: {exc.strerror or exc}")
    return report.exit_code
