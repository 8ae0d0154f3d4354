import datetime

from bastion.v1 import decision_pb2 as _decision_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_AGENT: _ClassVar[Role]
    ROLE_OPERATOR: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]

class GuardMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUARD_MODE_UNSPECIFIED: _ClassVar[GuardMode]
    GUARD_MODE_ENFORCE: _ClassVar[GuardMode]
    GUARD_MODE_SHADOW: _ClassVar[GuardMode]
    GUARD_MODE_DEFAULT: _ClassVar[GuardMode]

class PolicyEffect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLICY_EFFECT_UNSPECIFIED: _ClassVar[PolicyEffect]
    POLICY_EFFECT_DENY: _ClassVar[PolicyEffect]
    POLICY_EFFECT_REVIEW: _ClassVar[PolicyEffect]
    POLICY_EFFECT_ALLOW: _ClassVar[PolicyEffect]

class PolicyMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLICY_MODE_UNSPECIFIED: _ClassVar[PolicyMode]
    POLICY_MODE_ENFORCE: _ClassVar[PolicyMode]
    POLICY_MODE_SHADOW: _ClassVar[PolicyMode]

class TelemetryType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TELEMETRY_TYPE_UNSPECIFIED: _ClassVar[TelemetryType]
    TELEMETRY_TYPE_INTERACTION: _ClassVar[TelemetryType]
    TELEMETRY_TYPE_TELEMETRY: _ClassVar[TelemetryType]
    TELEMETRY_TYPE_ERROR: _ClassVar[TelemetryType]
    TELEMETRY_TYPE_GUARDIAN_DECISION: _ClassVar[TelemetryType]
    TELEMETRY_TYPE_STATE_TRANSITION: _ClassVar[TelemetryType]
ROLE_UNSPECIFIED: Role
ROLE_AGENT: Role
ROLE_OPERATOR: Role
ROLE_ADMIN: Role
GUARD_MODE_UNSPECIFIED: GuardMode
GUARD_MODE_ENFORCE: GuardMode
GUARD_MODE_SHADOW: GuardMode
GUARD_MODE_DEFAULT: GuardMode
POLICY_EFFECT_UNSPECIFIED: PolicyEffect
POLICY_EFFECT_DENY: PolicyEffect
POLICY_EFFECT_REVIEW: PolicyEffect
POLICY_EFFECT_ALLOW: PolicyEffect
POLICY_MODE_UNSPECIFIED: PolicyMode
POLICY_MODE_ENFORCE: PolicyMode
POLICY_MODE_SHADOW: PolicyMode
TELEMETRY_TYPE_UNSPECIFIED: TelemetryType
TELEMETRY_TYPE_INTERACTION: TelemetryType
TELEMETRY_TYPE_TELEMETRY: TelemetryType
TELEMETRY_TYPE_ERROR: TelemetryType
TELEMETRY_TYPE_GUARDIAN_DECISION: TelemetryType
TELEMETRY_TYPE_STATE_TRANSITION: TelemetryType

class ApiKey(_message.Message):
    __slots__ = ("key_id", "role", "description", "created_at", "revoked_at")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    role: Role
    description: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    def __init__(self, key_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., description: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("role", "description")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    role: Role
    description: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., description: _Optional[str] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "token")
    KEY_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    token: str
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ..., token: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class ListPluginsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PluginInfo(_message.Message):
    __slots__ = ("name", "version", "hooks", "source")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    hooks: _containers.RepeatedScalarFieldContainer[str]
    source: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., hooks: _Optional[_Iterable[str]] = ..., source: _Optional[str] = ...) -> None: ...

class ListPluginsResponse(_message.Message):
    __slots__ = ("plugins",)
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    plugins: _containers.RepeatedCompositeFieldContainer[PluginInfo]
    def __init__(self, plugins: _Optional[_Iterable[_Union[PluginInfo, _Mapping]]] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ("tier", "limits", "clear", "throttle_threshold")
    class LimitsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    TIER_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    tier: str
    limits: _containers.ScalarMap[str, float]
    clear: _containers.RepeatedScalarFieldContainer[str]
    throttle_threshold: float
    def __init__(self, tier: _Optional[str] = ..., limits: _Optional[_Mapping[str, float]] = ..., clear: _Optional[_Iterable[str]] = ..., throttle_threshold: _Optional[float] = ...) -> None: ...

class SetQuotaResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: QuotaStatus
    def __init__(self, status: _Optional[_Union[QuotaStatus, _Mapping]] = ...) -> None: ...

class GetQuotaRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetQuotaResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: QuotaStatus
    def __init__(self, status: _Optional[_Union[QuotaStatus, _Mapping]] = ...) -> None: ...

class QuotaStatus(_message.Message):
    __slots__ = ("tier", "resources", "violations", "throttle_threshold")
    TIER_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    THROTTLE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    tier: str
    resources: _containers.RepeatedCompositeFieldContainer[ResourceQuota]
    violations: _containers.RepeatedCompositeFieldContainer[QuotaViolation]
    throttle_threshold: float
    def __init__(self, tier: _Optional[str] = ..., resources: _Optional[_Iterable[_Union[ResourceQuota, _Mapping]]] = ..., violations: _Optional[_Iterable[_Union[QuotaViolation, _Mapping]]] = ..., throttle_threshold: _Optional[float] = ...) -> None: ...

class ResourceQuota(_message.Message):
    __slots__ = ("resource", "limit", "used", "overridden", "throttled_until", "burst")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    THROTTLED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    BURST_FIELD_NUMBER: _ClassVar[int]
    resource: str
    limit: float
    used: float
    overridden: bool
    throttled_until: _timestamp_pb2.Timestamp
    burst: float
    def __init__(self, resource: _Optional[str] = ..., limit: _Optional[float] = ..., used: _Optional[float] = ..., overridden: _Optional[bool] = ..., throttled_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., burst: _Optional[float] = ...) -> None: ...

class QuotaViolation(_message.Message):
    __slots__ = ("resource", "requested", "used", "limit", "severity", "action", "decision_id", "at")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    resource: str
    requested: float
    used: float
    limit: float
    severity: str
    action: str
    decision_id: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, resource: _Optional[str] = ..., requested: _Optional[float] = ..., used: _Optional[float] = ..., limit: _Optional[float] = ..., severity: _Optional[str] = ..., action: _Optional[str] = ..., decision_id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetBudgetRequest(_message.Message):
    __slots__ = ("run_id", "total_usd")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USD_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    total_usd: float
    def __init__(self, run_id: _Optional[str] = ..., total_usd: _Optional[float] = ...) -> None: ...

class SetBudgetResponse(_message.Message):
    __slots__ = ("budget",)
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: RunBudget
    def __init__(self, budget: _Optional[_Union[RunBudget, _Mapping]] = ...) -> None: ...

class GetBudgetRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class GetBudgetResponse(_message.Message):
    __slots__ = ("budget",)
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    budget: RunBudget
    def __init__(self, budget: _Optional[_Union[RunBudget, _Mapping]] = ...) -> None: ...

class RunBudget(_message.Message):
    __slots__ = ("run_id", "total_usd", "spent_usd", "remaining_usd", "used_fraction", "paused", "events")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_USD_FIELD_NUMBER: _ClassVar[int]
    REMAINING_USD_FIELD_NUMBER: _ClassVar[int]
    USED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    total_usd: float
    spent_usd: float
    remaining_usd: float
    used_fraction: float
    paused: bool
    events: _containers.RepeatedCompositeFieldContainer[BudgetEvent]
    def __init__(self, run_id: _Optional[str] = ..., total_usd: _Optional[float] = ..., spent_usd: _Optional[float] = ..., remaining_usd: _Optional[float] = ..., used_fraction: _Optional[float] = ..., paused: _Optional[bool] = ..., events: _Optional[_Iterable[_Union[BudgetEvent, _Mapping]]] = ...) -> None: ...

class BudgetEvent(_message.Message):
    __slots__ = ("threshold", "action", "total_usd", "spent_usd", "remaining_usd", "used_fraction", "units_affected", "priorities_preempted", "at")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_USD_FIELD_NUMBER: _ClassVar[int]
    REMAINING_USD_FIELD_NUMBER: _ClassVar[int]
    USED_FRACTION_FIELD_NUMBER: _ClassVar[int]
    UNITS_AFFECTED_FIELD_NUMBER: _ClassVar[int]
    PRIORITIES_PREEMPTED_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    action: str
    total_usd: float
    spent_usd: float
    remaining_usd: float
    used_fraction: float
    units_affected: _containers.RepeatedScalarFieldContainer[str]
    priorities_preempted: _containers.RepeatedScalarFieldContainer[str]
    at: _timestamp_pb2.Timestamp
    def __init__(self, threshold: _Optional[float] = ..., action: _Optional[str] = ..., total_usd: _Optional[float] = ..., spent_usd: _Optional[float] = ..., remaining_usd: _Optional[float] = ..., used_fraction: _Optional[float] = ..., units_affected: _Optional[_Iterable[str]] = ..., priorities_preempted: _Optional[_Iterable[str]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RunZombieProtocolRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunZombieProtocolResponse(_message.Message):
    __slots__ = ("reclaimed", "requeued", "failed")
    RECLAIMED_FIELD_NUMBER: _ClassVar[int]
    REQUEUED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    reclaimed: int
    requeued: int
    failed: int
    def __init__(self, reclaimed: _Optional[int] = ..., requeued: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class SetGuardModeRequest(_message.Message):
    __slots__ = ("guard", "mode")
    GUARD_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    guard: str
    mode: GuardMode
    def __init__(self, guard: _Optional[str] = ..., mode: _Optional[_Union[GuardMode, str]] = ...) -> None: ...

class SetGuardModeResponse(_message.Message):
    __slots__ = ("guards",)
    GUARDS_FIELD_NUMBER: _ClassVar[int]
    guards: _containers.RepeatedCompositeFieldContainer[GuardModeStatus]
    def __init__(self, guards: _Optional[_Iterable[_Union[GuardModeStatus, _Mapping]]] = ...) -> None: ...

class ListGuardModesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListGuardModesResponse(_message.Message):
    __slots__ = ("guards",)
    GUARDS_FIELD_NUMBER: _ClassVar[int]
    guards: _containers.RepeatedCompositeFieldContainer[GuardModeStatus]
    def __init__(self, guards: _Optional[_Iterable[_Union[GuardModeStatus, _Mapping]]] = ...) -> None: ...

class GuardModeStatus(_message.Message):
    __slots__ = ("guard", "mode", "source")
    GUARD_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    guard: str
    mode: GuardMode
    source: str
    def __init__(self, guard: _Optional[str] = ..., mode: _Optional[_Union[GuardMode, str]] = ..., source: _Optional[str] = ...) -> None: ...

class Policy(_message.Message):
    __slots__ = ("id", "effect", "mode", "description", "expression", "enabled", "fail_open", "revision", "created_at", "updated_at", "updated_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    FAIL_OPEN_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    effect: PolicyEffect
    mode: PolicyMode
    description: str
    expression: str
    enabled: bool
    fail_open: bool
    revision: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    updated_by: str
    def __init__(self, id: _Optional[str] = ..., effect: _Optional[_Union[PolicyEffect, str]] = ..., mode: _Optional[_Union[PolicyMode, str]] = ..., description: _Optional[str] = ..., expression: _Optional[str] = ..., enabled: _Optional[bool] = ..., fail_open: _Optional[bool] = ..., revision: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ..., **kwargs) -> None: ...

class PutPolicyRequest(_message.Message):
    __slots__ = ("id", "effect", "mode", "description", "expression", "fail_open")
    ID_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    EFFECT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EXPRESSION_FIELD_NUMBER: _ClassVar[int]
    FAIL_OPEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    effect: PolicyEffect
    mode: PolicyMode
    description: str
    expression: str
    fail_open: bool
    def __init__(self, id: _Optional[str] = ..., effect: _Optional[_Union[PolicyEffect, str]] = ..., mode: _Optional[_Union[PolicyMode, str]] = ..., description: _Optional[str] = ..., expression: _Optional[str] = ..., fail_open: _Optional[bool] = ..., **kwargs) -> None: ...

class PutPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ...) -> None: ...

class ListPoliciesRequest(_message.Message):
    __slots__ = ("include_disabled",)
    INCLUDE_DISABLED_FIELD_NUMBER: _ClassVar[int]
    include_disabled: bool
    def __init__(self, include_disabled: _Optional[bool] = ...) -> None: ...

class ListPoliciesResponse(_message.Message):
    __slots__ = ("policies",)
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[Policy]
    def __init__(self, policies: _Optional[_Iterable[_Union[Policy, _Mapping]]] = ...) -> None: ...

class DisablePolicyRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ..., **kwargs) -> None: ...

class DisablePolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: Policy
    def __init__(self, policy: _Optional[_Union[Policy, _Mapping]] = ...) -> None: ...

class PolicyTestRequest(_message.Message):
    __slots__ = ("action", "resource", "agent_id", "run_id", "attributes_json", "resources", "estimated_cost_usd", "now")
    class ResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_COST_USD_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    action: str
    resource: str
    agent_id: str
    run_id: str
    attributes_json: str
    resources: _containers.ScalarMap[str, float]
    estimated_cost_usd: float
    now: _timestamp_pb2.Timestamp
    def __init__(self, action: _Optional[str] = ..., resource: _Optional[str] = ..., agent_id: _Optional[str] = ..., run_id: _Optional[str] = ..., attributes_json: _Optional[str] = ..., resources: _Optional[_Mapping[str, float]] = ..., estimated_cost_usd: _Optional[float] = ..., now: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PolicyTestCase(_message.Message):
    __slots__ = ("name", "request", "expect", "expect_policies")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    EXPECT_FIELD_NUMBER: _ClassVar[int]
    EXPECT_POLICIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    request: PolicyTestRequest
    expect: _decision_pb2.Verdict
    expect_policies: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., request: _Optional[_Union[PolicyTestRequest, _Mapping]] = ..., expect: _Optional[_Union[_decision_pb2.Verdict, str]] = ..., expect_policies: _Optional[_Iterable[str]] = ...) -> None: ...

class TestPoliciesRequest(_message.Message):
    __slots__ = ("cases", "policies", "only_given")
    CASES_FIELD_NUMBER: _ClassVar[int]
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    ONLY_GIVEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[PolicyTestCase]
    policies: _containers.RepeatedCompositeFieldContainer[PutPolicyRequest]
    only_given: bool
    def __init__(self, cases: _Optional[_Iterable[_Union[PolicyTestCase, _Mapping]]] = ..., policies: _Optional[_Iterable[_Union[PutPolicyRequest, _Mapping]]] = ..., only_given: _Optional[bool] = ...) -> None: ...

class PolicyTestResult(_message.Message):
    __slots__ = ("name", "passed", "verdict", "matched_policies", "shadow_matched_policies", "errors", "mismatch")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    MATCHED_POLICIES_FIELD_NUMBER: _ClassVar[int]
    SHADOW_MATCHED_POLICIES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    MISMATCH_FIELD_NUMBER: _ClassVar[int]
    name: str
    passed: bool
    verdict: _decision_pb2.Verdict
    matched_policies: _containers.RepeatedScalarFieldContainer[str]
    shadow_matched_policies: _containers.RepeatedScalarFieldContainer[str]
    errors: _containers.RepeatedScalarFieldContainer[str]
    mismatch: str
    def __init__(self, name: _Optional[str] = ..., passed: _Optional[bool] = ..., verdict: _Optional[_Union[_decision_pb2.Verdict, str]] = ..., matched_policies: _Optional[_Iterable[str]] = ..., shadow_matched_policies: _Optional[_Iterable[str]] = ..., errors: _Optional[_Iterable[str]] = ..., mismatch: _Optional[str] = ...) -> None: ...

class TestPoliciesResponse(_message.Message):
    __slots__ = ("results", "failed")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[PolicyTestResult]
    failed: int
    def __init__(self, results: _Optional[_Iterable[_Union[PolicyTestResult, _Mapping]]] = ..., failed: _Optional[int] = ...) -> None: ...

class TelemetryEntry(_message.Message):
    __slots__ = ("id", "type", "source", "details_json", "error_json", "run_id", "decision_id", "recorded_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_JSON_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    type: TelemetryType
    source: str
    details_json: str
    error_json: str
    run_id: str
    decision_id: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[int] = ..., type: _Optional[_Union[TelemetryType, str]] = ..., source: _Optional[str] = ..., details_json: _Optional[str] = ..., error_json: _Optional[str] = ..., run_id: _Optional[str] = ..., decision_id: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListTelemetryRequest(_message.Message):
    __slots__ = ("types", "since", "until", "page_size", "page_token")
    TYPES_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    types: _containers.RepeatedScalarFieldContainer[TelemetryType]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, types: _Optional[_Iterable[_Union[TelemetryType, str]]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTelemetryResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[TelemetryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[TelemetryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MarkToxicRequest(_message.Message):
    __slots__ = ("memory_id", "reason")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    reason: str
    def __init__(self, memory_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MarkToxicResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunMemoryDecayRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunMemoryDecayResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...
