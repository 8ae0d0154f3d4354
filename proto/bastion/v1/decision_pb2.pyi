import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Verdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERDICT_UNSPECIFIED: _ClassVar[Verdict]
    VERDICT_ALLOW: _ClassVar[Verdict]
    VERDICT_REVIEW: _ClassVar[Verdict]
    VERDICT_DEFER: _ClassVar[Verdict]
    VERDICT_DENY: _ClassVar[Verdict]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_P0: _ClassVar[Priority]
    PRIORITY_P1: _ClassVar[Priority]
    PRIORITY_P2: _ClassVar[Priority]
    PRIORITY_P3: _ClassVar[Priority]
VERDICT_UNSPECIFIED: Verdict
VERDICT_ALLOW: Verdict
VERDICT_REVIEW: Verdict
VERDICT_DEFER: Verdict
VERDICT_DENY: Verdict
PRIORITY_UNSPECIFIED: Priority
PRIORITY_P0: Priority
PRIORITY_P1: Priority
PRIORITY_P2: Priority
PRIORITY_P3: Priority

class Reason(_message.Message):
    __slots__ = ("guard", "code", "message", "details")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    GUARD_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    guard: str
    code: str
    message: str
    details: _containers.ScalarMap[str, str]
    def __init__(self, guard: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., details: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Obligation(_message.Message):
    __slots__ = ("guard", "code", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    GUARD_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    guard: str
    code: str
    params: _containers.ScalarMap[str, str]
    def __init__(self, guard: _Optional[str] = ..., code: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ...) -> None: ...

class GuardResult(_message.Message):
    __slots__ = ("guard", "verdict", "reasons", "obligations", "scores", "retry_after", "shadow", "duration_us", "policy_ids")
    class ScoresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    GUARD_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    SHADOW_FIELD_NUMBER: _ClassVar[int]
    DURATION_US_FIELD_NUMBER: _ClassVar[int]
    POLICY_IDS_FIELD_NUMBER: _ClassVar[int]
    guard: str
    verdict: Verdict
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    obligations: _containers.RepeatedCompositeFieldContainer[Obligation]
    scores: _containers.ScalarMap[str, float]
    retry_after: _duration_pb2.Duration
    shadow: bool
    duration_us: int
    policy_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, guard: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., obligations: _Optional[_Iterable[_Union[Obligation, _Mapping]]] = ..., scores: _Optional[_Mapping[str, float]] = ..., retry_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., shadow: _Optional[bool] = ..., duration_us: _Optional[int] = ..., policy_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class LedgerRef(_message.Message):
    __slots__ = ("sequence", "entry_hash")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    entry_hash: str
    def __init__(self, sequence: _Optional[int] = ..., entry_hash: _Optional[str] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision_id", "verdict", "action", "guard_results", "shadow_results", "reasons", "obligations", "retry_after", "ledger_entry", "decided_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    GUARD_RESULTS_FIELD_NUMBER: _ClassVar[int]
    SHADOW_RESULTS_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    OBLIGATIONS_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    verdict: Verdict
    action: str
    guard_results: _containers.RepeatedCompositeFieldContainer[GuardResult]
    shadow_results: _containers.RepeatedCompositeFieldContainer[GuardResult]
    reasons: _containers.RepeatedCompositeFieldContainer[Reason]
    obligations: _containers.RepeatedCompositeFieldContainer[Obligation]
    retry_after: _duration_pb2.Duration
    ledger_entry: LedgerRef
    decided_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., verdict: _Optional[_Union[Verdict, str]] = ..., action: _Optional[str] = ..., guard_results: _Optional[_Iterable[_Union[GuardResult, _Mapping]]] = ..., shadow_results: _Optional[_Iterable[_Union[GuardResult, _Mapping]]] = ..., reasons: _Optional[_Iterable[_Union[Reason, _Mapping]]] = ..., obligations: _Optional[_Iterable[_Union[Obligation, _Mapping]]] = ..., retry_after: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., ledger_entry: _Optional[_Union[LedgerRef, _Mapping]] = ..., decided_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
