import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LedgerEntry(_message.Message):
    __slots__ = ("sequence", "ts", "action_type", "actor", "subject_id", "payload_json", "parent_hash", "entry_hash", "signature")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TS_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    PARENT_HASH_FIELD_NUMBER: _ClassVar[int]
    ENTRY_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    ts: _timestamp_pb2.Timestamp
    action_type: str
    actor: str
    subject_id: str
    payload_json: str
    parent_hash: str
    entry_hash: str
    signature: str
    def __init__(self, sequence: _Optional[int] = ..., ts: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action_type: _Optional[str] = ..., actor: _Optional[str] = ..., subject_id: _Optional[str] = ..., payload_json: _Optional[str] = ..., parent_hash: _Optional[str] = ..., entry_hash: _Optional[str] = ..., signature: _Optional[str] = ...) -> None: ...

class LedgerServiceListRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "action_type")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    action_type: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., action_type: _Optional[str] = ...) -> None: ...

class LedgerServiceListResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LedgerServiceVerifyRequest(_message.Message):
    __slots__ = ("limit", "from_sequence")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    limit: int
    from_sequence: int
    def __init__(self, limit: _Optional[int] = ..., from_sequence: _Optional[int] = ...) -> None: ...

class EntryVerification(_message.Message):
    __slots__ = ("sequence", "sig_ok", "chain_ok", "reason")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SIG_OK_FIELD_NUMBER: _ClassVar[int]
    CHAIN_OK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    sig_ok: bool
    chain_ok: bool
    reason: str
    def __init__(self, sequence: _Optional[int] = ..., sig_ok: _Optional[bool] = ..., chain_ok: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class LedgerServiceVerifyResponse(_message.Message):
    __slots__ = ("overall_ok", "chain_ok", "count", "has_secret", "entries")
    OVERALL_OK_FIELD_NUMBER: _ClassVar[int]
    CHAIN_OK_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    overall_ok: bool
    chain_ok: bool
    count: int
    has_secret: bool
    entries: _containers.RepeatedCompositeFieldContainer[EntryVerification]
    def __init__(self, overall_ok: _Optional[bool] = ..., chain_ok: _Optional[bool] = ..., count: _Optional[int] = ..., has_secret: _Optional[bool] = ..., entries: _Optional[_Iterable[_Union[EntryVerification, _Mapping]]] = ...) -> None: ...
