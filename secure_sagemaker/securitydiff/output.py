"""`diff` reports as text, Markdown (a pull-request comment) and JSON."""

from __future__ import annotations

import json

from secure_sagemaker.securitydiff.engine import KINDS, Change, DiffReport

_MARK = {True: "WORSE ", False: "better", None: "review"}
#: Changes listed per section of a Markdown comment (GitHub limits a comment to 65,536 characters).
MARKDOWN_LIMIT = 40
_MD_MARK = {True: "🔴", False: "🟢", None: "⚪"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(report: DiffReport) -> str:
    """One line: worse or not, and the counts."""
    worse, better = len(report.worse), len(report.better)
    compared = f"{_plural(report.templates, 'template')}, {_plural(report.resources, 'resource')} in HEAD"
    if worse:
        return (
            f"HEAD is worse than BASE: {_plural(worse, 'change')} for the worse, {better} for the better ({compared})"
        )
    if better:
        return f"HEAD is no worse than BASE: {_plural(better, 'change')} for the better ({compared})"
    return f"HEAD is no worse than BASE: no security-relevant change ({compared})"


def _where(change: Change) -> str:
    what = f"{change.template} {change.resource}" if change.resource else change.template
    return f"{what} ({change.resource_type})" if change.resource_type else what


def _grouped(report: DiffReport) -> dict[str, list[Change]]:
    groups: dict[str, list[Change]] = {}
    for change in report.changes:
        groups.setdefault(change.kind, []).append(change)
    return groups


def render_text(report: DiffReport) -> str:
    lines = [f"secure-sagemaker diff: {headline(report)}"]
    for kind, changes in _grouped(report).items():
        lines += ["", f"{KINDS[kind]}:"]
        for change in changes:
            rule = f" [{change.rule_id}]" if change.rule_id and change.kind == "finding" else ""
            lines.append(f"  {_MARK[change.worse]}  {_where(change)}{rule}: {change.message}")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def render_markdown(report: DiffReport) -> str:
    """A pull-request comment: the changes for the worse first; one line when nothing matters."""
    title = "### secure-sagemaker security diff"
    if not report.changes:
        return f"{title}\n\n✅ {headline(report)}."
    icon = "🔴" if report.worse else "✅"
    lines = [title, "", f"{icon} **{headline(report)}.**"]
    groups = _grouped(report)
    for kind, changes in groups.items():
        shown = [c for c in changes if c.worse is not False]
        if not shown:
            continue
        lines += ["", f"#### {KINDS[kind]}", ""]
        if len(shown) > MARKDOWN_LIMIT:  # a comment has a size limit; the text format has all
            hidden = len(shown) - MARKDOWN_LIMIT
            shown = shown[:MARKDOWN_LIMIT]
            lines.append(f"_The first {MARKDOWN_LIMIT}; {hidden} more in `--format text`._")
            lines.append("")
        for change in shown:
            rule = f" `{change.rule_id}`" if change.rule_id and change.kind == "finding" else ""
            lines.append(
                f"- {_MD_MARK[change.worse]} `{change.template}` `{change.resource}`{rule}: {_md(change.message)}"
            )
    better = report.better[:MARKDOWN_LIMIT]
    if better:
        lines += ["", f"<details><summary>{_plural(len(report.better), 'change')} for the better</summary>", ""]
        for change in better:
            lines.append(
                f"- {_MD_MARK[False]} {KINDS[change.kind].split(' (')[0]}: `{change.template}` "
                f"`{change.resource}`: {_md(change.message)}"
            )
        lines += ["", "</details>"]
    return "\n".join(lines)


def render_json(report: DiffReport) -> str:
    return json.dumps(
        {
            "worse": bool(report.worse),
            "summary": {
                "templates": report.templates,
                "resources": report.resources,
                "worse": len(report.worse),
                "better": len(report.better),
                "review": len(report.changes) - len(report.worse) - len(report.better),
            },
            "changes": [change.to_json() for change in report.changes],
        },
        indent=2,
    )


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json}
