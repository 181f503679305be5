#!/usr/bin/env python3
"""The secure-sagemaker baseline as a CDK app: `cdk synth` needs no AWS account.

Two stacks: the account baseline (what AWS allows once per account and Region: GuardDuty, the
Config recorder and rules, the API Gateway CloudWatch role, the management-events trail) and the
workload (network, keys, buckets, Studio, endpoints, the inference API), which deploys after it.
Set ``secure-sagemaker:accountBaseline`` to false where the organization rolls the account
baseline out with StackSets. Settings come from `cdk.json` context (see
secure_sagemaker/config.py); every nag pack is registered, so synth fails on any unacknowledged
error finding.
"""

import sys

import aws_cdk as cdk

from secure_sagemaker._validation import PropError
from secure_sagemaker.account import SecureSageMakerAccountStack
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
    description="secure-sagemaker: hardened SageMaker workload",
)
if config.account_baseline:
    account = SecureSageMakerAccountStack(
        app,
        config.account_stack_name,
        config=config,
        description="secure-sagemaker: account baseline (once per account and Region)",
    )
    stack.add_stack_dependency(
        account, "the inference API's stage logging needs the account's API Gateway CloudWatch role"
    )
if stack.baseline.inference_api is not None:
    cdk.CfnOutput(
        stack,
        "InferenceApiUrl",
        value=stack.baseline.inference_api.invoke_url,
        description="POST JSON here, signed with SigV4 (execute-api); AWS WAF in front",
    )
if stack.baseline.package_mirror is not None:
    cdk.CfnOutput(
        stack,
        "PackageMirrorLogin",
        value=stack.baseline.package_mirror.login_command,
        description="Run in a Studio space to point pip at the PyPI mirror for 12 hours",
    )
add_all_packs(app)
app.synth()
