import datetime

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
ROLE_UNSPECIFIED: Role
ROLE_AGENT: Role
ROLE_OPERATOR: Role
ROLE_ADMIN: Role

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
