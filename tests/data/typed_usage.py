"""What a user's type checker sees of secure-sagemaker, installed (tests/test_code_checks.py runs mypy on it).

Each line whose comment starts with "error" must be reported; each ``reveal_type`` must show
the type its comment names. Without ``py.typed`` in the package, mypy skips the package and every type here is Any.
"""

from typing import reveal_type

import aws_cdk as cdk

from secure_sagemaker import BaselineConfig, KeyRing, SecureSageMakerStack

stack = cdk.Stack(cdk.App(), "Typed")
keys = KeyRing(stack, "Keys", rotation_period=180)  # error: a Duration is expected, not days
reveal_type(keys.data_key)  # aws_cdk.aws_kms.Key
reveal_type(keys.keys)  # typing.Mapping[str, aws_cdk.aws_kms.Key]
config = BaselineConfig(max_azs="3")  # error: an int is expected
reveal_type(config.create_config_recorder)  # bool | None
reveal_type(SecureSageMakerStack(cdk.App(), "Baseline").baseline.studio)  # secure_sagemaker.studio.SecureStudioDomain | None
