"""The `audit` and `rules` sub-commands of `secure-sagemaker` (registered in ``cli.COMMANDS``).

Neither imports the CDK: `audit` reads templates with the pure-Python rule engine, so it needs
no Node.js and no CDK app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from secure_sagemaker.nag.rule import Level

Handler = Callable[[argparse.Namespace], int]


def fail(command: str, message: str) -> int:
    """Say ``message`` on one line of standard error, for sub-command ``command``; exit status 2."""
    print(f"secure-sagemaker {command}: {message}", file=sys.stderr)
    return 2


def add_account_and_output(parser: argparse.ArgumentParser) -> None:
    """The ``--account`` and ``--output`` options that the template-reading commands share."""
    parser.add_argument(
        "--account",
        metavar="ID",
        help="the 12-digit account the templates deploy to, to compare literal account ids with",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE instead of standard output; FILE is left alone when the input cannot be read",
    )


def account_problem(command: str, account: str | None) -> int | None:
    """Exit status 2 (with the message) when ``--account`` is given but is no 12-digit account id."""
    if account is not None and not (account.isdigit() and len(account) == 12):
        return fail(command, f"--account {account!r} is not a 12-digit AWS account id")
    return None


def write_report(command: str, text: str, output: str | None) -> int | None:
    """``text`` to standard output, or to ``--output``; exit status 2 when that file cannot be written."""
    if output is None:
        sys.stdout.write(text)
        return None
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        return fail(command, f"cannot write --output {output}: {exc.strerror or exc}")
    return None


def one_line_errors(command: str, handler: Handler) -> Handler:
    """``handler``, with an interruption or an unexpected error reported on one line (exit status 2),
    never as a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except KeyboardInterrupt:
            return fail(command, "interrupted")
        except Exception as exc:  # noqa: BLE001 - one line, never a traceback
            return fail(command, f"internal error: {type(exc).__name__}: {' '.join(str(exc).split())}")

    return run


def add_audit(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "audit",
        help="check CloudFormation templates (JSON, YAML or a cdk.out folder) against the SageMakerSecurity rules",
        description=(
            "Check CloudFormation templates against the SageMakerSecurity rules, without Node.js or a CDK app. "
            "Templates using AWS::LanguageExtensions are expanded first, and SAM templates are translated when "
            "aws-sam-translator is installed (the sam extra); a part that cannot be expanded is reported as a warning. "
            "Exit status: 0 when no unacknowledged error, 1 when there is one, 2 for usage errors or input that is "
            "unreadable or that CloudFormation would reject (a resource without Type, an unknown function, a Ref to "
            "an undeclared name, a dependency cycle, a YAML alias bomb...)."
        ),
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="template files, folders, or cloud assemblies (cdk.out)"
    )
    parser.add_argument(
        "--format", choices=("text", "json", "sarif"), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--min-level",
        choices=[level.value for level in Level],
        default=Level.WARNING.value,
        help="hide findings below this level (default: warning); errors always set the exit status",
    )
    add_account_and_output(parser)

    def run(args: argparse.Namespace) -> int:
        import gc

        # The templates are trees of plain data, without reference cycles: the cyclic garbage
        # collector has nothing to find in them, and on 5,000 resources it costs about a tenth.
        gc.disable()
        try:
            return _audit(args)
        finally:
            gc.enable()

    return one_line_errors("audit", run)


def _audit(args: argparse.Namespace) -> int:
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.loader import TemplateError, load_paths
    from secure_sagemaker.nag.output import AuditReport, render_json, render_sarif, render_text
    from secure_sagemaker.nag.structure import StructureError, check_structure
    from secure_sagemaker.nag.template import Template, link_exports
    from secure_sagemaker.nag.transforms import expand

    problem = account_problem("audit", args.account)
    if problem is not None:
        return problem
    try:
        loaded = load_paths(args.paths, account=args.account)
    except TemplateError as exc:
        return fail("audit", str(exc))
    findings = []
    resources = 0
    templates = []
    for item in loaded:
        body, unexpanded = expand(item.body)
        try:
            references = check_structure(body, names_known=not unexpanded)
        except StructureError as exc:
            return fail("audit", f"{item.display}: {exc}")
        templates.append(
            Template(
                body,
                name=item.display,
                account=item.account,
                lines=item.lines,
                unexpanded=unexpanded,
                references=references,
            )
        )
    link_exports(templates)
    for template in templates:
        resources += len(template.resources)
        findings.extend(check_template(template))
    report = AuditReport(templates=loaded, resources=resources, findings=findings, min_level=Level(args.min_level))
    render = {"text": render_text, "json": render_json, "sarif": render_sarif}[args.format]
    problem = write_report("audit", render(report) + "\n", args.output)
    return report.exit_code if problem is None else problem


def add_rules(subparsers: argparse._SubParsersAction) -> Handler:
    parser = subparsers.add_parser(
        "rules",
        help="list the SageMakerSecurity rules (docs/RULES.md is `rules --format markdown`)",
    )
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="output format (default: text)")

    def run(args: argparse.Namespace) -> int:
        from secure_sagemaker.nag.output import render_rules_markdown, render_rules_text

        text = render_rules_markdown() if args.format == "markdown" else render_rules_text()
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return 0

    return run
