"""The rules of the SageMakerSecurity pack, one module per service.

Importing this package registers every rule; the order of the imports is the catalogue order.
"""

from secure_sagemaker.nag.rules import (  # noqa: F401
    sagemaker,
    iam,
    kms,
    s3,
    vpc,
    apigateway,
    monitoring,
    cloudformation,
)
