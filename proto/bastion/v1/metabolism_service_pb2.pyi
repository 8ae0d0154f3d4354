from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MetabolismInputs(_message.Message):
    __slots__ = ("health_score", "operations_score", "customer_score", "active_goals", "pending_tasks")
    HEALTH_SCORE_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_SCORE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_SCORE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_GOALS_FIELD_NUMBER: _ClassVar[int]
    PENDING_TASKS_FIELD_NUMBER: _ClassVar[int]
    health_score: float
    operations_score: float
    customer_score: float
    active_goals: int
    pending_tasks: int
    def __init__(self, health_score: _Optional[float] = ..., operations_score: _Optional[float] = ..., customer_score: _Optional[float] = ..., active_goals: _Optional[int] = ..., pending_tasks: _Optional[int] = ...) -> None: ...

class MetabolismSnapshot(_message.Message):
    __slots__ = ("energy_capacity", "fatigue", "recovery_rate", "workload_index", "projected_weekly_capacity", "risks", "basis")
    ENERGY_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    FATIGUE_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_RATE_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_INDEX_FIELD_NUMBER: _ClassVar[int]
    PROJECTED_WEEKLY_CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RISKS_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    energy_capacity: int
    fatigue: float
    recovery_rate: float
    workload_index: float
    projected_weekly_capacity: float
    risks: _containers.RepeatedScalarFieldContainer[str]
    basis: MetabolismInputs
    def __init__(self, energy_capacity: _Optional[int] = ..., fatigue: _Optional[float] = ..., recovery_rate: _Optional[float] = ..., workload_index: _Optional[float] = ..., projected_weekly_capacity: _Optional[float] = ..., risks: _Optional[_Iterable[str]] = ..., basis: _Optional[_Union[MetabolismInputs, _Mapping]] = ...) -> None: ...

class ComputeSnapshotRequest(_message.Message):
    __slots__ = ("inputs",)
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    inputs: MetabolismInputs
    def __init__(self, inputs: _Optional[_Union[MetabolismInputs, _Mapping]] = ...) -> None: ...

class ComputeSnapshotResponse(_message.Message):
    __slots__ = ("snapshot", "decision_id")
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    snapshot: MetabolismSnapshot
    decision_id: str
    def __init__(self, snapshot: _Optional[_Union[MetabolismSnapshot, _Mapping]] = ..., decision_id: _Optional[str] = ...) -> None: ...

class PlanTaskGenerationRequest(_message.Message):
    __slots__ = ("inputs", "existing_todo_count")
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    EXISTING_TODO_COUNT_FIELD_NUMBER: _ClassVar[int]
    inputs: MetabolismInputs
    existing_todo_count: int
    def __init__(self, inputs: _Optional[_Union[MetabolismInputs, _Mapping]] = ..., existing_todo_count: _Optional[int] = ...) -> None: ...

class PlanTaskGenerationResponse(_message.Message):
    __slots__ = ("max_new_tasks", "capped", "snapshot", "explanation", "decision_id")
    MAX_NEW_TASKS_FIELD_NUMBER: _ClassVar[int]
    CAPPED_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    max_new_tasks: int
    capped: bool
    snapshot: MetabolismSnapshot
    explanation: str
    decision_id: str
    def __init__(self, max_new_tasks: _Optional[int] = ..., capped: _Optional[bool] = ..., snapshot: _Optional[_Union[MetabolismSnapshot, _Mapping]] = ..., explanation: _Optional[str] = ..., decision_id: _Optional[str] = ...) -> None: ...
