"""Rules about the template itself: parts the engine could not read."""

from __future__ import annotations

from secure_sagemaker.nag.rule import WARNING, Verdict, fail, rule
from secure_sagemaker.nag.template import UNEXPANDED, Resource


@rule(
    "TemplateExpanded",
    WARNING,
    UNEXPANDED,
    info="A part of the template was not expanded, so the resources it declares were not checked.",
    explanation=(
        "The engine expands AWS::LanguageExtensions itself and AWS::Serverless-2016-10-31 with "
        "aws-sam-translator when it is installed. Another transform (AWS::Include, a macro), a SAM "
        "template without the translator, a translation that fails or a Fn::ForEach loop over a "
        "list the template cannot resolve leaves resources the rules never see; this warning "
        "names each such part, so that an unread template never passes silently."
    ),
    fix=(
        "Install the sam extra (pip install 'secure-sagemaker[sam]') for SAM templates, give a "
        "looped-over parameter a Default, or audit the processed template "
        "(aws cloudformation get-template --template-stage Processed)."
    ),
    practices=("P16",),
    threats=(),
)
def template_expanded(r: Resource) -> Verdict:
    """Every part of a template is expanded before the rules run."""
    problem = r.prop("Problem")
    return fail(problem if isinstance(problem, str) else f"{r.logical_id} was not expanded")
