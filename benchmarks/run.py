#!/usr/bin/env python3
"""Synth and audit timings for docs/performance.md (a script, not a test).

    python benchmarks/run.py [--repeat 3] [--resources 5000]

Measures, in one run on this machine:

1. synth of the baseline app against an empty CDK app (one stack with one placeholder resource,
   since CloudFormation rejects an empty Resources section), same environment;
2. the extra synth time of SageMakerSecurityChecks against the four stock cdk-nag packs together;
3. `audit` on the baseline template and on a generated template of 5,000 resources (the baseline's
   resources copied with renamed logical ids, so every cross-resource lookup stays realistic).

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
VARIANTS = {
    "empty": "empty app (one stack, one placeholder resource), no pack",
    "baseline": "baseline, no pack",
    "stock": "baseline + the four stock packs",
    "ours": "baseline + SageMakerSecurityChecks",
    "all": "baseline + all five packs (add_all_packs)",
}


# --------------------------------------------------------------------------------------------
# Worker: one synth in this process
# --------------------------------------------------------------------------------------------


def worker(variant: str, outdir: str) -> None:
    started = time.perf_counter()
    import aws_cdk as cdk

    sys.path.insert(0, str(ROOT))
    from secure_sagemaker.baseline import SecureSageMakerStack
    from secure_sagemaker.config import BaselineConfig
    from secure_sagemaker.nag import add_all_packs, stock_packs
    from secure_sagemaker.nag.pack import SageMakerSecurityChecks

    imported = time.perf_counter()
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], "aws:cdk:enable-path-metadata": True}
    app = cdk.App(outdir=outdir, context=context, analytics_reporting=False)
    if variant == "empty":
        # CloudFormation rejects an empty Resources section (and so does CDK's own validation).
        cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Placeholder")
    else:
        config = BaselineConfig.from_context(app.node)
        SecureSageMakerStack(app, config.stack_name, config=config)
    if variant == "stock":
        cdk.Validations.of(app).add_plugins(*stock_packs(app))
    elif variant == "ours":
        pack = SageMakerSecurityChecks(app)
        cdk.Validations.of(app).add_plugins(pack)
    elif variant == "all":
        add_all_packs(app)
    constructed = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    timings = {"import": imported - started, "construct": constructed - imported, "synth": done - constructed}
    if variant == "ours":
        timings["validate"] = pack.last_validate_seconds
    print(json.dumps(timings))


def run_worker(variant: str, outdir: Path) -> dict[str, float]:
    env = {**os.environ, "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--worker", variant, str(outdir)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"synth of {variant} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["in_process"] = timings["construct"] + timings["synth"]
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
WEAKENED = ("EnableKeyRotation", "BucketEncryption", "EnableNetworkIsolation", "KmsKeyId", "VersioningConfiguration", "RetentionInDays")


def generated_template(base: dict, count: int) -> dict:
    """``count`` resources: copies of ``base``'s resources with renamed logical ids and references;
    every other copy loses the :data:`WEAKENED` properties."""
    resources: dict[str, Any] = {}
    copy_index = 0
    while len(resources) < count:
        names = {lid: f"{lid}C{copy_index}" for lid in base["Resources"]}
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
    return {**{k: v for k, v in base.items() if k != "Resources"}, "Resources": resources}


def time_audit(path: Path, repeat: int) -> dict[str, float]:
    """In-process load + rules (median), and the CLI as a process (median)."""
    from secure_sagemaker.nag.engine import check_template
    from secure_sagemaker.nag.loader import load_paths
    from secure_sagemaker.nag.template import Template

    in_process, process, findings = [], [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        for loaded in load_paths([str(path)]):
            findings = len(check_template(Template(loaded.body, name=loaded.display, lines=loaded.lines)))
        in_process.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "secure_sagemaker.cli", "audit", "--format", "json", str(path)],
            cwd=ROOT, capture_output=True, check=False,
        )
        process.append(time.perf_counter() - started)
    return {"in_process": statistics.median(in_process), "process": statistics.median(process), "findings": findings}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _node_version() -> str:
    node = Path(sys.executable).parent / "node"
    try:
        return subprocess.run([str(node if node.exists() else "node"), "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=2, metavar=("VARIANT", "OUTDIR"), help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="synths per variant (median is reported)")
    parser.add_argument("--resources", type=int, default=5000, help="resources in the generated template")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return

    from importlib.metadata import version

    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="secure-sagemaker-bench-"))
    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for round_ in range(args.repeat):  # interleave the variants so background load hits all alike
        for variant in VARIANTS:
            outdir = work / f"{variant}-{round_}"
            results[variant].append(run_worker(variant, outdir))
            print(f"  {variant:<9} round {round_ + 1}: synth {results[variant][-1]['in_process']:.2f} s", file=sys.stderr)
    median = {v: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for v, runs in results.items()}

    baseline_dir = work / "baseline-0"
    template_path = next(baseline_dir.glob("*.template.json"))
    base = json.loads(template_path.read_text())
    generated = work / f"generated-{args.resources}.template.json"
    generated.write_text(json.dumps(generated_template(base, args.resources), indent=1))
    audit_baseline = time_audit(baseline_dir, args.repeat)
    audit_generated = time_audit(generated, args.repeat)

    b, e = median["baseline"]["in_process"], median["empty"]["in_process"]
    stock = median["stock"]["in_process"] - b
    ours = median["ours"]["in_process"] - b
    both = median["all"]["in_process"] - b
    lines = [
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), Python {platform.python_version()}, Node {_node_version()}, "
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
        f"| of which inside `SageMakerSecurityChecks.validate` (read templates, run rules, build report) | {median['ours']['validate'] * 1000:.0f} ms |",
        f"| Extra synth time, all five packs | {both:+.2f} s |",
        f"| `audit` on the baseline ({len(base['Resources'])} resources), load + rules in process | {audit_baseline['in_process'] * 1000:.0f} ms |",
        f"| `audit` on the baseline, whole CLI process | {audit_baseline['process']:.2f} s |",
        f"| `audit` on {args.resources} resources, load + rules in process | {audit_generated['in_process']:.2f} s ({audit_generated['findings']} findings) |",
        f"| `audit` on {args.resources} resources, whole CLI process | {audit_generated['process']:.2f} s |",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
