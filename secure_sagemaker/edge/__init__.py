"""The inference edge: API Gateway and AWS WAF in front of a SageMaker endpoint.

- :class:`ProtectedInferenceApi` (``api.py``): the REST API, its stage, logs, alarms and web ACL.
- ``firewall.py``: the web ACL's rules and priorities, WAF logging with redaction.
- ``limits.py``: the service limits props are validated against (payload size, WAF rate limits,
  body inspection sizes).
"""

from secure_sagemaker.edge.api import (
    ACCESS_LOG_FIELDS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_REQUEST_SCHEMA,
    INVOCATIONS_PATH,
    ProtectedInferenceApi,
)
from secure_sagemaker.edge.firewall import PRIORITIES, REDACTED_HEADERS
from secure_sagemaker.edge.limits import (
    MAX_INSPECTED_BODY_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_WAF_RATE_LIMIT,
    MIN_WAF_RATE_LIMIT,
    WAF_RATE_WINDOWS,
    content_length_above,
)

__all__ = [
    "ACCESS_LOG_FIELDS",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REQUEST_SCHEMA",
    "INVOCATIONS_PATH",
    "MAX_INSPECTED_BODY_BYTES",
    "MAX_PAYLOAD_BYTES",
    "MAX_WAF_RATE_LIMIT",
    "MIN_WAF_RATE_LIMIT",
    "PRIORITIES",
    "REDACTED_HEADERS",
    "WAF_RATE_WINDOWS",
    "ProtectedInferenceApi",
    "content_length_above",
]
