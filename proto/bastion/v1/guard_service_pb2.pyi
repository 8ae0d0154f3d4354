from bastion.v1 import decision_pb2 as _decision_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Reasoning(_message.Message):
    __slots__ = ("text", "goal", "phase", "model", "thinking_tokens")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    GOAL_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    THINKING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    text: str
    goal: str
    phase: str
    model: str
    thinking_tokens: int
    def __init__(self, text: _Optional[str] = ..., goal: _Optional[str] = ..., phase: _Optional[str] = ..., model: _Optional[str] = ..., thinking_tokens: _Optional[int] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("action", "resource", "agent_id", "run_id", "task_id", "priority", "estimated_cost_usd", "resources", "attributes_json", "reasoning")
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
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_COST_USD_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    REASONING_FIELD_NUMBER: _ClassVar[int]
    action: str
    resource: str
    agent_id: str
    run_id: str
    task_id: str
    priority: _decision_pb2.Priority
    estimated_cost_usd: float
    resources: _containers.ScalarMap[str, float]
    attributes_json: str
    reasoning: Reasoning
    def __init__(self, action: _Optional[str] = ..., resource: _Optional[str] = ..., agent_id: _Optional[str] = ..., run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., priority: _Optional[_Union[_decision_pb2.Priority, str]] = ..., estimated_cost_usd: _Optional[float] = ..., resources: _Optional[_Mapping[str, float]] = ..., attributes_json: _Optional[str] = ..., reasoning: _Optional[_Union[Reasoning, _Mapping]] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("decision",)
    DECISION_FIELD_NUMBER: _ClassVar[int]
    decision: _decision_pb2.Decision
    def __init__(self, decision: _Optional[_Union[_decision_pb2.Decision, _Mapping]] = ...) -> None: ...

class ReportRequest(_message.Message):
    __slots__ = ("decision_id", "cost_usd", "usage", "outcome")
    class UsageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    cost_usd: float
    usage: _containers.ScalarMap[str, float]
    outcome: str
    def __init__(self, decision_id: _Optional[str] = ..., cost_usd: _Optional[float] = ..., usage: _Optional[_Mapping[str, float]] = ..., outcome: _Optional[str] = ...) -> None: ...

class ReportResponse(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("decision_id",)
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    def __init__(self, decision_id: _Optional[str] = ...) -> None: ...

class ExplainResponse(_message.Message):
    __slots__ = ("decision", "request_json")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_JSON_FIELD_NUMBER: _ClassVar[int]
    decision: _decision_pb2.Decision
    request_json: str
    def __init__(self, decision: _Optional[_Union[_decision_pb2.Decision, _Mapping]] = ..., request_json: _Optional[str] = ...) -> None: ...

class CheckStreamRequest(_message.Message):
    __slots__ = ("request_id", "check")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CHECK_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    check: CheckRequest
    def __init__(self, request_id: _Optional[str] = ..., check: _Optional[_Union[CheckRequest, _Mapping]] = ...) -> None: ...

class CheckStreamError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class CheckStreamResponse(_message.Message):
    __slots__ = ("request_id", "decision", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    decision: _decision_pb2.Decision
    error: CheckStreamError
    def __init__(self, request_id: _Optional[str] = ..., decision: _Optional[_Union[_decision_pb2.Decision, _Mapping]] = ..., error: _Optional[_Union[CheckStreamError, _Mapping]] = ...) -> None: ...
