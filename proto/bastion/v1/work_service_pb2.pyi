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

class UnitStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNIT_STATUS_UNSPECIFIED: _ClassVar[UnitStatus]
    UNIT_STATUS_PENDING: _ClassVar[UnitStatus]
    UNIT_STATUS_ACTIVE: _ClassVar[UnitStatus]
    UNIT_STATUS_COMPLETED: _ClassVar[UnitStatus]
    UNIT_STATUS_FAILED: _ClassVar[UnitStatus]
    UNIT_STATUS_PREEMPTED: _ClassVar[UnitStatus]
    UNIT_STATUS_PAUSED: _ClassVar[UnitStatus]
UNIT_STATUS_UNSPECIFIED: UnitStatus
UNIT_STATUS_PENDING: UnitStatus
UNIT_STATUS_ACTIVE: UnitStatus
UNIT_STATUS_COMPLETED: UnitStatus
UNIT_STATUS_FAILED: UnitStatus
UNIT_STATUS_PREEMPTED: UnitStatus
UNIT_STATUS_PAUSED: UnitStatus

class Unit(_message.Message):
    __slots__ = ("unit_id", "run_id", "status", "priority", "attributes_json", "content_hash", "lease_holder", "last_heartbeat_at", "lease_expires_at", "progress", "checkpoint_json", "preemption_count", "reclaim_count", "failure_reason", "created_at", "updated_at", "leased_at")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    LEASE_HOLDER_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AT_FIELD_NUMBER: _ClassVar[int]
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_JSON_FIELD_NUMBER: _ClassVar[int]
    PREEMPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    RECLAIM_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LEASED_AT_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    run_id: str
    status: UnitStatus
    priority: _decision_pb2.Priority
    attributes_json: str
    content_hash: str
    lease_holder: str
    last_heartbeat_at: _timestamp_pb2.Timestamp
    lease_expires_at: _timestamp_pb2.Timestamp
    progress: float
    checkpoint_json: str
    preemption_count: int
    reclaim_count: int
    failure_reason: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    leased_at: _timestamp_pb2.Timestamp
    def __init__(self, unit_id: _Optional[str] = ..., run_id: _Optional[str] = ..., status: _Optional[_Union[UnitStatus, str]] = ..., priority: _Optional[_Union[_decision_pb2.Priority, str]] = ..., attributes_json: _Optional[str] = ..., content_hash: _Optional[str] = ..., lease_holder: _Optional[str] = ..., last_heartbeat_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[float] = ..., checkpoint_json: _Optional[str] = ..., preemption_count: _Optional[int] = ..., reclaim_count: _Optional[int] = ..., failure_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., leased_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitRequest(_message.Message):
    __slots__ = ("run_id", "priority", "attributes_json", "idempotency_key")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    priority: _decision_pb2.Priority
    attributes_json: str
    idempotency_key: str
    def __init__(self, run_id: _Optional[str] = ..., priority: _Optional[_Union[_decision_pb2.Priority, str]] = ..., attributes_json: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SubmitResponse(_message.Message):
    __slots__ = ("unit", "created")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    created: bool
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class SubmitManyRequest(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[SubmitRequest]
    def __init__(self, units: _Optional[_Iterable[_Union[SubmitRequest, _Mapping]]] = ...) -> None: ...

class SubmitManyResponse(_message.Message):
    __slots__ = ("unit_ids", "created")
    UNIT_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    unit_ids: _containers.RepeatedScalarFieldContainer[str]
    created: int
    def __init__(self, unit_ids: _Optional[_Iterable[str]] = ..., created: _Optional[int] = ...) -> None: ...

class LeaseRequest(_message.Message):
    __slots__ = ("run_id", "worker_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    worker_id: str
    def __init__(self, run_id: _Optional[str] = ..., worker_id: _Optional[str] = ...) -> None: ...

class LeaseResponse(_message.Message):
    __slots__ = ("unit", "lease_id")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    lease_id: str
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ..., lease_id: _Optional[str] = ...) -> None: ...

class HeartbeatRequest(_message.Message):
    __slots__ = ("unit_id", "lease_id", "progress")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    lease_id: str
    progress: float
    def __init__(self, unit_id: _Optional[str] = ..., lease_id: _Optional[str] = ..., progress: _Optional[float] = ...) -> None: ...

class HeartbeatResponse(_message.Message):
    __slots__ = ("lease_expires_at",)
    LEASE_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    lease_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, lease_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckpointRequest(_message.Message):
    __slots__ = ("unit_id", "lease_id", "checkpoint_json")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_JSON_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    lease_id: str
    checkpoint_json: str
    def __init__(self, unit_id: _Optional[str] = ..., lease_id: _Optional[str] = ..., checkpoint_json: _Optional[str] = ...) -> None: ...

class CheckpointResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CompleteRequest(_message.Message):
    __slots__ = ("unit_id", "lease_id")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    lease_id: str
    def __init__(self, unit_id: _Optional[str] = ..., lease_id: _Optional[str] = ...) -> None: ...

class CompleteResponse(_message.Message):
    __slots__ = ("unit", "replayed")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    replayed: bool
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class FailRequest(_message.Message):
    __slots__ = ("unit_id", "lease_id", "reason")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    LEASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    lease_id: str
    reason: str
    def __init__(self, unit_id: _Optional[str] = ..., lease_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class FailResponse(_message.Message):
    __slots__ = ("unit", "replayed")
    UNIT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    replayed: bool
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class PreemptRequest(_message.Message):
    __slots__ = ("unit_id", "reason", "checkpoint_json")
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_JSON_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    reason: str
    checkpoint_json: str
    def __init__(self, unit_id: _Optional[str] = ..., reason: _Optional[str] = ..., checkpoint_json: _Optional[str] = ...) -> None: ...

class PreemptResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ...) -> None: ...

class ResumeRequest(_message.Message):
    __slots__ = ("unit_id",)
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    def __init__(self, unit_id: _Optional[str] = ...) -> None: ...

class ResumeResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ...) -> None: ...

class GetUnitRequest(_message.Message):
    __slots__ = ("unit_id",)
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    def __init__(self, unit_id: _Optional[str] = ...) -> None: ...

class GetUnitResponse(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: Unit
    def __init__(self, unit: _Optional[_Union[Unit, _Mapping]] = ...) -> None: ...

class ListUnitsRequest(_message.Message):
    __slots__ = ("run_id", "statuses", "page_size", "page_token")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    statuses: _containers.RepeatedScalarFieldContainer[UnitStatus]
    page_size: int
    page_token: str
    def __init__(self, run_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[UnitStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUnitsResponse(_message.Message):
    __slots__ = ("units", "next_page_token")
    UNITS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[Unit]
    next_page_token: str
    def __init__(self, units: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetHistoryRequest(_message.Message):
    __slots__ = ("unit_id",)
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    def __init__(self, unit_id: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("prev_status", "new_status", "prev_hash", "new_hash", "reason", "metadata_json", "actor", "at")
    PREV_STATUS_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    NEW_HASH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    prev_status: UnitStatus
    new_status: UnitStatus
    prev_hash: str
    new_hash: str
    reason: str
    metadata_json: str
    actor: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, prev_status: _Optional[_Union[UnitStatus, str]] = ..., new_status: _Optional[_Union[UnitStatus, str]] = ..., prev_hash: _Optional[str] = ..., new_hash: _Optional[str] = ..., reason: _Optional[str] = ..., metadata_json: _Optional[str] = ..., actor: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ("unit_id",)
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    unit_id: str
    def __init__(self, unit_id: _Optional[str] = ...) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("ok", "stored_hash", "computed_hash", "history_hash", "problem")
    OK_FIELD_NUMBER: _ClassVar[int]
    STORED_HASH_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_HASH_FIELD_NUMBER: _ClassVar[int]
    HISTORY_HASH_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    stored_hash: str
    computed_hash: str
    history_hash: str
    problem: str
    def __init__(self, ok: _Optional[bool] = ..., stored_hash: _Optional[str] = ..., computed_hash: _Optional[str] = ..., history_hash: _Optional[str] = ..., problem: _Optional[str] = ...) -> None: ...
