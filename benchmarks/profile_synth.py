#!/usr/bin/env python3
"""Where the synth of the baseline spends its time (a script, not a test).

    python benchmarks/profile_synth.py [--variant baseline|all] [--top 25] [--cprofile FILE]

Builds the full baseline as ``benchmarks/run.py`` does (both stacks, demo endpoint on, cdk.json's
context) in this process and reports:

- every jsii kernel round trip (``create``, ``invoke``, ``get``, ``set`` and their static forms),
  counted by the line of this library that made it (the innermost ``secure_sagemaker`` frame; calls
  made by CDK's own Python bindings for the L2s count under that line too), with the wall time of
  the outermost calls; a call made while Node.js calls back into Python (a validation, an aspect)
  is nested and its time is inside its parent's;
- the time spent in each class's synth-time validations (``node.add_validation`` callbacks);
- with ``--cprofile FILE``, a cProfile of the whole run written to FILE (read it with ``pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL_METHODS = ("create", "invoke", "get", "set", "sinvoke", "sget", "sset")


class RoundTrips:
    """Counts and times jsii kernel calls by the library line that made them."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.by_method: Counter[str] = Counter()
        self.depth = 0

    def install(self) -> None:
        import jsii

        # The generated bindings call jsii.invoke, jsii.get, ... (the kernel's bound methods).
        for method in KERNEL_METHODS:
            setattr(jsii, method, self._wrap(method, getattr(jsii, method)))

    def _wrap(self, method: str, call):
        def counted(*args, **kwargs):
            where = _library_frame()
            self.calls[(where, method)] += 1
            self.by_method[method] += 1
            self.depth += 1
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.seconds[where] += time.perf_counter() - started

        return counted


def _library_frame() -> str:
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if "/secure_sagemaker/" in filename and "site-packages" not in filename:
            return f"{filename.split('/secure_sagemaker/')[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back
    return "(outside the library: CDK or the app)"


class ValidationTimes:
    """Wraps ``Node.add_validation`` so that each validation's ``validate`` is timed by class."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()

    def install(self) -> None:
        import constructs

        original = constructs.Node.add_validation
        times = self

        def add_validation(node, validation):
            kind = type(validation)
            if not getattr(kind, "_timed", False):
                validate = kind.validate

                def timed(self, *args, **kwargs):
                    started = time.perf_counter()
                    try:
                        return validate(self, *args, **kwargs)
                    finally:
                        times.seconds[kind.__qualname__] += time.perf_counter() - started
                        times.calls[kind.__qualname__] += 1

                kind.validate = timed
                kind._timed = True
            return original(node, validation)

        constructs.Node.add_validation = add_validation


def build(variant: str, outdir: str, root: Path = ROOT):
    import aws_cdk as cdk

    from secure_sagemaker.account import SecureSageMakerAccountStack
    from secure_sagemaker.baseline import SecureSageMakerStack
    from secure_sagemaker.config import BaselineConfig
    from secure_sagemaker.nag import add_all_packs

    context = {
        **json.loads((root / "cdk.json").read_text())["context"],
        "secure-sagemaker:demoEndpoint": True,
        "aws:cdk:enable-path-metadata": True,
    }
    app = cdk.App(outdir=outdir, context=context, analytics_reporting=False)
    config = BaselineConfig.from_context(app.node)
    SecureSageMakerStack(app, config.stack_name, config=config)
    SecureSageMakerAccountStack(app, config.account_stack_name, config=config)
    if variant == "all":
        add_all_packs(app)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("baseline", "all"), default="baseline")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cprofile", metavar="FILE")
    parser.add_argument("--root", type=Path, default=ROOT, help="the tree whose library to profile (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    import aws_cdk  # noqa: F401 - start the kernel before counting

    trips, validations = RoundTrips(), ValidationTimes()
    trips.install()
    validations.install()
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    app = build(args.variant, tempfile.mkdtemp(prefix="secure-sagemaker-profile-"), args.root)
    constructed = time.perf_counter()
    construct_trips = sum(trips.by_method.values())
    app.synth()
    done = time.perf_counter()
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.cprofile)
    total = sum(trips.by_method.values())
    print(f"construct {constructed - started:.2f} s, synth {done - constructed:.2f} s")
    print(f"jsii round trips: {total} ({construct_trips} while constructing), {dict(trips.by_method)}")
    print(f"\nValidations (synth-time re-checks), {sum(validations.seconds.values()):.2f} s in all:")
    for kind, seconds in sorted(validations.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:6.3f} s  {validations.calls[kind]:4d} calls  {kind}")
    by_line = Counter()
    for (where, _method), count in trips.calls.items():
        by_line[where] += count
    print(f"\nTop {args.top} library lines by jsii round trips (count, outermost wall time):")
    for where, count in by_line.most_common(args.top):
        print(f"  {count:6d}  {trips.seconds.get(where, 0.0):6.2f} s  {where}")
    by_file = Counter()
    for where, count in by_line.items():
        by_file[where.split(":")[0]] += count
    print("\nRound trips by module:")
    for module, count in by_file.most_common():
        print(f"  {count:6d}  {module}")


if __name__ == "__main__":
    main()
