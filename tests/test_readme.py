"""The README's examples work as printed.

Every ```python block of README.md carries a marker comment (``<!-- readme-snippet: NAME -->``)
and runs here as `cdk synth` would run it in a `cdk init` project: in a fresh namespace, in an
empty folder, with the feature flags of such a project (cdk.json's ``@aws-cdk/...`` keys) and the
cloud assembly in that folder. Each snippet then has a test that checks what it claims. The GitHub
Actions workflow is parsed, and its `secure-sagemaker audit` step runs as written on templates in a
folder; so does every `secure-sagemaker` line of the shell examples.

Three synths in all (one per snippet, each cached for the module).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_sagemaker as sagemaker

from secure_sagemaker.cli import main as cli_main
from secure_sagemaker.nag.engine import check_body
from secure_sagemaker.nag.rule import ERROR
from secure_sagemaker.reminders import is_reminder
from tests.helpers import ROOT, cdk_json_context, resources

README = ROOT / "README.md"
#: The snippets this module checks, by marker name. A new snippet needs a marker and a test here.
CHECKED = {"constructs", "pack", "acknowledge", "stages", "cross-stack", "user-tests"}
#: What `cdk init` puts in cdk.json that matters to the constructs: the feature flags.
FEATURE_FLAGS = {k: v for k, v in cdk_json_context().items() if k.startswith("@")}

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*readme-snippet:\s*(?P<name>[\w-]+)\s*-->")


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    line: int  # README line of the block's first code line
    name: str | None  # the marker just above the fence, if any


def _blocks(text: str) -> list[Block]:
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marker = _MARKER.fullmatch(before[-1].strip()) if before else None
        blocks.append(
            Block(
                lang=match["lang"],
                body=match["body"],
                line=text.count("\n", 0, match.start("body")) + 1,
                name=marker["name"] if marker else None,
            )
        )
    return blocks


BLOCKS = _blocks(README.read_text())
PYTHON = [b for b in BLOCKS if b.lang == "python"]


@dataclass
class Run:
    """What running one snippet left behind."""

    block: Block
    namespace: dict[str, Any]
    outdir: Path
    error: BaseException | None

    def template(self, stack_name: str) -> dict:
        return json.loads((self.outdir / f"{stack_name}.template.json").read_text())

    def plugin_report(self, pack: str) -> dict:
        report = json.loads((self.outdir / "validation-report.json").read_text())
        (found,) = [p for p in report["pluginReports"] if p["pluginName"] == pack]
        return found


def _app_as_cdk_synth_makes_it(outdir: Path) -> type[cdk.App]:
    """``cdk.App`` with what `cdk synth` passes a project's app: its outdir and cdk.json's context.

    `cdk synth` passes them in the ``CDK_OUTDIR`` and ``CDK_CONTEXT_JSON`` environment variables,
    but this process's jsii kernel (Node.js) started before the test and never sees later changes
    to the environment, so the test passes them as props of every App the snippet creates.
    """

    class App(cdk.App):
        def __init__(self, **props: Any) -> None:
            props.setdefault("outdir", str(outdir))
            props["context"] = {**FEATURE_FLAGS, **(props.get("context") or {})}
            super().__init__(**props)

    return App


def _execute(block: Block, folder: Path) -> Run:
    outdir = folder / "cdk.out"
    namespace: dict[str, Any] = {"__name__": "__main__"}
    # Blank lines in front, so that tracebacks give README line numbers.
    code = compile("\n" * (block.line - 1) + block.body, str(README), "exec")
    error = None
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setattr(cdk, "App", _app_as_cdk_synth_makes_it(outdir))
        try:
            exec(code, namespace)  # noqa: S102 - the README's own example
        except Exception as exc:  # noqa: BLE001 - the test of each snippet judges the error
            error = exc
    return Run(block, namespace, outdir, error)


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """``snippet(name)`` runs the README snippet ``name`` once per module and returns its Run."""
    done: dict[str, Run] = {}

    def run(name: str) -> Run:
        if name not in done:
            (block,) = [b for b in PYTHON if b.name == name]
            done[name] = _execute(block, tmp_path_factory.mktemp(f"readme-{name}"))
        return done[name]

    return run


def _no_error(run: Run) -> None:
    if run.error is not None:
        raise AssertionError(f"README snippet {run.block.name!r} (line {run.block.line}) failed") from run.error


# -- every snippet is run and checked ---------------------------------------------------------


def test_readme_has_python_snippets_and_each_is_checked_here():
    assert PYTHON, "README.md has no ```python snippet: the README must show the library in use"
    unmarked = [b.line for b in PYTHON if b.name is None]
    assert unmarked == [], f"python blocks at README lines {unmarked} need a <!-- readme-snippet: NAME --> marker"
    names = [b.name for b in PYTHON]
    assert len(names) == len(set(names)), f"snippet names repeat: {names}"
    assert set(names) == CHECKED, "each README snippet needs a test in tests/test_readme.py (and CHECKED updated)"


# -- 1. single constructs in your own stack ---------------------------------------------------


def test_constructs_snippet_synthesizes_rotating_keys_an_encrypted_bucket_and_a_scoped_role(snippet):
    run = snippet("constructs")
    _no_error(run)
    template = run.template("MlData")
    stack = run.namespace["stack"]

    (days,) = re.findall(r"rotation_period=cdk\.Duration\.days\((\d+)\)", run.block.body)
    keys = resources(template, "AWS::KMS::Key")
    assert len(keys) == 3
    for key in keys.values():
        assert key["Properties"]["EnableKeyRotation"] is True
        assert key["Properties"]["RotationPeriodInDays"] == int(days)  # the snippet's override reached the template

    bucket_id = stack.get_logical_id(run.namespace["data"].bucket.node.default_child)
    data_bucket = template["Resources"][bucket_id]
    data_key_id = stack.get_logical_id(run.namespace["keys"].data_key.node.default_child)
    (sse,) = data_bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert sse["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [data_key_id, "Arn"]},
    }

    # The role writes only under the one write prefix of the snippet.
    policy = template["Resources"][stack.get_logical_id(run.namespace["training_role"].policy.node.default_child)]
    writable = [
        s["Resource"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "s3:PutObject" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert writable == [{"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/models/*"]]}]

    assert not resources(template, "AWS::EC2::InternetGateway") and not resources(template, "AWS::EC2::NatGateway")
    errors = [f.rule_id for f in check_body(template, name="MlData") if f.level == ERROR and f.acknowledged is None]
    assert errors == [], "the secure defaults should pass every SageMakerSecurity rule"


# -- 2. the pack on your own app --------------------------------------------------------------


def test_pack_snippet_fails_synth_on_the_unacknowledged_error_it_names(snippet):
    run = snippet("pack")
    assert run.error is not None, "the snippet says app.synth() raises ValidationFailed"
    message = str(run.error)
    # The snippet's closing comment names the rule and the construct path: both must be true.
    for claim in ("ValidationFailed", "SageMakerSecurity-LogGroupKms", "Pipelines/JobLogs/Resource"):
        assert claim in run.block.body
        assert claim in message

    report = run.plugin_report("SageMakerSecurity")
    assert report["conclusion"] == "failure"
    assert [(v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]]) for v in report["violations"]] == [
        ("SageMakerSecurity-LogGroupKms", ["Pipelines/JobLogs/Resource"])
    ]


# -- 4. acknowledging a finding ---------------------------------------------------------------


def test_acknowledge_snippet_passes_synth_with_the_finding_acknowledged_on_the_notebook(snippet, capsys):
    run = snippet("acknowledge")
    _no_error(run)
    notebook = run.namespace["notebook"].notebook
    (resource,) = resources(run.template("Research"), "AWS::SageMaker::NotebookInstance").values()
    assert resource["Properties"]["RootAccess"] == "Enabled"  # the opt-out is in the template ...

    report = run.plugin_report("SageMakerSecurity")
    assert report["conclusion"] == "success"
    assert report["violations"] == []  # ... and no longer fails the synth ...
    (ack,) = report["suppressedViolations"]  # ... because the report holds it as acknowledged
    assert ack["ruleName"] == "SageMakerSecurity-NotebookNoRootAccess"
    assert ack["acknowledgedId"] == "SageMakerSecurity::SageMakerSecurity-NotebookNoRootAccess"
    # On the narrowest construct: the AWS::SageMaker::NotebookInstance the finding names.
    assert isinstance(notebook, sagemaker.CfnNotebookInstance)
    assert ack["acknowledgedAt"] == notebook.node.path
    assert [c["constructPath"] for c in ack["violatingConstructs"]] == [notebook.node.path]
    assert ack["reason"][:40] in run.block.body

    # The README points at `secure-sagemaker acknowledgments cdk.out` for your own app.
    assert cli_main(["acknowledgments", str(run.outdir)]) == 0
    listing = capsys.readouterr().out
    assert "`SageMakerSecurity-NotebookNoRootAccess`" in listing and ack["reason"] in listing

    # And, as the CI section says, `audit cdk.out` does not see it: the pack left the template as it was
    # (write_suppressions_to_cloud_formation is off).
    assert cli_main(["audit", str(run.outdir), "--format", "json"]) == 1
    audit = json.loads(capsys.readouterr().out)
    assert "SageMakerSecurity-NotebookNoRootAccess" in json.dumps(audit)


# -- 3. audit in CI ---------------------------------------------------------------------------


def _workflow() -> dict:
    workflows = [yaml.safe_load(b.body) for b in BLOCKS if b.lang == "yaml"]
    workflows = [w for w in workflows if isinstance(w, dict) and "jobs" in w]
    assert len(workflows) == 1, "the README shows one GitHub Actions workflow"
    return workflows[0]


def _steps(workflow: dict, command: str = "secure-sagemaker audit") -> tuple[dict, list[dict]]:
    """The job whose steps run ``command``, and its steps."""
    (job,) = [j for j in workflow["jobs"].values() if any(command in s.get("run", "") for s in j["steps"])]
    return job, job["steps"]


def _audit_step(steps: list[dict]) -> dict:
    (step,) = [s for s in steps if "secure-sagemaker audit" in s.get("run", "")]
    return step


def _report_file(command: str) -> str:
    """Where the audit step writes its report: ``--output FILE``, ``-o FILE`` or ``> FILE``."""
    tokens = shlex.split(command)
    targets = [tokens[i + 1] for i, t in enumerate(tokens[:-1]) if t in ("--output", "-o", ">")]
    assert len(targets) == 1, f"the audit step writes its SARIF to one file: {command}"
    return targets[0]


def test_ci_workflow_uploads_sarif_even_when_audit_fails():
    workflow = _workflow()
    job, steps = _steps(workflow)
    permissions = {**workflow.get("permissions", {}), **job.get("permissions", {})}
    assert permissions.get("security-events") == "write"
    assert permissions.get("contents") == "read"

    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@")
    (setup,) = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert tuple(int(p) for p in str(setup["with"]["python-version"]).split(".")) >= (3, 11)  # requires-python
    (install,) = [s for s in steps if "pip install" in s.get("run", "")]
    assert "secure-sagemaker" in install["run"] or "pip install ." in install["run"]

    audit = _audit_step(steps)
    assert "--format sarif" in audit["run"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["if"] == "always()"
    assert steps.index(upload) > steps.index(audit)
    assert upload["with"]["sarif_file"] == _report_file(audit["run"])


_BAD_TEMPLATE = """\
Parameters:
  Retention:
    Type: Number
    Default: 365
Resources:
  JobLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !Ref Retention
"""


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``script`` as GitHub Actions runs a `run:` step, with the venv's commands first on PATH."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _audit_paths(command: str) -> list[str]:
    """The PATH arguments of ``secure-sagemaker audit [options] PATH... > file``."""
    tokens = shlex.split(command)
    args = tokens[tokens.index("audit") + 1 : tokens.index(">") if ">" in tokens else None]
    paths, skip = [], False
    for token in args:
        if skip:
            skip = False
        elif token.startswith("-"):
            skip = "=" not in token  # --format sarif, --min-level error, --account ID, --output FILE
        else:
            paths.append(token)
    return paths


def _sarif(path: Path) -> dict:
    sarif = json.loads(path.read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "secure-sagemaker"
    return sarif


def test_ci_workflow_audit_step_runs_as_written(snippet, tmp_path):
    """The audit step, verbatim, on the constructs snippet's template; then with a bad template beside it."""
    command = _audit_step(_steps(_workflow())[1])["run"]
    assert "${{" not in command
    paths = _audit_paths(command)
    assert paths, f"no template path in {command!r}"

    good = snippet("constructs")
    _no_error(good)
    source = good.outdir / "MlData.template.json"
    folders = []
    for path in paths:
        target = tmp_path / path
        if target.suffix in (".json", ".yaml", ".yml", ".template"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / "ml-data.template.json")
            folders.append(target)
    sarif_path = tmp_path / _report_file(command)

    result = _bash(command, tmp_path)
    assert result.returncode == 0, result.stderr
    sarif = _sarif(sarif_path)
    assert [r for r in sarif["runs"][0]["results"] if r.get("level") == "error"] == []

    # An error finding: audit exits 1 (the job fails) and the SARIF is still complete, which is
    # why the upload step runs `if: always()`.
    assert folders, "test the failing case with a folder of templates"
    (folders[0] / "pipeline-logs.yaml").write_text(_BAD_TEMPLATE)
    result = _bash(command, tmp_path)
    assert result.returncode == 1, result.stderr
    results = _sarif(sarif_path)["runs"][0]["results"]
    assert ("SageMakerSecurity-LogGroupKms", "error") in {(r["ruleId"], r.get("level")) for r in results}


def test_shell_examples_use_commands_and_flags_that_exist(snippet, tmp_path):
    """Every `secure-sagemaker ...` line of the README's sh blocks runs without a usage error."""
    lines = [
        line.strip()
        for block in BLOCKS
        if block.lang == "sh"
        for line in block.body.splitlines()
        if re.match(r"^(\.venv/bin/)?secure-sagemaker\s", line.strip())
    ]
    assert any(" audit " in line for line in lines) and any(" rules " in line for line in lines)
    good = snippet("constructs")
    _no_error(good)
    template = good.outdir / "MlData.template.json"
    for path in {p for line in lines if " audit " in line for p in _audit_paths(line)}:
        target = tmp_path / path
        if target.name == "cdk.out":
            shutil.copytree(good.outdir, target)
        elif target.suffix in (".json", ".yaml", ".yml", ".template"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(template, target)
        else:
            target.mkdir(parents=True)
            shutil.copy(template, target)
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    for line in lines:
        if re.match(r"^(\.venv/bin/)?secure-sagemaker preflight\b", line):
            # It reads an AWS account (tests/test_preflight.py runs it against moto): here, that
            # the command and its flags exist.
            line = line.split("#")[0].strip() + " --help"
        result = _bash(line, tmp_path)
        assert result.returncode == 0, f"{line}\n{result.stderr}"


def _diff_job() -> tuple[dict, list[dict], dict]:
    job, steps = _steps(_workflow(), "secure-sagemaker diff")
    (diff,) = [s for s in steps if "secure-sagemaker diff" in s.get("run", "")]
    return job, steps, diff


def test_pr_workflow_synthesizes_base_and_head_and_posts_the_diff_even_when_worse():
    workflow = _workflow()
    assert "pull_request" in workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    job, steps, diff = _diff_job()
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkouts = {s["with"]["path"]: s["with"] for s in steps if s.get("uses", "").startswith("actions/checkout@")}
    assert checkouts["base"]["ref"] == "${{ github.event.pull_request.base.sha }}" and "ref" not in checkouts["head"]
    (install,) = [s for s in steps if s.get("run", "").startswith("pip install")]
    assert "secure-sagemaker[cli]" in install["run"]  # the cdk CLI and Node.js, from PyPI
    (synth,) = [s for s in steps if "cdk synth" in s.get("run", "")]
    written = dict(re.findall(r"\(cd (\w+) && .*cdk synth .*-o \.\./(\S+)\)", synth["run"]))
    tokens = shlex.split(diff["run"])
    base, head = tokens[2:4]
    assert written == {"base": base, "head": head}, synth["run"]
    assert tokens[tokens.index("--format") + 1] == "markdown"
    (comment,) = [s for s in steps if "gh pr comment" in s.get("run", "")]
    assert steps.index(comment) > steps.index(diff)
    body = shlex.split(comment["run"])
    assert body[body.index("--body-file") + 1] == _report_file(diff["run"])
    assert comment["if"] == f"always() && hashFiles('{_report_file(diff['run'])}') != ''"
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"


def test_pr_workflow_diff_step_runs_as_written(snippet, tmp_path):
    """The diff step, verbatim, on the constructs snippet's assembly as base and head; then with
    key rotation off in the head (exit 1, the comment says so); then with no head (exit 2, no file)."""
    _, _, diff = _diff_job()
    command = diff["run"]
    assert "${{" not in command
    base, head = shlex.split(command)[2:4]
    report = tmp_path / _report_file(command)
    good = snippet("constructs")
    _no_error(good)
    shutil.copytree(good.outdir, tmp_path / base)
    shutil.copytree(good.outdir, tmp_path / head)

    result = _bash(command, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no security-relevant change" in report.read_text()

    template_path = tmp_path / head / "MlData.template.json"
    template = json.loads(template_path.read_text())
    key = next(iter(resources(template, "AWS::KMS::Key")))
    template["Resources"][key]["Properties"]["EnableKeyRotation"] = False
    template_path.write_text(json.dumps(template))
    result = _bash(command, tmp_path)
    assert result.returncode == 1, result.stderr
    comment = report.read_text()
    assert comment.startswith("### secure-sagemaker security diff") and "HEAD is worse than BASE" in comment
    assert f"`{key}`: key rotation off: EnableKeyRotation true -> false" in comment

    report.unlink()
    shutil.rmtree(tmp_path / head)
    result = _bash(command, tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and not report.exists()


def test_readme_rule_count_is_the_packs():
    from secure_sagemaker.nag.rule import all_rules

    counts = {int(n) for n in re.findall(r"the same (\d+) rules", README.read_text())}
    assert counts == {len(list(all_rules()))}


# -- accounts and workloads ------------------------------------------------------------------------


def _violations(run: Run) -> list[tuple[str, list[str]]]:
    report = json.loads((run.outdir / "validation-report.json").read_text())
    return [
        (v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]])
        for p in report["pluginReports"]
        for v in p["violations"]
        if not is_reminder(p["pluginName"], v)
    ]


def test_stages_snippet_synthesizes_every_environment_without_credentials(snippet):
    run = snippet("stages")
    _no_error(run)
    manifests = [run.outdir / "manifest.json", *run.outdir.glob("assembly-*/manifest.json")]
    assert len(manifests) == 3  # the app and one assembly per Stage
    assert [m for path in manifests for m in json.loads(path.read_text()).get("missing", [])] == []
    stacks = sorted(p.name for p in run.outdir.glob("assembly-*/*.template.json"))
    assert len(stacks) == 4 and all("AccountBaseline" in n or "Workload" in n for n in stacks)
    assert _violations(run) == []


def test_cross_stack_snippet_uses_the_platforms_key_in_the_teams_stack(snippet):
    run = snippet("cross-stack")
    _no_error(run)
    (bucket,) = [
        b for k, b in resources(run.template("TeamA"), "AWS::S3::Bucket").items() if k.startswith("FeaturesBucket")
    ]
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    reference = rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert set(reference) <= {"Fn::GetStackOutput", "Fn::ImportValue"}  # the key lives in Platform
    assert _violations(run) == []


def test_stacksets_commands_name_the_template_app_py_writes(tmp_path):
    """The StackSets block synthesizes the account baseline and hands CloudFormation its template."""
    (block,) = [b for b in BLOCKS if b.lang == "sh" and "create-stack-set " in b.body]
    synth = re.search(r"^cdk synth (?P<stack>\S+)(?P<context>( -c \S+)*)$", block.body, re.M)
    assert synth, "the block starts with `cdk synth <account stack> -c ...`"
    context = dict(re.findall(r"-c (\S+?)=(\S+)", synth["context"]))
    assert synth["stack"] == cdk_json_context()["secure-sagemaker:accountStackName"]
    (template_file,) = re.findall(r"^aws s3 cp cdk\.out/(\S+) s3://", block.body, re.M)
    # The account stack as app.py makes it, with the block's context (in process: app.py's other
    # stack plays no part here).
    from secure_sagemaker import BaselineConfig, SecureSageMakerAccountStack

    app = cdk.App(
        context={**cdk_json_context(), **{k: json.loads(v) for k, v in context.items()}},
        outdir=str(tmp_path / "cdk.out"),
        analytics_reporting=False,
    )
    SecureSageMakerAccountStack(app, synth["stack"], config=BaselineConfig.from_context(app.node))
    assembly = Path(app.synth().directory)
    template = json.loads((assembly / template_file).read_text())
    # --template-body takes at most 51,200 bytes (CloudFormation quotas); above, S3 and --template-url.
    assert (assembly / template_file).stat().st_size > 51_200 and "--template-url " in block.body
    assert resources(template, "AWS::GuardDuty::Detector") == {}  # organizationRunsGuardDuty=true
    assert "BootstrapVersion" not in template.get("Parameters", {})  # deployable without CDK bootstrap
    assert "--permission-model SERVICE_MANAGED" in block.body and "--capabilities CAPABILITY_IAM" in block.body
    assert re.search(r"cdk deploy \S+ -c secure-sagemaker:accountBaseline=false", block.body)


# -- testing your own app --------------------------------------------------------------------------


def test_user_tests_snippet_passes_as_a_projects_test_module(tmp_path):
    """The snippet, saved as the test module it says it is, runs with pytest in a fresh project
    folder: the first run writes its snapshot, and its three tests pass."""
    (block,) = [b for b in PYTHON if b.name == "user-tests"]
    (module_name,) = re.findall(r"^# tests/(test_\w+\.py)$", block.body, re.M)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / module_name).write_text(block.body)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--snapshot-update", f"tests/{module_name}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-2000:]
    (snapshot,) = (tmp_path / "tests" / "__snapshots__").rglob("*.json")
    written = json.loads(snapshot.read_text())
    assert resources(written, "AWS::S3::Bucket") and resources(written, "AWS::KMS::Key")
