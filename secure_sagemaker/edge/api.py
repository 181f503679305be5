"""``ProtectedInferenceApi``: API Gateway and AWS WAF in front of one SageMaker endpoint."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import aws_cdk as cdk
import constructs
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from secure_sagemaker._enforced import enforce_rules
from secure_sagemaker._retention import RETAINED
from secure_sagemaker._validation import describe, fail, require_attribute, require_finite_retention, require_type
from secure_sagemaker.acknowledgments import acknowledge
from secure_sagemaker.alarms import AlarmFactory
from secure_sagemaker.edge import limits
from secure_sagemaker.edge.account_logging import ApiGatewayCloudWatchRole
from secure_sagemaker.edge.firewall import build_firewall
from secure_sagemaker.interfaces import InferenceEndpoint

#: Default largest request body, in bytes: 16 KB, what AWS WAF inspects at its base price.
DEFAULT_MAX_BODY_BYTES = 16 * 1024
#: The one resource path of the API; requests are ``POST <stage URL>/invocations``.
INVOCATIONS_PATH = "invocations"
#: CloudWatch namespace of AWS WAF metrics.
WAF_NAMESPACE = "AWS/WAFV2"
#: Default JSON schema of request bodies: a non-empty JSON object.
DEFAULT_REQUEST_SCHEMA = apigateway.JsonSchema(
    schema=apigateway.JsonSchemaVersion.DRAFT4,
    title="InvocationRequest",
    type=apigateway.JsonSchemaType.OBJECT,
    min_properties=1,
)
#: Access log record, one JSON object per request. Caller identity (IAM user/role ARN, Cognito
#: subject, API key id, VPC endpoint), outcome (status, error type, WAF verdict) and timings; never
#: the API key itself or a body.
ACCESS_LOG_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "userAgent": "$context.identity.userAgent",
        "caller": "$context.identity.caller",
        "userArn": "$context.identity.userArn",
        "accountId": "$context.identity.accountId",
        "cognitoSubject": "$context.authorizer.claims.sub",
        "apiKeyId": "$context.identity.apiKeyId",
        "vpceId": "$context.identity.vpceId",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "protocol": "$context.protocol",
        "status": "$context.status",
        "errorType": "$context.error.responseType",
        "wafResponseCode": "$context.wafResponseCode",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integration.status",
        "integrationLatencyMs": "$context.integration.latency",
        "responseLatencyMs": "$context.responseLatency",
        "xrayTraceId": "$context.xrayTraceId",
    }
)
#: Bodies of error responses: a fixed message and the request id to quote to support, nothing from
#: SageMaker (a model container's error can carry stack traces and internal names).
CLIENT_ERROR_BODY = '{"message": "The request could not be processed", "requestId": "$context.requestId"}'
MODEL_ERROR_BODY = '{"message": "The model is unavailable", "requestId": "$context.requestId"}'
#: Gateway responses (API Gateway's own errors: authentication, WAF, throttling, validation):
#: the error type only (ACCESS_DENIED, WAF_FILTERED, THROTTLED, BAD_REQUEST_BODY, ...), never the
#: default messages, which name the caller's ARN and account on access denied.
GATEWAY_4XX_BODY = '{"message": "$context.error.responseType", "requestId": "$context.requestId"}'
GATEWAY_5XX_BODY = '{"message": "Internal server error", "requestId": "$context.requestId"}'
_ALARM_PERIOD = cdk.Duration.minutes(5)
_AUTHORIZED = ("AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM")
_COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")

_CACHE_REASON = (
    "Caching is deliberately off: each response is a model prediction for one caller's input, and "
    "API Gateway keys its cache by path and declared parameters, not by body or caller, so a cache "
    "would serve one client's prediction to another. With no cache cluster nothing is stored at "
    "rest to encrypt."
)
_CLIENT_CERT_REASON = (
    "Stage client certificates authenticate API Gateway to HTTP(S) backends that verify them. The "
    "only backend here is an AWS service integration with the SageMaker runtime, which API Gateway "
    "calls over TLS signed with SigV4 as the integration role; SageMaker ignores client certificates."
)
_IAM_AUTH_REASON = (
    "The method is authorized with IAM (SigV4): callers are IAM principals whose policies allow "
    "execute-api:Invoke on this method, every request is signed and CloudTrail/access logs name the "
    "principal. A Cognito user pool is for end-user identities; the construct uses one when "
    "cognito_user_pools is given."
)


@jsii.implements(constructs.IValidation)
class _EveryMethodAuthorized:
    """At synthesis: every method of the API (added by anyone) requires authorization."""

    def __init__(self, owner: str, api: apigateway.RestApi) -> None:
        self._owner, self._api = owner, api

    def validate(self) -> list[str]:
        stack = cdk.Stack.of(self._api)
        errors = []
        for child in self._api.node.find_all():
            if isinstance(child, apigateway.CfnMethod):
                kind = stack.resolve(child.authorization_type)
                if kind not in _AUTHORIZED:
                    errors.append(
                        f"{self._owner}: method {child.node.path} has AuthorizationType {kind or 'NONE'}, but every "
                        f"method of this API must require authorization. Fix: add it with "
                        f"authorization_type=apigateway.AuthorizationType.IAM (the API's default method options "
                        f"do this when you do not override them)."
                    )
        return errors


class ProtectedInferenceApi(Construct):
    """A regional REST API with AWS WAF in front of one :class:`SecureEndpoint`, never open.

    Request path: client -> AWS WAF -> API Gateway (authorization, throttling, validation) ->
    ``sagemaker:InvokeEndpoint`` -> the endpoint. Callers ``POST`` a JSON body to
    ``invoke_url`` (``<stage URL>/invocations``).

    - **Integration**: a direct AWS service integration with the SageMaker runtime
      (``runtime.sagemaker``, path ``endpoints/<name>/invocations``), no Lambda. API Gateway calls
      it as ``integration_role``, whose only permission (a customer managed policy) is
      ``sagemaker:InvokeEndpoint`` on this endpoint's ARN. The role's trust has no
      ``aws:SourceArn``/``aws:SourceAccount`` condition: API Gateway does not document them for
      roles it assumes, and a condition it does not send would break every call; another account
      cannot use the role, since ``iam:PassRole`` never crosses accounts.
    - **Authorization** on every method, checked again at synthesis (a method with
      ``AuthorizationType: NONE`` fails ``cdk synth``): IAM (SigV4) by default, or a Cognito user
      pools authorizer with ``cognito_user_pools``.
    - **Validation**: a request validator (body and parameters) with a JSON schema model and a
      required ``Content-Type`` header; only ``application/json`` reaches the model (others get
      415). REST API validators cannot check the size of a body; AWS WAF does (``max_body_bytes``).
    - **Errors** leak no internal detail: SageMaker 4XX and 5XX answers become 400 and 502 with a
      fixed body and the request id; API Gateway's own 4XX/5XX answers carry only their error type.
    - **Stage**: throttling (``throttling_rate_limit``/``throttling_burst_limit``) and a usage plan
      with the same throttle (plus ``quota_per_day`` per API key when ``api_key_required``); JSON
      access logs to ``access_log_group``; execution logging at ``ERROR`` with data trace off (no
      bodies in logs) to ``execution_log_group`` (created here, so it is encrypted and expires);
      X-Ray tracing; detailed metrics. No cache (see the acknowledgments).
    - **Internal-only mode** (``internal_only=True``): a ``PRIVATE`` API whose resource policy
      admits calls only through ``vpc_endpoint`` (``aws:SourceVpce``; with IAM also only principals
      of this account) and denies everything else.
    - **Custom domain** (``domain_name`` + ``certificate``): regional, TLS 1.2 security policy,
      mapped at the root; the default ``execute-api`` endpoint is then disabled, so every call
      goes through the domain.
    - **AWS WAF**: a REGIONAL web ACL associated with exactly this stage; see
      :mod:`secure_sagemaker.edge.firewall` for its rules. WAF logs go to ``waf_log_group``
      (``aws-waf-logs-<name>-<start of the web ACL id>``, encrypted with ``logs_key``) with the ``authorization``,
      ``x-amz-security-token`` and ``x-api-key`` headers redacted.
    - **Alarms** to ``alarm_topic`` (alarm and OK): WAF blocked requests, API 4XX and 5XX,
      p99 latency.
    - **CloudWatch role**: API Gateway writes execution and access logs with the account's
      CloudWatch role (an account- and Region-wide setting). By default the account provides it
      (a landing zone usually does; without it the stage fails to deploy with "CloudWatch Logs
      role ARN must be set in account settings"). ``cloud_watch_role=True`` creates it here.

    Every log group is retained when the stack is deleted and encrypted with ``logs_key``.

    Keyword-only props:

    :param endpoint: the SecureEndpoint to front, or any
        :class:`~secure_sagemaker.interfaces.InferenceEndpoint` (an ``EndpointRef`` for an endpoint
        deployed elsewhere, whose own controls are then that deployment's). Required.
    :param logs_key: customer-managed KMS key for the log groups; its policy must admit CloudWatch
        Logs of this account and Region (``KeyRing.logs_key`` does). Required.
    :param alarm_topic: the KMS-encrypted SNS topic that receives the alarms. Required.
    :param stage_name: the stage's name. Default ``"prod"``.
    :param request_schema: JSON schema (draft 4) of request bodies. Default: a non-empty JSON
        object (:data:`DEFAULT_REQUEST_SCHEMA`).
    :param max_body_bytes: largest request body, 1 to 10,485,760 bytes (API Gateway's 10 MB).
        Default 16,384 (16 KB). Up to 64 KB WAF measures the body itself (above 16 KB at extra WAF
        cost); above 64 KB WAF blocks a ``Content-Length`` above the limit and requests without a
        ``Content-Length``.
    :param throttling_rate_limit: steady-state requests per second for the whole stage, above 0.
        Default 50.
    :param throttling_burst_limit: burst of requests for the whole stage, at least the rate.
        Default 100.
    :param api_key_required: ``True`` requires an API key of the usage plan on every request
        (as well as authorization), which identifies clients for per-client throttling and quotas.
        Default ``False``: the usage plan then applies to keyed clients only and the stage throttle
        limits everyone.
    :param quota_per_day: requests per API key per day, at least 1; only with
        ``api_key_required=True``. Default: no quota.
    :param cognito_user_pools: Cognito user pools whose tokens authorize calls instead of IAM.
        Default: none (IAM authorization). An empty list is a PropError.
    :param authorization_scopes: OAuth scopes an access token must carry; only with
        ``cognito_user_pools``. Default: none (an ID token suffices).
    :param internal_only: ``True`` makes the API ``PRIVATE``, callable only through
        ``vpc_endpoint``. Default ``False`` (regional, reachable from the internet, still
        authorized and filtered).
    :param vpc_endpoint: the ``execute-api`` interface endpoint (or its ``vpce-`` id) allowed to
        call the private API. Required with ``internal_only=True``, a PropError without it.
    :param domain_name: a custom domain name for the API (regional, TLS 1.2). Default: none.
        Not with ``internal_only``.
    :param certificate: the ACM certificate for ``domain_name``, in the stack's Region. Required
        with ``domain_name``, a PropError without it.
    :param waf_rate_limit: requests per client IP per ``waf_rate_window`` above which WAF blocks
        the client, 10 to 2,000,000,000. Default 1000.
    :param waf_rate_window: the rate-based rule's window: 1, 2, 5 or 10 minutes.
        Default ``Duration.minutes(5)``.
    :param anonymous_ip_list: ``True`` adds the AWS managed anonymous IP list, which blocks VPNs,
        proxies, Tor and hosting providers, so also callers running in a cloud (AWS included).
        Default ``False``.
    :param allowed_ip_ranges: IPv4/IPv6 CIDR ranges that may call; WAF blocks every other
        address. Default: none (no allow list). An empty list is a PropError.
    :param allowed_countries: ISO 3166-1 alpha-2 codes of countries that may call; WAF blocks the
        others. Default: none. Not with ``internal_only`` (private addresses have no country).
    :param log_retention: retention of every log group, not ``INFINITE``.
        Default ``RetentionDays.ONE_YEAR``.
    :param cloud_watch_role: ``True`` creates the account's API Gateway CloudWatch role (and sets
        it for the account and Region, replacing any existing one; role and setting are retained
        on stack deletion). Default ``False``: the account provides it.
    :param blocked_requests_threshold: WAF-blocked requests in 5 minutes that raise the alarm, at
        least 1. Default 100.
    :param client_error_threshold: API 4XX responses in 5 minutes that raise the alarm, at least 1.
        Default 50.
    :param server_error_threshold: API 5XX responses in 5 minutes that raise the alarm, at least 1.
        Default 1.
    :param latency_threshold: p99 latency that raises the alarm when exceeded in two consecutive
        5-minute periods. Default ``Duration.seconds(5)``.

    Read-only attributes: ``api`` (``RestApi``), ``stage``, ``method``, ``web_acl``
    (``CfnWebACL``), ``web_acl_association``, ``invoke_url``, ``access_log_group``,
    ``execution_log_group``, ``waf_log_group``, ``waf_logging``, ``alarms`` (read-only mapping:
    ``"WafBlockedRequests"``, ``"ClientErrors"``, ``"ServerErrors"``, ``"Latency"``),
    ``integration_role``, ``integration_policy``, ``usage_plan``, ``request_validator``,
    ``request_model``, ``domain`` (None without ``domain_name``), ``endpoint``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: InferenceEndpoint,
        logs_key: kms.IKey,
        alarm_topic: sns.ITopic,
        stage_name: str = "prod",
        request_schema: apigateway.JsonSchema | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        throttling_rate_limit: float = 50,
        throttling_burst_limit: int = 100,
        api_key_required: bool = False,
        quota_per_day: int | None = None,
        cognito_user_pools: Sequence[cognito.IUserPool] | None = None,
        authorization_scopes: Sequence[str] | None = None,
        internal_only: bool = False,
        vpc_endpoint: ec2.IVpcEndpoint | str | None = None,
        domain_name: str | None = None,
        certificate: acm.ICertificate | None = None,
        waf_rate_limit: int = 1000,
        waf_rate_window: cdk.Duration = cdk.Duration.minutes(5),
        anonymous_ip_list: bool = False,
        allowed_ip_ranges: Sequence[str] | None = None,
        allowed_countries: Sequence[str] | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        cloud_watch_role: bool = False,
        blocked_requests_threshold: int = 100,
        client_error_threshold: int = 50,
        server_error_threshold: int = 1,
        latency_threshold: cdk.Duration = cdk.Duration.seconds(5),
    ) -> None:
        super().__init__(scope, id)
        me = describe(self)
        for attribute in ("endpoint_name", "endpoint_arn"):
            require_attribute(
                me,
                "endpoint",
                endpoint,
                attribute,
                "pass the SecureEndpoint to put behind the API, or EndpointRef(endpoint_name=..., endpoint_arn=...)",
            )
        require_attribute(me, "logs_key", logs_key, "key_arn", "pass the logs key of a KeyRing (a kms.IKey)")
        require_attribute(
            me, "alarm_topic", alarm_topic, "topic_arn", "pass the KMS-encrypted sns.ITopic that receives alerts"
        )
        limits.validate_stage_name(me, stage_name)
        if request_schema is not None:
            require_type(me, "request_schema", request_schema, apigateway.JsonSchema, "pass an apigateway.JsonSchema")
        limits.validate_max_body_bytes(me, max_body_bytes)
        limits.validate_throttling(me, throttling_rate_limit, throttling_burst_limit)
        for prop, value in (
            ("api_key_required", api_key_required),
            ("internal_only", internal_only),
            ("anonymous_ip_list", anonymous_ip_list),
            ("cloud_watch_role", cloud_watch_role),
        ):
            require_type(me, prop, value, bool, "pass True or False")
        if quota_per_day is not None:
            limits.validate_positive_int(me, "quota_per_day", quota_per_day, "requests per day")
            if not api_key_required:
                raise fail(
                    me,
                    "quota_per_day",
                    quota_per_day,
                    "counts requests per API key, but no request carries one",
                    "pass api_key_required=True as well, or drop quota_per_day",
                )
        pools, scopes = self._check_authorization(me, cognito_user_pools, authorization_scopes)
        vpce = self._check_private_mode(me, internal_only, vpc_endpoint, allowed_countries, domain_name)
        self._check_domain(me, domain_name, certificate)
        limits.validate_waf_rate(me, waf_rate_limit, waf_rate_window)
        ipv4, ipv6 = (
            limits.ip_networks(me, "allowed_ip_ranges", allowed_ip_ranges)
            if allowed_ip_ranges is not None
            else ([], [])
        )
        countries = limits.country_codes(me, allowed_countries) if allowed_countries is not None else None
        require_finite_retention(me, "log_retention", log_retention, "logs")
        for prop, value, what in (
            ("blocked_requests_threshold", blocked_requests_threshold, "blocked requests"),
            ("client_error_threshold", client_error_threshold, "errors"),
            ("server_error_threshold", server_error_threshold, "errors"),
        ):
            limits.validate_positive_int(me, prop, value, what)
        limits.validate_positive_duration(me, "latency_threshold", latency_threshold)

        self._endpoint = endpoint
        name = cdk.Names.unique_resource_name(self, max_length=100, separator="-")
        self._integration_role, self._integration_policy = self._integration_identity(endpoint)
        self._access_logs = self._log_group("AccessLogs", logs_key, log_retention)
        self._api = self._rest_api(
            name,
            stage_name,
            pools,
            vpce,
            domain_name is not None,
            throttling_rate_limit,
            throttling_burst_limit,
        )
        self._stage = self._api.deployment_stage
        # RestApi adds an output with the stage URL, which would be dead with a custom domain (the
        # default endpoint is then disabled); the app decides which outputs it has (invoke_url).
        self._api.node.try_remove_child("Endpoint")
        self._execution_logs = self._log_group(
            "ExecutionLogs", logs_key, log_retention, f"API-Gateway-Execution-Logs_{self._api.rest_api_id}/{stage_name}"
        )
        self._stage.node.add_dependency(self._execution_logs)
        self._validator, self._model, self._method = self._invocations_method(
            request_schema or DEFAULT_REQUEST_SCHEMA, api_key_required, scopes
        )
        self._gateway_responses()
        self._usage_plan = self._api.add_usage_plan(
            "UsagePlan",
            name=name,
            description="Throttle (and quota) per API key of the inference API",
            throttle=apigateway.ThrottleSettings(rate_limit=throttling_rate_limit, burst_limit=throttling_burst_limit),
            quota=apigateway.QuotaSettings(limit=quota_per_day, period=apigateway.Period.DAY)
            if quota_per_day
            else None,
            api_stages=[apigateway.UsagePlanPerApiStage(api=self._api, stage=self._stage)],
        )
        self._domain = None
        if domain_name is not None:
            self._domain = apigateway.DomainName(
                self,
                "Domain",
                domain_name=domain_name,
                certificate=certificate,
                endpoint_type=apigateway.EndpointType.REGIONAL,
                security_policy=apigateway.SecurityPolicy.TLS_1_2,
                mapping=self._api,
            )
        if cloud_watch_role:
            self._cloud_watch_role()
        firewall = build_firewall(
            self,
            name=name,
            stage_arn=self._stage.stage_arn,
            logs_key=logs_key,
            log_retention=log_retention,
            allowed_ipv4=ipv4,
            allowed_ipv6=ipv6,
            countries=countries,
            anonymous_ip_list=anonymous_ip_list,
            rate_limit=waf_rate_limit,
            rate_window_seconds=int(waf_rate_window.to_seconds()),
            max_body_bytes=max_body_bytes,
        )
        self._web_acl = firewall.web_acl
        self._association = firewall.association
        self._waf_logs = firewall.log_group
        self._waf_logging = firewall.logging
        self._alarms = self._create_alarms(
            name,
            alarm_topic,
            blocked_requests_threshold,
            client_error_threshold,
            server_error_threshold,
            latency_threshold,
        )
        self._enforce(me)
        self._acknowledge(pools)

    # --- validation -----------------------------------------------------------------------

    @staticmethod
    def _check_authorization(
        me: str, pools: Any, scopes: Any
    ) -> tuple[list[cognito.IUserPool] | None, list[str] | None]:
        if pools is not None:
            fix = "pass a non-empty list of cognito.IUserPool, or None for IAM authorization"
            if isinstance(pools, (str, bytes)) or not isinstance(pools, Sequence) or not pools:
                raise fail(me, "cognito_user_pools", pools, "is not a non-empty list of user pools", fix)
            for pool in pools:
                if isinstance(pool, (str, bytes)) or not hasattr(pool, "user_pool_arn"):
                    raise fail(me, "cognito_user_pools", pool, "is not a Cognito user pool", fix)
            pools = list(pools)
        if scopes is not None:
            if pools is None:
                raise fail(
                    me,
                    "authorization_scopes",
                    scopes,
                    "only apply to Cognito access tokens, but IAM authorizes this API",
                    "pass cognito_user_pools as well, or drop authorization_scopes",
                )
            scopes = limits.validate_scopes(me, scopes)
        return pools, scopes

    def _check_private_mode(
        self, me: str, internal_only: bool, vpc_endpoint: Any, countries: Any, domain_name: Any
    ) -> ec2.IVpcEndpoint | None:
        if not internal_only:
            if vpc_endpoint is not None:
                raise fail(
                    me,
                    "vpc_endpoint",
                    getattr(vpc_endpoint, "vpc_endpoint_id", vpc_endpoint),
                    "only applies to a private API, but internal_only is False",
                    "pass internal_only=True as well, or drop vpc_endpoint",
                )
            return None
        fix = (
            "pass the execute-api interface endpoint (e.g. PrivateNetwork.interface_endpoints['execute-api']) or its "
            "'vpce-' id"
        )
        if vpc_endpoint is None:
            raise fail(
                me,
                "vpc_endpoint",
                vpc_endpoint,
                "is missing, but internal_only=True needs the execute-api VPC endpoint that may call the private API",
                fix,
            )
        if isinstance(vpc_endpoint, str):
            limits.validate_vpc_endpoint_id(me, vpc_endpoint)
            vpc_endpoint = ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
                self, "VpcEndpoint", vpc_endpoint_id=vpc_endpoint, port=443
            )
        elif not hasattr(vpc_endpoint, "vpc_endpoint_id"):
            raise fail(me, "vpc_endpoint", vpc_endpoint, "is not a VPC endpoint", fix)
        if countries is not None:
            raise fail(
                me,
                "allowed_countries",
                countries,
                "cannot match in internal_only mode: callers come from private addresses, which have no country, "
                "so every request would be blocked",
                "drop allowed_countries (use allowed_ip_ranges for private ranges)",
            )
        if domain_name is not None:
            raise fail(
                me,
                "domain_name",
                domain_name,
                "is not supported for a private API by this construct",
                "drop domain_name and call the API through the VPC endpoint's private DNS name",
            )
        return vpc_endpoint

    @staticmethod
    def _check_domain(me: str, domain_name: Any, certificate: Any) -> None:
        if domain_name is None:
            if certificate is not None:
                raise fail(
                    me,
                    "certificate",
                    getattr(certificate, "certificate_arn", certificate),
                    "is given without domain_name",
                    "pass domain_name as well, or drop certificate",
                )
            return
        limits.validate_domain_name(me, domain_name)
        if certificate is None:
            raise fail(
                me,
                "certificate",
                certificate,
                f"is missing, but domain_name={domain_name!r} can only serve HTTPS with a certificate",
                "pass an ACM certificate for the domain in the stack's Region "
                "(acm.Certificate or acm.Certificate.from_certificate_arn)",
            )
        if isinstance(certificate, (str, bytes)) or not hasattr(certificate, "certificate_arn"):
            raise fail(
                me,
                "certificate",
                certificate,
                "is not an ACM certificate",
                "pass acm.Certificate.from_certificate_arn(scope, id, arn), not the ARN string",
            )

    # --- resources ------------------------------------------------------------------------

    def _integration_identity(self, endpoint: InferenceEndpoint) -> tuple[iam.Role, iam.ManagedPolicy]:
        role = iam.Role(
            self,
            "IntegrationRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway invokes one SageMaker endpoint",
        )
        # A customer managed policy, not the role's inline default policy, which the stock packs reject.
        policy = iam.ManagedPolicy(
            self,
            "InvokeEndpointPolicy",
            roles=[role],
            description="sagemaker:InvokeEndpoint on one endpoint, nothing else",
            statements=[
                iam.PolicyStatement(
                    sid="InvokeThisEndpointOnly",
                    actions=["sagemaker:InvokeEndpoint"],
                    resources=[endpoint.endpoint_arn],
                )
            ],
        )
        return role, policy

    def _log_group(
        self, id: str, key: kms.IKey, retention: logs.RetentionDays, name: str | None = None
    ) -> logs.LogGroup:
        return logs.LogGroup(
            self, id, log_group_name=name, encryption_key=key, retention=retention, removal_policy=RETAINED
        )

    def _rest_api(
        self,
        name: str,
        stage_name: str,
        pools: list[cognito.IUserPool] | None,
        vpce: ec2.IVpcEndpoint | None,
        custom_domain: bool,
        rate: float,
        burst: int,
    ) -> apigateway.RestApi:
        if pools is not None:
            self._authorizer = apigateway.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=pools)
            method_options = apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.COGNITO, authorizer=self._authorizer
            )
        else:
            self._authorizer = None
            method_options = apigateway.MethodOptions(authorization_type=apigateway.AuthorizationType.IAM)
        policy = None
        if vpce is not None:
            allow = {"StringEquals": {"aws:SourceVpce": vpce.vpc_endpoint_id}}
            if pools is None:
                allow["StringEquals"]["aws:PrincipalAccount"] = cdk.Aws.ACCOUNT_ID
            policy = iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="InvokeThroughTheVpcEndpoint",
                        principals=[iam.AnyPrincipal()],
                        actions=["execute-api:Invoke"],
                        resources=["execute-api:/*"],
                        conditions=allow,
                    ),
                    iam.PolicyStatement(
                        sid="DenyOutsideTheVpcEndpoint",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=["execute-api:Invoke"],
                        resources=["execute-api:/*"],
                        conditions={"StringNotEquals": {"aws:SourceVpce": vpce.vpc_endpoint_id}},
                    ),
                ]
            )
        endpoint_type = apigateway.EndpointType.PRIVATE if vpce is not None else apigateway.EndpointType.REGIONAL
        return apigateway.RestApi(
            self,
            "Api",
            rest_api_name=name,
            description="Inference API in front of one SageMaker endpoint (AWS WAF, authorization on every method)",
            endpoint_configuration=apigateway.EndpointConfiguration(
                types=[endpoint_type], vpc_endpoints=[vpce] if vpce is not None else None
            ),
            policy=policy,
            cloud_watch_role=False,  # see the cloud_watch_role prop
            disable_execute_api_endpoint=custom_domain or None,
            default_method_options=method_options,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                access_log_destination=apigateway.LogGroupLogDestination(self._access_logs),
                access_log_format=apigateway.AccessLogFormat.custom(json.dumps(dict(ACCESS_LOG_FIELDS))),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=rate,
                throttling_burst_limit=burst,
            ),
        )

    def _invocations_method(
        self, schema: apigateway.JsonSchema, api_key_required: bool, scopes: list[str] | None
    ) -> tuple[apigateway.RequestValidator, apigateway.Model, apigateway.Method]:
        validator = self._api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        model = self._api.add_model("InvocationRequest", content_type="application/json", schema=schema)
        integration = apigateway.AwsIntegration(
            service="runtime.sagemaker",
            path=f"endpoints/{self._endpoint.endpoint_name}/invocations",
            integration_http_method="POST",
            options=apigateway.IntegrationOptions(
                credentials_role=self._integration_role,
                passthrough_behavior=apigateway.PassthroughBehavior.NEVER,
                request_parameters={
                    "integration.request.header.Content-Type": "'application/json'",
                    "integration.request.header.Accept": "'application/json'",
                },
                request_templates={"application/json": "$input.body"},
                integration_responses=[
                    apigateway.IntegrationResponse(status_code="200"),
                    apigateway.IntegrationResponse(
                        status_code="400",
                        selection_pattern=r"4\d{2}",
                        response_templates={"application/json": CLIENT_ERROR_BODY},
                    ),
                    apigateway.IntegrationResponse(
                        status_code="502",
                        selection_pattern=r"5\d{2}",
                        response_templates={"application/json": MODEL_ERROR_BODY},
                    ),
                ],
            ),
        )
        method = self._api.root.add_resource(INVOCATIONS_PATH).add_method(
            "POST",
            integration,
            request_validator=validator,
            request_models={"application/json": model},
            request_parameters={"method.request.header.Content-Type": True},
            api_key_required=api_key_required or None,
            authorization_scopes=scopes,
            method_responses=[
                apigateway.MethodResponse(
                    status_code="200", response_models={"application/json": apigateway.Model.EMPTY_MODEL}
                ),
                apigateway.MethodResponse(
                    status_code="400", response_models={"application/json": apigateway.Model.ERROR_MODEL}
                ),
                apigateway.MethodResponse(
                    status_code="502", response_models={"application/json": apigateway.Model.ERROR_MODEL}
                ),
            ],
        )
        return validator, model, method

    def _gateway_responses(self) -> None:
        for id, kind, body in (
            ("Default4xx", apigateway.ResponseType.DEFAULT_4_XX, GATEWAY_4XX_BODY),
            ("Default5xx", apigateway.ResponseType.DEFAULT_5_XX, GATEWAY_5XX_BODY),
        ):
            self._api.add_gateway_response(id, type=kind, templates={"application/json": body})

    def _cloud_watch_role(self) -> None:
        logging = ApiGatewayCloudWatchRole(self, "CloudWatchLogging")
        self._stage.node.add_dependency(logging.account)

    def _create_alarms(
        self, name: str, topic: sns.ITopic, blocked: int, client: int, server: int, latency: cdk.Duration
    ) -> Mapping[str, cloudwatch.Alarm]:
        stage = self._stage
        blocked_metric = cloudwatch.Metric(
            namespace=WAF_NAMESPACE,
            metric_name="BlockedRequests",
            dimensions_map={"WebACL": name, "Region": cdk.Aws.REGION, "Rule": "ALL"},
            statistic="Sum",
            period=_ALARM_PERIOD,
        )
        factory = AlarmFactory(self, topic)
        alarms = {
            "WafBlockedRequests": factory.alarm(
                "WafBlockedRequestsAlarm",
                metric=blocked_metric,
                threshold=blocked,
                description=f"{self.node.path}: {blocked}+ requests blocked by AWS WAF in 5 minutes: an attack, "
                "a client over the rate limit (possible model extraction) or a misconfigured caller",
            ),
            "ClientErrors": factory.alarm(
                "ClientErrorsAlarm",
                metric=stage.metric_client_error(statistic="Sum", period=_ALARM_PERIOD),
                threshold=client,
                description=f"{self.node.path}: {client}+ 4XX responses in 5 minutes: denied, throttled, "
                "invalid or probing requests",
            ),
            "ServerErrors": factory.alarm(
                "ServerErrorsAlarm",
                metric=stage.metric_server_error(statistic="Sum", period=_ALARM_PERIOD),
                threshold=server,
                description=f"{self.node.path}: {server}+ 5XX responses in 5 minutes: the model or the integration fails",
            ),
            "Latency": factory.alarm(
                "LatencyAlarm",
                metric=stage.metric_latency(statistic="p99", period=_ALARM_PERIOD),
                threshold=latency.to_milliseconds(integral=False),
                evaluation_periods=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"{self.node.path}: p99 latency above {latency.to_human_string()} for 10 minutes: "
                "overload, denial of service or a degraded model",
            ),
        }
        return MappingProxyType(alarms)

    def _enforce(self, me: str) -> None:
        def stage_logging(p: dict) -> bool:
            return any(
                s["HttpMethod"] == "*"
                and s["ResourcePath"] == "/*"
                and s.get("LoggingLevel") in ("ERROR", "INFO")
                and s.get("DataTraceEnabled") is False
                for s in p["MethodSettings"]
            )

        enforce_rules(
            self,
            # The API and its method let the rules see that the stage is in front of SageMaker.
            resources=[self._stage.node.default_child, self._api.node.default_child, self._method.node.default_child],
            rules=["ApiStageAccessLogs", "ApiStageThrottling"],
            identity=[
                ("TracingEnabled: true", lambda p: p["TracingEnabled"] is True),
                (
                    "AccessLogSetting.Format as JSON",
                    lambda p: isinstance(json.loads(p["AccessLogSetting"]["Format"]), dict),
                ),
                (
                    "MethodSettings for every method (LoggingLevel ERROR or INFO, DataTraceEnabled false)",
                    stage_logging,
                ),
            ],
        )
        self.node.add_validation(_EveryMethodAuthorized(me, self._api))

    def _acknowledge(self, pools: list[cognito.IUserPool] | None) -> None:
        stage = self._stage.node.default_child
        acknowledge(stage, [f"{pack}-APIGWCacheEnabledAndEncrypted" for pack in _COMPLIANCE_PACKS], _CACHE_REASON)
        acknowledge(stage, [f"{pack}-APIGWSSLEnabled" for pack in _COMPLIANCE_PACKS], _CLIENT_CERT_REASON)
        if pools is None:
            acknowledge(self._method.node.default_child, ["AwsSolutions-COG4"], _IAM_AUTH_REASON)

    # --- attributes -----------------------------------------------------------------------

    @property
    def api(self) -> apigateway.RestApi:
        """The REST API."""
        return self._api

    @property
    def stage(self) -> apigateway.Stage:
        """The stage the web ACL protects (``stage_name``)."""
        return self._stage

    @property
    def method(self) -> apigateway.Method:
        """``POST /invocations``, integrated with ``sagemaker:InvokeEndpoint``."""
        return self._method

    @property
    def invoke_url(self) -> str:
        """The URL callers ``POST`` to: ``https://<domain>/invocations`` with a custom domain, else
        ``https://<api id>.execute-api.<region>.<suffix>/<stage>/invocations``."""
        if self._domain is not None:
            return f"https://{self._domain.domain_name}/{INVOCATIONS_PATH}"
        return self._api.url_for_path(f"/{INVOCATIONS_PATH}")

    @property
    def web_acl(self) -> wafv2.CfnWebACL:
        """The REGIONAL web ACL associated with the stage."""
        return self._web_acl

    @property
    def web_acl_association(self) -> wafv2.CfnWebACLAssociation:
        """The association of ``web_acl`` with the stage."""
        return self._association

    @property
    def access_log_group(self) -> logs.LogGroup:
        """The log group of the stage's JSON access logs."""
        return self._access_logs

    @property
    def execution_log_group(self) -> logs.LogGroup:
        """``API-Gateway-Execution-Logs_<api id>/<stage>``, created here so that it is encrypted and expires."""
        return self._execution_logs

    @property
    def waf_log_group(self) -> logs.LogGroup:
        """The ``aws-waf-logs-`` log group of the web ACL."""
        return self._waf_logs

    @property
    def waf_logging(self) -> wafv2.CfnLoggingConfiguration:
        """The web ACL's logging configuration (with the redacted headers)."""
        return self._waf_logging

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """The alarms by purpose: WafBlockedRequests, ClientErrors, ServerErrors, Latency."""
        return self._alarms

    @property
    def integration_role(self) -> iam.Role:
        """The role API Gateway assumes to call ``sagemaker:InvokeEndpoint`` on the endpoint."""
        return self._integration_role

    @property
    def integration_policy(self) -> iam.ManagedPolicy:
        """The integration role's only policy."""
        return self._integration_policy

    @property
    def usage_plan(self) -> apigateway.UsagePlan:
        """The stage's usage plan; add API keys for clients with ``usage_plan.add_api_key(key)``."""
        return self._usage_plan

    @property
    def request_validator(self) -> apigateway.RequestValidator:
        """The validator of bodies and parameters."""
        return self._validator

    @property
    def request_model(self) -> apigateway.Model:
        """The JSON schema model of request bodies."""
        return self._model

    @property
    def domain(self) -> apigateway.DomainName | None:
        """The custom domain, or None."""
        return self._domain

    @property
    def endpoint(self) -> InferenceEndpoint:
        """The endpoint behind the API."""
        return self._endpoint
