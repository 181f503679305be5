#!/usr/bin/env python3
"""Sum a Node.js CPU profile of the jsii kernel by where the time went (a script, not a test).

    NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" python benchmarks/run.py --worker baseline /tmp/out
    python benchmarks/node_profile.py /tmp/prof/*.cpuprofile [--top 30]

Prints self time by source file (aws-cdk-lib's module, the jsii kernel, Node.js itself) and the
inclusive time of the functions named in :data:`PHASES` (the steps of ``app.synth()``), so that a
synth of the baseline and one of its floor (``benchmarks/floor.py``) can be compared step by step.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

#: Functions whose inclusive time says which step of synthesis the time belongs to.
PHASES = (
    "synthesize",
    "prepareApp",
    "invokeAspects",
    "validateTree",
    "resolve",
    "resolveReferences",
    "_toCloudFormation",
    "synthesizeTree",
    "captureStackTrace",
    "addMetadata",
    "stage",
    "fingerprint",
    "copyDirectory",
)


def source(url: str) -> str:
    """A short name for a script: ``aws-cdk-lib/aws-iam/lib/policy-document``, ``node:internal/...``."""
    match = re.search(r"node_modules/((?:@[^/]+/)?[^/]+)/(.*?)(?:\.js)?$", url)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return url.rsplit("/", 1)[-1] or "(native / garbage collection)"


def analyse(path: Path) -> tuple[float, Counter[str], dict[str, float]]:
    profile = json.loads(path.read_text())
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    self_time: Counter[int] = Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        self_time[sample] += delta / 1e6
    by_file: Counter[str] = Counter()
    phases: dict[str, float] = defaultdict(float)
    for node_id, seconds in self_time.items():
        frame = nodes[node_id]["callFrame"]
        by_file[source(frame["url"]) if frame["url"] else frame["functionName"] or "(anonymous)"] += seconds
        seen, walk = set(), node_id
        while walk is not None:  # inclusive time, counted once per phase per sample
            name = nodes[walk]["callFrame"]["functionName"]
            if name in PHASES and name not in seen:
                phases[name] += seconds
                seen.add(name)
            walk = parent.get(walk)
    return sum(self_time.values()), by_file, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    total, by_file, phases = 0.0, Counter(), defaultdict(float)
    for path in args.profiles:
        seconds, files, steps = analyse(path)
        total += seconds
        by_file.update(files)
        for name, value in steps.items():
            phases[name] += value
    print(f"{total:.2f} s of samples in {len(args.profiles)} profile(s)")
    print("\nInclusive time of synthesis steps:")
    for name in PHASES:
        if phases.get(name):
            print(f"  {phases[name]:6.2f} s  {name}")
    print(f"\nTop {args.top} sources by self time:")
    for name, seconds in by_file.most_common(args.top):
        print(f"  {seconds:6.2f} s  {name}")


if __name__ == "__main__":
    main()
