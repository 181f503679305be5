"""secure-sagemaker: a hardened Amazon SageMaker baseline as AWS CDK v2 constructs."""

__version__ = "0.1.0"
