"""cfn-lint as a server: one process lints every request of one test process, in order.

Started by ``tests.helpers.CfnLint`` (``python tests/cfn_lint_server.py``). Each request is one line
on standard input, a JSON list of template paths; each answer is one line on standard output, a
JSON object with what ``cfn-lint --format parseable -- <paths>`` would have exited with and printed
(``rc``, ``stdout``, ``stderr``). cfn-lint is imported and its schemas are loaded once, where a
process per request pays about 1.3 s of CPU for that every time.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def lint(paths: list[str]) -> dict[str, object]:
    """cfn-lint's command line on ``paths``, in this process."""
    from cfnlint.runner import main

    stdout, stderr = io.StringIO(), io.StringIO()
    sys.argv = ["cfn-lint", "--format", "parseable", "--", *paths]
    rc = 0
    # cfn-lint's log handler is created inside main(), so it writes to the redirected stderr.
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            main()
        except SystemExit as exit_:
            rc = exit_.code if isinstance(exit_.code, int) else 1
    return {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def serve() -> None:
    answers = sys.stdout
    for request in sys.stdin:
        answers.write(json.dumps(lint(json.loads(request))) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
