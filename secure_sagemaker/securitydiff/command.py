"""The `diff` sub-command of `secure-sagemaker` (registered in ``cli.COMMANDS``); no CDK import."""

from __future__ import annotations

import argparse

from secure_sagemaker.nag.commands import (
    Handler,
    account_problem,
    add_account_and_output,
    fail,
    one_line_errors,
    write_report,
)


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
    parser.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", help="output format (default: text)"
    )
    add_account_and_output(parser)
    return one_line_errors("diff", _diff)


def _diff(args: argparse.Namespace) -> int:
    from secure_sagemaker.nag.loader import TemplateError
    from secure_sagemaker.securitydiff.engine import diff_paths
    from secure_sagemaker.securitydiff.output import RENDERERS

    problem = account_problem("diff", args.account)
    if problem is not None:
        return problem
    try:
        report = diff_paths(args.base, args.head, account=args.account)
    except TemplateError as exc:
        return fail("diff", str(exc))
    problem = write_report("diff", RENDERERS[args.format](report) + "\n", args.output)
    return report.exit_code if problem is None else problem
