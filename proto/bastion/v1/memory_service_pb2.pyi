import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Memory(_message.Message):
    __slots__ = ("memory_id", "role", "key", "value_json", "toxic", "toxic_reason", "created_at", "updated_at", "last_accessed_at")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    TOXIC_FIELD_NUMBER: _ClassVar[int]
    TOXIC_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ACCESSED_AT_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    role: str
    key: str
    value_json: str
    toxic: bool
    toxic_reason: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_accessed_at: _timestamp_pb2.Timestamp
    def __init__(self, memory_id: _Optional[str] = ..., role: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ..., toxic: _Optional[bool] = ..., toxic_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_accessed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MemoryServicePutRequest(_message.Message):
    __slots__ = ("role", "key", "value_json")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_JSON_FIELD_NUMBER: _ClassVar[int]
    role: str
    key: str
    value_json: str
    def __init__(self, role: _Optional[str] = ..., key: _Optional[str] = ..., value_json: _Optional[str] = ...) -> None: ...

class MemoryServicePutResponse(_message.Message):
    __slots__ = ("memory", "decision_id")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    decision_id: str
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class MemoryServiceGetRequest(_message.Message):
    __slots__ = ("role", "key")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    role: str
    key: str
    def __init__(self, role: _Optional[str] = ..., key: _Optional[str] = ...) -> None: ...

class MemoryServiceGetResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ...) -> None: ...

class MemoryServiceContextRequest(_message.Message):
    __slots__ = ("role", "limit")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    role: str
    limit: int
    def __init__(self, role: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class MemoryServiceContextResponse(_message.Message):
    __slots__ = ("memories",)
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[Memory]
    def __init__(self, memories: _Optional[_Iterable[_Union[Memory, _Mapping]]] = ...) -> None: ...
