"""Every numeric prop of every construct refuses NaN and infinity in Python, before jsii sees them.

jsii cannot serialize a non-finite float: its Node.js kernel dies, and every later CDK call of the
process fails with a broken pipe. Each case below would have killed the kernel for the rest of the
test session; that the cases after it still run is part of what this module proves.
"""

from __future__ import annotations

import math
from itertools import count
from typing import Any, Callable

import aws_cdk as cdk
import pytest

from secure_sagemaker._validation import PropError, require_number
from secure_sagemaker.audit import ThreatDetection
from secure_sagemaker.dns import DnsFirewall
from secure_sagemaker.edge import ProtectedInferenceApi
from secure_sagemaker.encryption import KeyRing
from secure_sagemaker.identity import S3Prefix
from secure_sagemaker.inference import SecureEndpoint
from secure_sagemaker.model_monitor import SecureDataQualityMonitor
from secure_sagemaker.network import PrivateNetwork
from secure_sagemaker.storage import SecureBucket
from secure_sagemaker.studio import SecureNotebookInstance, SecureStudioDomain
from tests.helpers import monitor_role, new_role, new_stack, served_endpoints

NON_FINITE = (math.nan, math.inf, -math.inf)


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """One stack with what every construct below needs (never synthesized)."""
    stack = new_stack()
    keys = KeyRing(stack, "Keys")
    network = PrivateNetwork(stack, "Network", logs_key=keys.logs_key, interface_endpoints=[])
    captures = SecureBucket(stack, "Captures", encryption_key=keys.models_key)
    (endpoint,) = served_endpoints(stack, keys, network, captures, "Endpoint")
    return {
        "stack": stack,
        "keys": keys,
        "network": network,
        "endpoint": endpoint,
        "topic": endpoint.alarm_topic,
        "monitor_role": monitor_role(
            stack,
            "MonitorRole",
            network,
            keys.models_key,
            [S3Prefix(captures.bucket, "data-capture")],
            [S3Prefix(captures.bucket, "monitoring")],
        ),
        "studio_role": new_role(stack, "StudioRole"),
        "ids": count(),
    }


def _endpoint(b: dict, **props: Any) -> Any:
    return SecureEndpoint(
        b["stack"],
        f"Endpoint{next(b['ids'])}",
        model=b["endpoint"].model,
        encryption_key=b["keys"].models_key,
        alarm_topic=b["topic"],
        **props,
    )


def _api(b: dict, **props: Any) -> Any:
    return ProtectedInferenceApi(
        b["stack"],
        f"Api{next(b['ids'])}",
        endpoint=b["endpoint"],
        logs_key=b["keys"].logs_key,
        alarm_topic=b["topic"],
        **props,
    )


def _monitor(b: dict, **props: Any) -> Any:
    return SecureDataQualityMonitor(
        b["stack"],
        f"Monitor{next(b['ids'])}",
        endpoint=b["endpoint"],
        role=b["monitor_role"],
        encryption_key=b["keys"].models_key,
        **props,
    )


def _network(b: dict, **props: Any) -> Any:
    return PrivateNetwork(
        b["stack"], f"Network{next(b['ids'])}", logs_key=b["keys"].logs_key, interface_endpoints=[], **props
    )


def _domain(b: dict, **props: Any) -> Any:
    return SecureStudioDomain(
        b["stack"],
        f"Domain{next(b['ids'])}",
        network=b["network"],
        execution_role=b["studio_role"],
        encryption_key=b["keys"].data_key,
        **props,
    )


def _notebook(b: dict, **props: Any) -> Any:
    return SecureNotebookInstance(
        b["stack"],
        f"Notebook{next(b['ids'])}",
        network=b["network"],
        execution_role=b["studio_role"],
        encryption_key=b["keys"].data_key,
        **props,
    )


def _dns_firewall(b: dict, **props: Any) -> Any:
    return DnsFirewall(
        b["stack"], f"DnsFirewall{next(b['ids'])}", vpc=b["network"].vpc, logs_key=b["keys"].logs_key, **props
    )


def _threats(b: dict, **props: Any) -> Any:
    return ThreatDetection(b["stack"], f"Threats{next(b['ids'])}", alert_topic=b["topic"], **props)


#: (construct, numeric prop, other props the prop needs to be read). One row per numeric prop.
NUMERIC_PROPS: list[tuple[Callable[..., Any], str, dict[str, Any]]] = [
    (_endpoint, "instance_count", {}),
    (_endpoint, "sampling_percentage", {}),
    (_endpoint, "client_error_threshold", {}),
    (_endpoint, "server_error_threshold", {}),
    (_endpoint, "invocation_anomaly_std_devs", {}),
    (_endpoint, "max_instance_count", {"target_invocations_per_instance": 100}),
    (_endpoint, "target_invocations_per_instance", {"max_instance_count": 4}),
    (_api, "max_body_bytes", {}),
    (_api, "throttling_rate_limit", {}),
    (_api, "throttling_burst_limit", {}),
    (_api, "quota_per_day", {"api_key_required": True}),
    (_api, "waf_rate_limit", {}),
    (_api, "blocked_requests_threshold", {}),
    (_api, "client_error_threshold", {}),
    (_api, "server_error_threshold", {}),
    (_monitor, "instance_count", {}),
    (_monitor, "volume_size", {}),
    (_network, "max_azs", {}),
    (_network, "subnet_cidr_mask", {}),
    (_dns_firewall, "priority", {}),
    (_domain, "default_space_volume_gb", {}),
    (_domain, "max_space_volume_gb", {}),
    (_notebook, "volume_size_gb", {}),
    (_threats, "min_severity", {}),
]


@pytest.mark.parametrize("value", NON_FINITE, ids=str)
@pytest.mark.parametrize(
    "make, prop, others", NUMERIC_PROPS, ids=[f"{make.__name__.strip('_')}-{prop}" for make, prop, _ in NUMERIC_PROPS]
)
def test_non_finite_numbers_fail_in_python_and_jsii_lives_on(
    base: dict, make: Callable, prop: str, others: dict, value: float
) -> None:
    with pytest.raises(PropError) as raised:
        make(base, **others, **{prop: value})
    message = str(raised.value)
    assert f": {prop}={value!r} " in message and "Fix: " in message, message
    assert "is not a finite number" in message or "is a float, not a int" in message, message
    # the jsii kernel still answers
    assert cdk.Duration.minutes(2).to_seconds() == 120


def test_the_table_lists_every_numeric_prop_of_every_public_construct() -> None:
    """A numeric prop added to a public construct must be added to NUMERIC_PROPS too."""
    import importlib
    import inspect

    from constructs import Construct

    import secure_sagemaker

    makers = {
        SecureEndpoint: _endpoint,
        ProtectedInferenceApi: _api,
        SecureDataQualityMonitor: _monitor,
        PrivateNetwork: _network,
        DnsFirewall: _dns_firewall,
        SecureStudioDomain: _domain,
        SecureNotebookInstance: _notebook,
        ThreatDetection: _threats,
    }
    listed = {(make, prop) for make, prop, _ in NUMERIC_PROPS}
    missing = []
    for name, module in secure_sagemaker._EXPORTS.items():
        cls = getattr(importlib.import_module(module), name)
        if not (isinstance(cls, type) and issubclass(cls, Construct)):
            continue
        for prop, parameter in inspect.signature(cls.__init__).parameters.items():
            if set(str(parameter.annotation).split(" | ")) & {"int", "float"} and (makers.get(cls), prop) not in listed:
                missing.append(f"{name}.{prop}")
    assert missing == []


@pytest.mark.parametrize(
    "value, kwargs, problem",
    [
        (math.nan, {}, "is not a finite number"),
        (math.inf, {"maximum": 10}, "is not a finite number"),
        (True, {}, "is a bool, not a int or float"),
        ("3", {}, "is a str, not a int or float"),
        (2.5, {"integer": True}, "is a float, not a int"),
        (0, {"minimum": 1}, "is below 1"),
        (11, {"maximum": 10}, "is above 10"),
        (11, {"minimum": 1, "maximum": 10}, "is outside 1..10"),
    ],
)
def test_require_number_says_what_is_wrong(value: Any, kwargs: dict, problem: str) -> None:
    with pytest.raises(PropError, match=f"^C: p={value!r} {problem}. Fix: pass a number.$"):
        require_number("C", "p", value, "pass a number", **kwargs)


@pytest.mark.parametrize(
    "value, kwargs", [(1, {}), (2.5, {"minimum": 0}), (10, {"minimum": 1, "maximum": 10}), (0, {"integer": True})]
)
def test_require_number_accepts_finite_numbers_in_range(value: Any, kwargs: dict) -> None:
    require_number("C", "p", value, "pass a number", **kwargs)
