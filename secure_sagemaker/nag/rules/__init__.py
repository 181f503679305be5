"""The rules of the SageMakerSecurity pack, one module per service.

Importing this package registers every rule; the order of the imports is the catalogue order.
"""

# The order of the imports is the order of the catalogue, so they are not sorted.
# isort: skip_file
from secure_sagemaker.nag.rules import (  # noqa: F401
    sagemaker,
    iam,
    kms,
    s3,
    vpc,
    apigateway,
    cloudtrail,
    guardduty,
    logs,
    sns,
    cloudformation,
)
