#!/usr/bin/env python3
"""Multi-account delivery of the secure-sagemaker workload with CDK Pipelines.

A tools account runs the pipeline. Its synth step synthesizes this app with every nag pack
registered (so an unacknowledged error stops the pipeline), runs `secure-sagemaker audit` on the
cloud assembly, and runs `secure-sagemaker diff` of each workload against the template deployed
now, read through the CDK bootstrap's lookup role of the target account. Then the workload deploys
to dev and, after a manual approval whose reviewer reads that diff, to prod.

The account baseline (GuardDuty, Config, the management-events trail, API Gateway's CloudWatch
role) is not deployed here: it is once per account and Region, and the organization rolls it out to
every account with CloudFormation StackSets (docs/accounts-and-workloads.md). Workload stages set
``secure-sagemaker:accountBaseline`` to false; the pipeline's ``OrganizationBaseline`` step, before
dev, updates that stack set from the account baseline template this same app synthesizes, so the
two move together and a new account of the organizational unit gets the baseline automatically.

Synthesizes without credentials: every environment is explicit and nothing is looked up.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from secure_sagemaker.account import SecureSageMakerAccountStack
from secure_sagemaker.acknowledgments import acknowledge, flatten_cfn_reference
from secure_sagemaker.baseline import SecureSageMakerStack
from secure_sagemaker.config import BaselineConfig
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.storage import SecureBucket

TOOLS = cdk.Environment(account="111111111111", region="eu-west-1")
DEV = cdk.Environment(account="222222222222", region="eu-west-1")
PROD = cdk.Environment(account="333333333333", region="eu-west-1")
REPOSITORY = "your-org/ml-platform"
CONNECTION_ARN = "arn:aws:codeconnections:eu-west-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
#: The stack set the organization created once (docs/accounts-and-workloads.md, step 2).
STACK_SET = "secure-sagemaker-account-baseline"
#: The workload stack's name in every account: the deployed template the diff compares with.
WORKLOAD_STACK = "SecureSageMakerWorkload"


class WorkloadStage(cdk.Stage):
    """One environment's workload (network, keys, buckets, Studio, endpoints); the account
    baseline comes from StackSets."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.workload = SecureSageMakerStack(
            self,
            "Workload",
            stack_name=WORKLOAD_STACK,
            config=BaselineConfig.from_context(self.node),
            description=f"secure-sagemaker workload ({construct_id})",
        )


def _deployed_template_commands(stage: str, env: cdk.Environment) -> list[str]:
    """Read the stage's deployed workload template through the account's CDK lookup role (the
    bootstrap's read-only role), then diff the new one against it; exit 2 (bad input) fails the
    step, exit 1 (worse) is for the approver to read."""
    role = f"arn:aws:iam::{env.account}:role/cdk-hnb659fds-lookup-role-{env.account}-{env.region}"
    return [
        f"aws configure set profile.{stage}.role_arn {role}",
        f"aws configure set profile.{stage}.credential_source EcsContainer",
        f"mkdir -p deployed/{stage}",
        f"aws cloudformation get-template --profile {stage} --region {env.region} --stack-name {WORKLOAD_STACK}"
        f" --query TemplateBody --output json > deployed/{stage}/{WORKLOAD_STACK}.template.json"
        f" || echo '{{\"Resources\": {{}}}}' > deployed/{stage}/{WORKLOAD_STACK}.template.json",
        f"secure-sagemaker diff deployed/{stage} cdk.out/assembly-{stage.capitalize()} --output "
        f"security-diff-{stage}.txt"
        " || test $? -eq 1",
        f"cat security-diff-{stage}.txt",
    ]


_GENERATED = (
    "CDK Pipelines generates this policy for its own role: S3 and KMS actions on the pipeline's "
    "artifact bucket and key (CDK's grant wildcards such as s3:GetObject*), CodeBuild reports and logs "
    "of its own projects, and the bootstrap roles it assumes. Kept inline, as CDK attaches it, so it is "
    "deleted with the role; reviewed with each CDK upgrade through `secure-sagemaker diff`."
)


def _acknowledge_generated_policy(policy: iam.Policy) -> None:
    """Acknowledge, by exact finding id, the wildcards and the inline policy of a generated policy."""
    document = cdk.Stack.of(policy).resolve(policy.document)
    rules = [f"{pack}-IAMNoInlinePolicy" for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")]
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for key, kind in (("Action", "Action"), ("Resource", "Resource")):
            values = statement.get(key, [])
            for value in values if isinstance(values, list) else [values]:
                flat = flatten_cfn_reference(value)
                if "*" in flat and f"AwsSolutions-IAM5[{kind}::{flat}]" not in rules:
                    rules.append(f"AwsSolutions-IAM5[{kind}::{flat}]")
    acknowledge(policy.node.default_child, rules, _GENERATED)


class DeliveryStack(cdk.Stack):
    """The pipeline, in the tools account."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        synth = pipelines.CodeBuildStep(
            "Synth",
            input=pipelines.CodePipelineSource.connection(REPOSITORY, "main", connection_arn=CONNECTION_ARN),
            install_commands=["pip install -r requirements.txt"],  # secure-sagemaker[cli]: the cdk CLI and Node.js
            commands=[
                # every nag pack runs at synth: an unacknowledged error stops the pipeline here
                "cdk synth --quiet",
                "secure-sagemaker audit cdk.out --format sarif --output audit.sarif",
                *_deployed_template_commands("dev", DEV),
                *_deployed_template_commands("prod", PROD),
            ],
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[
                        f"arn:aws:iam::{env.account}:role/cdk-hnb659fds-lookup-role-{env.account}-{env.region}"
                        for env in (DEV, PROD)
                    ],
                )
            ],
            primary_output_directory="cdk.out",
        )
        # The artifact bucket is one of ours: KMS with a rotating key, versioned, access-logged, TLS only.
        keys = KeyRing(self, "Keys")
        artifacts = SecureBucket(self, "Artifacts", encryption_key=keys.data_key)
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            synth=synth,
            artifact_bucket=artifacts.bucket,  # its key is shared with dev and prod for the deploy actions
        )
        organization = pipelines.CodeBuildStep(
            "OrganizationBaseline",
            input=synth,
            commands=[
                f"aws cloudformation update-stack-set --stack-set-name {STACK_SET}"
                " --template-body file://SecureSageMakerAccountBaseline.template.json"
                " --capabilities CAPABILITY_IAM --operation-preferences FailureToleranceCount=0,MaxConcurrentCount=5",
            ],
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=["cloudformation:UpdateStackSet", "cloudformation:DescribeStackSet"],
                    resources=[f"arn:aws:cloudformation:{TOOLS.region}:{TOOLS.account}:stackset/{STACK_SET}:*"],
                )
            ],
        )
        self.pipeline.add_stage(WorkloadStage(scope, "Dev", env=DEV), pre=[organization])
        self.pipeline.add_stage(
            WorkloadStage(scope, "Prod", env=PROD),
            pre=[
                pipelines.ManualApprovalStep(
                    "PromoteToProd",
                    comment="Read security-diff-prod.txt in the Synth step's log: what this release changes in prod.",
                )
            ],
        )
        self.pipeline.build_pipeline()
        self._acknowledge_what_cdk_pipelines_generates(artifacts)

    def _acknowledge_what_cdk_pipelines_generates(self, artifacts: SecureBucket) -> None:
        """The pipeline's own roles and projects are CDK Pipelines' (their grants follow the
        artifact bucket, its key and each project): acknowledge on each generated policy and
        project, with the reason, what the packs report there. The workload stages get nothing."""
        for bucket in (artifacts.bucket, artifacts.access_log_bucket):
            acknowledge(
                bucket.node.default_child,
                [f"{pack}-S3BucketReplicationEnabled" for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")],
                "Pipeline artifacts are rebuilt from the repository on every run; a replica in a second "
                "Region would protect nothing that a rerun does not restore.",
            )
        for construct in self.pipeline.node.find_all():
            if isinstance(construct, iam.Policy):
                _acknowledge_generated_policy(construct)
            elif isinstance(construct, cdk.aws_codebuild.CfnProject):
                acknowledge(
                    construct,
                    [f"{pack}-CodeBuildProjectSourceRepoUrl" for pack in ("HIPAA.Security", "PCI.DSS.321")],
                    "The project's source is the pipeline's artifact (CODEPIPELINE), not a repository URL, "
                    "so no credential can be embedded in one.",
                )


def build(app: cdk.App) -> DeliveryStack:
    """The delivery app: the account baseline template (for the stack set) and the pipeline."""
    SecureSageMakerAccountStack(
        app,
        "SecureSageMakerAccountBaseline",
        config=BaselineConfig.from_context(app.node),
        description="secure-sagemaker: account baseline, rolled out with StackSets",
    )
    return DeliveryStack(app, "Delivery", env=TOOLS)


if __name__ == "__main__":
    from secure_sagemaker.nag import add_all_packs

    app = cdk.App(context={"secure-sagemaker:accountBaseline": False})
    build(app)
    add_all_packs(app)
    app.synth()
