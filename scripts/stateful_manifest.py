#!/usr/bin/env python3
"""Write docs/stateful-resources.json: the baseline's stateful resources and their logical ids.

    python scripts/stateful_manifest.py

Synthesizes app.py as the tests do (cdk.json's context, demo endpoint on, so both stacks hold
everything they can) and writes every stateful resource (``secure_sagemaker.securitydiff``'s
table) by stack and logical id. A changed logical id replaces the resource on the next deploy:
tests/test_baseline.py fails until this file is updated, so the change is made on purpose and
reviewed in the pull request, where `secure-sagemaker diff` reports the same resources.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "docs" / "stateful-resources.json"


def render(manifest: dict) -> str:
    body = {
        "_comment": (
            "The baseline's stateful resources by stack and logical id (scripts/stateful_manifest.py). "
            "A changed id replaces the resource on deploy: update this file only on purpose."
        ),
        "stacks": manifest,
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from secure_sagemaker.securitydiff.stateful import stateful_manifest
    from tests.helpers import FULL_BASELINE, synth_app_py

    with tempfile.TemporaryDirectory() as outdir:
        assembly = synth_app_py(Path(outdir), **FULL_BASELINE)
        templates = {
            path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in assembly.glob("*.template.json")
        }
    MANIFEST.write_text(render(stateful_manifest(templates)))
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
