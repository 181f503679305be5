"""secure-sagemaker: a hardened Amazon SageMaker baseline as AWS CDK v2 constructs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("secure-sagemaker")  # the one place the version lives is pyproject.toml
except PackageNotFoundError:  # pragma: no cover - running from a tree that was never installed
    __version__ = "0.0.0+unknown"
