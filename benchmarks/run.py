#!/usr/bin/env python3
"""Synth, audit and test-suite timings for docs/performance.md (a script, not a test).

    python benchmarks/run.py [--repeat 3] [--resources 5000] [--suite-repeat 1 | --skip-suite]
    python benchmarks/run.py --audit-only [--assembly cdk.out] [--repeat 3] [--resources 5000]

Measures, in one run on this machine:

1. synth of the baseline app (account baseline and workload, demo endpoint on) against an empty CDK app (one stack with one placeholder resource,
   since CloudFormation rejects an empty Resources section), same environment;
2. the extra synth time of SageMakerSecurityChecks against the four stock cdk-nag packs together;
3. `audit` on the baseline template and on a generated template of 5,000 resources (the baseline's
   resources copied with renamed logical ids, so every cross-resource lookup stays realistic), and
   `diff` of that template against a modified copy (:func:`modified_copy`); ``--diff-only TEMPLATE``
   times only `diff`, without the synths;
4. the test suite, ``python -m pytest -q -p no:cacheprovider --durations=10`` with this interpreter in
   the repository root, ``--suite-repeat`` times (default 1: it takes about half a minute), after
   the synths so that it does not load the machine while they run: wall time of the whole process
   and pytest's own time (median), the tests passed, and the ten slowest setup/call items of the run
   with the median wall time (a module-scoped synth shows as the setup of the first test using it).
   ``--skip-suite`` leaves it out. It is on by default so that one command produces every number in
   docs/performance.md; the timing of the suite lives here and in no test.

Every synth runs in a fresh Python process (a fresh jsii kernel), ``--repeat`` times; the table
shows the median. "synth" is construction plus ``app.synth()`` inside the process; "process" is
the whole process, Python and Node.js start-up included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The baseline as measured: both stacks of app.py, with the demo endpoint and its API on.
FULL_BASELINE = {"secure-sagemaker:demoEndpoint": True}
VARIANTS = {
    "empty": "empty app (one stack, one placeholder resource), no pack",
    "baseline": "baseline, no pack",
    "stock": "baseline + the four stock packs",
    "ours": "baseline + SageMakerSecurityChecks",
    "all": "baseline + all five packs (add_all_packs)",
    "floor": "floor: the baseline's templates as plain CfnResource L1s, no pack",
    "floor-all": "floor + all five packs (add_all_packs), the baseline's acknowledgments replayed",
    "floor-typed": "typed floor: the floor after loading the typed aws_cdk modules of its resource types, no pack",
}
#: The variants that replay a baseline assembly (see benchmarks/floor.py) instead of building it.
FLOOR_VARIANTS = ("floor", "floor-all", "floor-typed")


# --------------------------------------------------------------------------------------------
# Worker: one synth in this process
# --------------------------------------------------------------------------------------------


def worker(variant: str, outdir: str, assembly: str | None = None, root: Path = ROOT) -> None:
    """One synth of ``variant`` with the library of the tree at ``root``; the floor variants replay
    the baseline assembly ``assembly``."""
    started = time.perf_counter()
    import aws_cdk as cdk

    sys.path.insert(0, str(root))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    # Each variant imports only what it uses: the floor needs no construct of this library.
    if variant in ("baseline", "stock", "ours", "all"):
        from secure_sagemaker.account import SecureSageMakerAccountStack
        from secure_sagemaker.baseline import SecureSageMakerStack
        from secure_sagemaker.config import BaselineConfig
    if variant in ("stock", "ours", "all", "floor-all"):
        from secure_sagemaker.nag import add_all_packs, stock_packs
        from secure_sagemaker.nag.pack import SageMakerSecurityChecks
    if variant in FLOOR_VARIANTS:
        from floor import load_service_modules, replay
    if variant == "floor-typed":
        load_service_modules(Path(assembly))

    imported = time.perf_counter()
    context = {
        **json.loads((root / "cdk.json").read_text())["context"],
        **FULL_BASELINE,
        "aws:cdk:enable-path-metadata": True,
    }
    app = cdk.App(outdir=outdir, context=context, analytics_reporting=False)
    if variant == "empty":
        # CloudFormation rejects an empty Resources section (and so does CDK's own validation).
        cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Placeholder")
    elif variant in FLOOR_VARIANTS:
        replay(app, Path(assembly))
    else:
        config = BaselineConfig.from_context(app.node)
        SecureSageMakerStack(app, config.stack_name, config=config)
        SecureSageMakerAccountStack(app, config.account_stack_name, config=config)
    if variant == "stock":
        cdk.Validations.of(app).add_plugins(*stock_packs(app))
    elif variant == "ours":
        pack = SageMakerSecurityChecks(app)
        cdk.Validations.of(app).add_plugins(pack)
    elif variant in ("all", "floor-all"):
        add_all_packs(app)
    constructed = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    timings = {"import": imported - started, "construct": constructed - imported, "synth": done - constructed}
    # CPU seconds are far less disturbed by other load than wall time: Python's, and Node.js's (the
    # jsii runtime and the kernel process it starts), whole process so far.
    timings["python_cpu"] = time.process_time()
    timings["node_cpu"] = descendants_cpu(os.getpid())
    if variant == "ours":
        timings["validate"] = pack.last_validate_seconds
    print(json.dumps(timings))


def descendants_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the live descendants of ``pid`` and the children they reaped (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in children.read_text().split():
                try:
                    fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                total += sum(int(f) for f in fields[11:15]) / ticks  # utime stime cutime cstime
                pending.append(int(child))
    return total


def run_worker(variant: str, outdir: Path, root: Path = ROOT, assembly: Path | None = None) -> dict[str, float]:
    """One synth of ``variant`` in a fresh process, with this tree's worker and the library of the
    tree at ``root``; the floor variants replay ``assembly`` (a baseline synth)."""
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    # As under `make synth`: bytecode is written once and read after, so no worker measures the
    # compiling of the modules it imports (the library's more than the floor's).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    command = [str(ROOT / "benchmarks" / "run.py"), "--worker", variant, str(outdir), "--root", str(root)]
    if variant in FLOOR_VARIANTS:
        command += ["--assembly", str(assembly)]
    result = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"synth of {variant} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["in_process"] = timings["construct"] + timings["synth"]
    if "python_cpu" in timings:  # a worker of an older tree does not measure it
        timings["cpu"] = timings["python_cpu"] + timings["node_cpu"]
    timings["process"] = elapsed
    return timings


# --------------------------------------------------------------------------------------------
# Generated template
# --------------------------------------------------------------------------------------------


def _rename(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and isinstance(arg, str) and arg in names:
                return {"Ref": names[arg]}
            if key == "Fn::GetAtt" and isinstance(arg, list) and arg and arg[0] in names:
                return {"Fn::GetAtt": [names[arg[0]], *arg[1:]]}
            if key == "Fn::Sub":
                pattern, variables = (arg[0], arg[1]) if isinstance(arg, list) else (arg, None)
                pattern = re.sub(
                    r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9.]+)?)\}",
                    lambda m: "${" + names.get(m.group(1), m.group(1)) + m.group(2) + "}",
                    pattern,
                )
                return {"Fn::Sub": [pattern, _rename(variables, names)] if variables is not None else pattern}
        return {k: _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    return value


#: Properties removed from every other copy, so the generated template has findings to report.
WEAKENED = (
    "EnableKeyRotation",
    "BucketEncryption",
    "EnableNetworkIsolation",
    "KmsKeyId",
    "VersioningConfiguration",
    "RetentionInDays",
)


def generated_template(base: dict, count: int) -> dict:
    """``count`` resources: copies of ``base``'s resources with renamed logical ids and references;
    every other copy loses the :data:`WEAKENED` properties."""
    resources: dict[str, Any] = {}
    copy_index = 0
    while len(resources) < count:
        # The last copy may be partial: what it references beyond the cut is copy 0's, so every
        # reference names a resource of the template (audit rejects a Ref to an undeclared name).
        included = set(list(base["Resources"])[: count - len(resources)])
        names = {lid: f"{lid}C{copy_index}" if lid in included else f"{lid}C0" for lid in base["Resources"]}
        for lid, body in base["Resources"].items():
            if len(resources) >= count:
                break
            renamed = _rename(body, names)
            if isinstance(renamed.get("DependsOn"), list):
                renamed["DependsOn"] = [names.get(d, d) for d in renamed["DependsOn"]]
            elif isinstance(renamed.get("DependsOn"), str):
                renamed["DependsOn"] = names.get(renamed["DependsOn"], renamed["DependsOn"])
            if copy_index % 2 and isinstance(renamed.get("Properties"), dict):
                for name in WEAKENED:
                    renamed["Properties"].pop(name, None)
            resources[names[lid]] = renamed
        copy_index += 1
    first = {lid: f"{lid}C0" for lid in base["Resources"]}  # outputs name the first copy's resources
    return {**{k: _rename(v, first) for k, v in base.items() if k != "Resources"}, "Resources": resources}


def time_audit(path: Path, repeat: int) -> dict[str, float]:
    """In-process load, expansion, structure check and rules (median), and the CLI as a process (median)."""
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.loader import load_paths
    from secure_sagemaker.nag.template import Template

    try:  # what `audit` does between loading and the rules: expand transforms, check the structure
        from secure_sagemaker.nag.structure import check_structure
        from secure_sagemaker.nag.transforms import expand
    except ImportError:  # an older tree, measured for comparison
        check_structure = None

    in_process, cpu, process, findings = [], [], [], 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        for loaded in load_paths([str(path)]):
            if check_structure is None:
                template = Template(loaded.body, name=loaded.display, lines=loaded.lines)
            else:
                body, unexpanded = expand(loaded.body)
                references = check_structure(body, names_known=not unexpanded)
                template = Template(
                    body, name=loaded.display, lines=loaded.lines, unexpanded=unexpanded, references=references
                )
            findings = len(check_template(template))
        in_process.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "secure_sagemaker.cli", "audit", "--format", "json", str(path)],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        process.append(time.perf_counter() - started)
    return {
        "in_process": statistics.median(in_process),
        "cpu": statistics.median(cpu),
        "process": statistics.median(process),
        "findings": findings,
    }


def modified_copy(template: dict, every: int = 50) -> dict:
    """A copy of ``template`` with one change in ``every`` resources of the kinds `diff` reports:
    key rotation off, a bucket renamed (a replacement), an inline policy broadened to every action,
    SSH from anywhere on a security group, and a tag changed (not worse) on everything else."""
    import copy

    resources: dict[str, Any] = {}
    for index, (logical_id, resource) in enumerate(copy.deepcopy(template["Resources"]).items()):
        properties = resource.setdefault("Properties", {})
        kind = resource.get("Type")
        if index % every == 0:
            if kind == "AWS::KMS::Key":
                properties["EnableKeyRotation"] = False
            elif kind == "AWS::S3::Bucket":
                logical_id += "Renamed"
            elif kind == "AWS::IAM::Role" and properties.get("Policies"):
                properties["Policies"][0]["PolicyDocument"]["Statement"].append(
                    {"Effect": "Allow", "Action": "*", "Resource": "*"}
                )
            elif kind == "AWS::EC2::SecurityGroup":
                properties.setdefault("SecurityGroupIngress", []).append(
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
                )
            else:
                properties["Tags"] = [{"Key": "changed", "Value": "yes"}]
        resources[logical_id] = resource
    return {**template, "Resources": resources}


def time_diff(base: Path, head: Path, repeat: int) -> dict[str, float]:
    """`diff` of two templates: load + compare in process (median), and the CLI as a process (median)."""
    from secure_sagemaker.securitydiff.engine import diff_paths

    in_process, process, changes, worse = [], [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        report = diff_paths(str(base), str(head))
        in_process.append(time.perf_counter() - started)
        changes, worse = len(report.changes), len(report.worse)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "secure_sagemaker.cli", "diff", "--format", "markdown", str(base), str(head)],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        process.append(time.perf_counter() - started)
    return {
        "in_process": statistics.median(in_process),
        "process": statistics.median(process),
        "changes": changes,
        "worse": worse,
    }


def diff_lines(resources: int, timing: dict[str, float]) -> list[str]:
    return [
        f"| `diff` of {resources} resources against a modified copy, load + compare in process | "
        f"{timing['in_process']:.2f} s ({timing['changes']} changes, {timing['worse']} worse) |",
        f"| `diff` of {resources} resources, whole CLI process (`--format markdown`) | {timing['process']:.2f} s |",
    ]


def diff_only(template_path: Path, count: int, repeat: int) -> None:
    """``--diff-only``: time `diff` on the template generated from ``template_path``, no synth."""
    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="secure-sagemaker-bench-"))
    generated = generated_template(json.loads(template_path.read_text()), count)
    (work / "base.template.json").write_text(json.dumps(generated, indent=1))
    (work / "head.template.json").write_text(json.dumps(modified_copy(generated), indent=1))
    timing = time_diff(work / "base.template.json", work / "head.template.json", repeat)
    audit = time_audit(work / "base.template.json", repeat)
    print("\n".join(diff_lines(count, timing)))
    print(
        f"| `audit` of the same {count} resources, load + rules in process (for scale) | {audit['in_process']:.2f} s |"
    )


FLOOR_ROUND = ("empty", "baseline", "floor", "floor-typed", "all", "floor-all")


def floor_lines(repeat: int) -> list[str]:
    """``--floor``: the variants of :data:`FLOOR_ROUND`, alternating, ``repeat`` rounds; medians and ratios.

    The floor replays the first round's baseline assembly, so it produces the same templates."""
    work = Path(tempfile.mkdtemp(prefix="secure-sagemaker-bench-"))
    runs: dict[str, list[dict[str, float]]] = {v: [] for v in FLOOR_ROUND}
    for round_ in range(repeat):
        for variant in FLOOR_ROUND:
            outdir = work / f"{variant}-{round_}"
            runs[variant].append(run_worker(variant, outdir, assembly=work / "baseline-0"))
            print(f"  {variant:<9} round {round_ + 1}: {_brief(runs[variant][-1])}", file=sys.stderr)
    same = all(
        same_templates(work / "baseline-0", work / f"{floor}-0") for floor in ("floor", "floor-typed", "floor-all")
    ) and same_templates(work / "all-0", work / "floor-all-0")
    lines = [
        f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end; {repeat} rounds of "
        f"{', '.join(FLOOR_ROUND)}, alternating; median. Floor templates equal the baseline's: {same}.",
        "",
        "| Variant | Synth in process / whole process / CPU, Python + Node.js (s) |",
        "|---|---:|",
    ]
    lines += [f"| {VARIANTS[variant]} | {_cells(runs[variant])} |" for variant in FLOOR_ROUND]
    lines += ["", "| Ratio (median of the per-round ratios) | In process / whole process / CPU |", "|---|---:|"]
    for (a, b), label in {
        ("baseline", "floor"): "baseline / floor, no pack",
        ("floor-typed", "floor"): "typed floor / floor, no pack",
        ("baseline", "floor-typed"): "baseline / typed floor, no pack",
        ("all", "floor-all"): "baseline / floor, all five packs on both",
        ("baseline", "empty"): "baseline / empty app, no pack",
    }.items():
        lines.append(
            f"| {label} | {' / '.join(_ratio(runs[a], runs[b], k) for k in ('in_process', 'process', 'cpu'))} |"
        )
    return lines


def same_templates(first: Path, second: Path) -> bool:
    """True when both assemblies hold the same stacks with equal templates (as JSON values)."""
    names = sorted(p.name for p in first.glob("*.template.json"))
    if names != sorted(p.name for p in second.glob("*.template.json")):
        return False
    return all(json.loads((first / n).read_text()) == json.loads((second / n).read_text()) for n in names)


def compare_trees(before: Path, repeat: int) -> None:
    """``--against``: the synth variants of ``before`` and of this tree, run back to back, and the floor
    (the first round's baseline of this tree replayed as L1s) between them."""
    work = Path(tempfile.mkdtemp(prefix="secure-sagemaker-bench-"))
    trees = {"before": before, "after": ROOT}
    variants = ("empty", "baseline", "all")
    floors = {"baseline": "floor", "all": "floor-all"}
    runs: dict[tuple[str, str], list[dict[str, float]]] = {(t, v): [] for t in trees for v in variants}
    runs.update({("floor", v): [] for v in floors.values()})
    sizes: dict[tuple[str, str], int] = {}
    for round_ in range(repeat):
        for variant in variants:
            order = [*trees.items()] + ([("floor", ROOT)] if variant in floors else [])
            for tree, root in order:
                name = floors[variant] if tree == "floor" else variant
                outdir = work / f"{tree}-{name}-{round_}"
                runs[(tree, name)].append(run_worker(name, outdir, root, assembly=work / "after-baseline-0"))
                sizes[(tree, name)] = sum(
                    len(json.loads(p.read_text())["Resources"]) for p in outdir.glob("*.template.json")
                )
                print(f"  {tree:<6} {name:<9} round {round_ + 1}: {_brief(runs[(tree, name)][-1])}", file=sys.stderr)
    same = same_templates(work / "before-baseline-0", work / "after-baseline-0") and same_templates(
        work / "after-baseline-0", work / "floor-floor-0"
    )
    print(
        f"Load average {os.getloadavg()[0]:.1f} at the end; {repeat} rounds, alternating; median. "
        f"Templates: before = after = floor: {same}."
    )
    print("")
    print(f"| Variant | Resources | {before.name}: in process / whole process / CPU (s) | this tree (s) |")
    print("|---|---:|---:|---:|")
    for variant in variants:
        cells = [_cells(runs[(tree, variant)]) for tree in trees]
        print(f"| {variant} | {sizes[('before', variant)]} → {sizes[('after', variant)]} | {cells[0]} | {cells[1]} |")
        if variant in floors:
            floor = floors[variant]
            print(f"| {floor} | {sizes[('floor', floor)]} | | {_cells(runs[('floor', floor)])} |")
    print("")
    print("| Ratio (median of the per-round ratios) | before: in process / whole / CPU | this tree |")
    print("|---|---:|---:|")
    for variant, against in (("baseline", "floor"), ("all", "floor-all"), ("baseline", "empty")):
        cells = []
        for tree in trees:
            base = runs[("floor", against)] if against in floors.values() else runs[(tree, against)]
            cells.append(
                " / ".join(f"{_ratio(runs[(tree, variant)], base, k)}" for k in ("in_process", "process", "cpu"))
            )
        print(f"| {variant} / {against} | {cells[0]} | {cells[1]} |")


def _brief(timings: dict[str, float]) -> str:
    cpu = f", CPU {timings['cpu']:.2f} s" if "cpu" in timings else ""
    return f"synth {timings['in_process']:.2f} s, process {timings['process']:.2f} s{cpu}"


def _cells(timings: list[dict[str, float]]) -> str:
    keys = ("in_process", "process", "cpu")
    return " / ".join(f"{statistics.median(t[k] for t in timings):.2f}" for k in keys)


def _ratio(first: list[dict[str, float]], second: list[dict[str, float]], key: str) -> str:
    return f"{statistics.median(a[key] / b[key] for a, b in zip(first, second, strict=True)):.2f}x"


# --------------------------------------------------------------------------------------------
# Test suite
# --------------------------------------------------------------------------------------------

SUITE_COMMAND = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=10"]
#: pytest's last line, e.g. "312 passed, 2 skipped, 1 warning in 24.51s (0:00:24)".
_SUMMARY = re.compile(r"^(?P<counts>\d+ \w+(?:, \d+ \w+)*) in (?P<seconds>[\d.]+)s\b")
#: One line of the --durations section, e.g. "3.21s setup    tests/test_audit.py::test_trail_flags".
_DURATION = re.compile(r"^(?P<seconds>[\d.]+)s (?P<phase>setup|call|teardown)\s+(?P<item>\S.*)$")


def run_suite() -> dict[str, Any]:
    """One run of the test suite in a fresh process: wall time, pytest's own time, counts, slowest items."""
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    started = time.perf_counter()
    result = subprocess.run([sys.executable, *SUITE_COMMAND], capture_output=True, text=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - started
    lines = result.stdout.splitlines()
    summary = next((m for m in map(_SUMMARY.match, reversed(lines)) if m), None)
    if result.returncode != 0 or summary is None:
        raise SystemExit(f"test suite failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    counts = {word: int(n) for n, word in (part.split(" ", 1) for part in summary["counts"].split(", "))}
    slowest = [(m["item"], m["phase"], float(m["seconds"])) for m in map(_DURATION.match, lines) if m]
    return {"process": elapsed, "pytest": float(summary["seconds"]), "counts": counts, "slowest": slowest}


def time_suite(repeat: int) -> dict[str, Any]:
    """``repeat`` runs of the suite: median times; counts and slowest items of the median run."""
    runs = []
    for round_ in range(repeat):
        runs.append(run_suite())
        print(f"  suite     round {round_ + 1}: {runs[-1]['process']:.1f} s", file=sys.stderr)
    middle = sorted(runs, key=lambda r: r["process"])[(len(runs) - 1) // 2]
    return {
        "repeat": repeat,
        "process": statistics.median(r["process"] for r in runs),
        "pytest": statistics.median(r["pytest"] for r in runs),
        "counts": middle["counts"],
        "slowest": middle["slowest"],
    }


def suite_lines(suite: dict[str, Any]) -> list[str]:
    counts = dict(suite["counts"])
    passed = counts.pop("passed", 0)
    others = ", ".join(f"{n} {word}" for word, n in counts.items())
    runs = "1 run" if suite["repeat"] == 1 else f"{suite['repeat']} runs, median"
    lines = [
        "",
        f"| Test suite (`python {' '.join(SUITE_COMMAND)}`; {runs}) | Value |",
        "|---|---:|",
        f"| Tests passed | {passed}{f' ({others})' if others else ''} |",
        f"| Whole process, wall time (s) | {suite['process']:.1f} |",
        f"| pytest's own time: collection and tests (s) | {suite['pytest']:.1f} |",
        "",
        "| Slowest items (`--durations=10`, run with the median wall time) | Phase | Time (s) |",
        "|---|---|---:|",
    ]
    for item, phase, seconds in suite["slowest"]:
        cell = item.replace("|", "\\|")  # a parametrize id may hold a pipe, which would split the row
        lines.append(f"| `{cell}` | {phase} | {seconds:.2f} |")
    return lines


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _node_version() -> str:
    node = Path(sys.executable).parent / "node"
    try:
        return subprocess.run(
            [str(node if node.exists() else "node"), "--version"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def audit_only(work: Path, repeat: int, resources: int, assembly: str | None = None) -> list[str]:
    """One baseline synth (or ``assembly``), then the `audit` rows of the table (no other synth, no suite)."""
    baseline_dir = Path(assembly) if assembly else work / "baseline-0"
    if not assembly:
        run_worker("baseline", baseline_dir)
    base = json.loads(next(baseline_dir.glob("*.template.json")).read_text())
    generated = work / f"generated-{resources}.template.json"
    generated.write_text(json.dumps(generated_template(base, resources), indent=1))
    audit_baseline = time_audit(baseline_dir, repeat)
    audit_generated = time_audit(generated, repeat)
    return [
        f"Python {platform.python_version()}; {repeat} runs, median.",
        "",
        "| Measure | Value |",
        "|---|---:|",
        f"| `audit` on the baseline ({len(base['Resources'])} resources), load + rules in process | "
        f"{audit_baseline['in_process'] * 1000:.0f} ms |",
        f"| `audit` on the baseline, whole CLI process | {audit_baseline['process']:.2f} s |",
        f"| `audit` on {resources} resources, load + rules in process | {audit_generated['in_process']:.2f} s "
        f"({audit_generated['findings']} findings) |",
        f"| `audit` on {resources} resources, load + rules in process, CPU time | {audit_generated['cpu']:.2f} s |",
        f"| `audit` on {resources} resources, whole CLI process | {audit_generated['process']:.2f} s |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("VARIANT", "OUTDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="synths per variant (median is reported)")
    parser.add_argument("--resources", type=int, default=5000, help="resources in the generated template")
    parser.add_argument(
        "--suite-repeat", type=int, default=1, help="runs of the test suite (median is reported; about 30 s each)"
    )
    parser.add_argument("--skip-suite", action="store_true", help="do not run and time the test suite")
    parser.add_argument(
        "--audit-only",
        action="store_true",
        help="one baseline synth for the template, then time only `audit` (--repeat times) on it and on the generated "
        "template",
    )
    parser.add_argument(
        "--assembly",
        metavar="DIR",
        help="with --audit-only: a cloud assembly of the baseline already synthesized, instead of a fresh synth",
    )
    parser.add_argument(
        "--against",
        metavar="TREE",
        help="a checkout of an earlier version (e.g. `git worktree add /tmp/before <rev>`): synth of the empty app, "
        "the "
        "baseline and the baseline with every pack, alternating its worker and this tree's, so load hits both alike",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="only the synth of the empty app, the baseline and its floor (benchmarks/floor.py), with and without "
        "every pack, alternating, and the ratios baseline/floor and baseline/empty",
    )
    parser.add_argument(
        "--diff-only",
        metavar="TEMPLATE",
        type=Path,
        help="only time `diff` on the template generated from TEMPLATE (a synthesized workload template)",
    )
    args = parser.parse_args()
    if args.diff_only:
        diff_only(args.diff_only, args.resources, args.repeat)
        return
    if args.suite_repeat < 1:
        parser.error("--suite-repeat must be at least 1 (use --skip-suite to leave the suite out)")
    if args.worker:
        worker(*args.worker, args.assembly, Path(args.root))
        return
    if args.against:
        compare_trees(Path(args.against).resolve(), args.repeat)
        return
    if args.floor:
        print("\n".join(floor_lines(args.repeat)))
        return

    from importlib.metadata import version

    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="secure-sagemaker-bench-"))
    if args.audit_only:
        print("\n".join(audit_only(work, args.repeat, args.resources, args.assembly)))
        return
    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for round_ in range(args.repeat):  # interleave the variants so background load hits all alike
        for variant in VARIANTS:
            outdir = work / f"{variant}-{round_}"
            results[variant].append(run_worker(variant, outdir, assembly=work / "baseline-0"))
            print(
                f"  {variant:<9} round {round_ + 1}: synth {results[variant][-1]['in_process']:.2f} s", file=sys.stderr
            )
    median = {v: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for v, runs in results.items()}

    baseline_dir = work / "baseline-0"
    workload = json.loads((ROOT / "cdk.json").read_text())["context"]["secure-sagemaker:stackName"]
    template_path = baseline_dir / f"{workload}.template.json"  # the larger of the two stacks
    base = json.loads(template_path.read_text())
    generated = work / f"generated-{args.resources}.template.json"
    generated.write_text(json.dumps(generated_template(base, args.resources), indent=1))
    audit_baseline = time_audit(baseline_dir, args.repeat)
    audit_generated = time_audit(generated, args.repeat)
    modified = work / f"modified-{args.resources}.template.json"
    modified.write_text(json.dumps(modified_copy(generated_template(base, args.resources)), indent=1))
    diff_generated = time_diff(generated, modified, args.repeat)
    suite = None if args.skip_suite else time_suite(args.suite_repeat)

    b, e = median["baseline"]["in_process"], median["empty"]["in_process"]
    stock = median["stock"]["in_process"] - b
    ours = median["ours"]["in_process"] - b
    both = median["all"]["in_process"] - b
    lines = [
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, Node "
        f"{_node_version()}, "
        f"aws-cdk-lib {version('aws-cdk-lib')}, cdk-nag {version('cdk-nag')}; {args.repeat} runs per variant, median.",
        "",
        "| Variant | Synth in process (s) | Whole process (s) |",
        "|---|---:|---:|",
    ]
    for variant, label in VARIANTS.items():
        lines.append(f"| {label} | {median[variant]['in_process']:.2f} | {median[variant]['process']:.2f} |")
    lines += [
        "",
        "| Measure | Value |",
        "|---|---:|",
        f"| Baseline synth / empty app synth (in process) | {b / e:.1f}x ({b:.2f} s / {e:.2f} s) |",
        f"| Baseline process / empty app process | {median['baseline']['process'] / median['empty']['process']:.2f}x |",
        f"| Extra synth time, four stock packs together | {stock:+.2f} s |",
        f"| Extra synth time, SageMakerSecurityChecks | {ours:+.2f} s |",
        f"| of which inside `SageMakerSecurityChecks.validate` (read templates, run rules, build report) | "
        f"{median['ours']['validate'] * 1000:.0f} ms |",
        f"| Extra synth time, all five packs | {both:+.2f} s |",
        f"| `audit` on the baseline (both stacks), load + rules in process | {audit_baseline['in_process'] * 1000:.0f} ms |",
        f"| `audit` on the baseline, whole CLI process | {audit_baseline['process']:.2f} s |",
        f"| `audit` on {args.resources} resources, load + rules in process | {audit_generated['in_process']:.2f} "
        f"s ({audit_generated['findings']} findings) |",
        f"| `audit` on {args.resources} resources, whole CLI process | {audit_generated['process']:.2f} s |",
    ]
    lines += diff_lines(args.resources, diff_generated)
    if suite is not None:
        lines += suite_lines(suite)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
