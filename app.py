#!/usr/bin/env python3
"""The secure-sagemaker baseline as a CDK app: `cdk synth` needs no AWS account.

Settings come from `cdk.json` context (see secure_sagemaker/config.py); every nag pack is
registered, so synth fails on any unacknowledged error finding.
"""

import sys

import aws_cdk as cdk

from secure_sagemaker._validation import PropError
from secure_sagemaker.baseline import SecureSageMakerStack
from secure_sagemaker.config import BaselineConfig
from secure_sagemaker.nag import add_all_packs

app = cdk.App()
try:
    config = BaselineConfig.from_context(app.node)
except PropError as err:  # a bad cdk.json or -c value: the message, not a traceback
    sys.exit(f"app.py: {err}")
stack = SecureSageMakerStack(
    app,
    config.stack_name,
    config=config,
    description="secure-sagemaker: hardened SageMaker baseline",
)
if stack.baseline.inference_api is not None:
    cdk.CfnOutput(
        stack,
        "InferenceApiUrl",
        value=stack.baseline.inference_api.invoke_url,
        description="POST JSON here, signed with SigV4 (execute-api); AWS WAF in front",
    )
add_all_packs(app)
app.synth()
