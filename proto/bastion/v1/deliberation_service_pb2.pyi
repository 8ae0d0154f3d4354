import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliberationScore(_message.Message):
    __slots__ = ("decision_id", "run_id", "task_id", "agent_id", "phase", "model", "depth", "coherence", "relevance", "overall", "steps", "logical_issues", "off_topic_segments", "thinking_tokens", "recommendation", "text_hash", "created_at")
    DECISION_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    COHERENCE_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_ISSUES_FIELD_NUMBER: _ClassVar[int]
    OFF_TOPIC_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    THINKING_TOKENS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATION_FIELD_NUMBER: _ClassVar[int]
    TEXT_HASH_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    decision_id: str
    run_id: str
    task_id: str
    agent_id: str
    phase: str
    model: str
    depth: float
    coherence: float
    relevance: float
    overall: float
    steps: int
    logical_issues: int
    off_topic_segments: int
    thinking_tokens: int
    recommendation: str
    text_hash: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, decision_id: _Optional[str] = ..., run_id: _Optional[str] = ..., task_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., phase: _Optional[str] = ..., model: _Optional[str] = ..., depth: _Optional[float] = ..., coherence: _Optional[float] = ..., relevance: _Optional[float] = ..., overall: _Optional[float] = ..., steps: _Optional[int] = ..., logical_issues: _Optional[int] = ..., off_topic_segments: _Optional[int] = ..., thinking_tokens: _Optional[int] = ..., recommendation: _Optional[str] = ..., text_hash: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListDeliberationsRequest(_message.Message):
    __slots__ = ("run_id", "low_quality_only", "page_size", "page_token")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    LOW_QUALITY_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    low_quality_only: bool
    page_size: int
    page_token: str
    def __init__(self, run_id: _Optional[str] = ..., low_quality_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeliberationsResponse(_message.Message):
    __slots__ = ("scores", "next_page_token")
    SCORES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scores: _containers.RepeatedCompositeFieldContainer[DeliberationScore]
    next_page_token: str
    def __init__(self, scores: _Optional[_Iterable[_Union[DeliberationScore, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeliberationSettings(_message.Message):
    __slots__ = ("weights", "thresholds", "reject_below", "review_below", "token_cap", "markers", "phase_words")
    class WeightsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class ThresholdsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class MarkersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: MarkerList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[MarkerList, _Mapping]] = ...) -> None: ...
    class PhaseWordsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: MarkerList
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[MarkerList, _Mapping]] = ...) -> None: ...
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    THRESHOLDS_FIELD_NUMBER: _ClassVar[int]
    REJECT_BELOW_FIELD_NUMBER: _ClassVar[int]
    REVIEW_BELOW_FIELD_NUMBER: _ClassVar[int]
    TOKEN_CAP_FIELD_NUMBER: _ClassVar[int]
    MARKERS_FIELD_NUMBER: _ClassVar[int]
    PHASE_WORDS_FIELD_NUMBER: _ClassVar[int]
    weights: _containers.ScalarMap[str, float]
    thresholds: _containers.ScalarMap[str, float]
    reject_below: float
    review_below: float
    token_cap: int
    markers: _containers.MessageMap[str, MarkerList]
    phase_words: _containers.MessageMap[str, MarkerList]
    def __init__(self, weights: _Optional[_Mapping[str, float]] = ..., thresholds: _Optional[_Mapping[str, float]] = ..., reject_below: _Optional[float] = ..., review_below: _Optional[float] = ..., token_cap: _Optional[int] = ..., markers: _Optional[_Mapping[str, MarkerList]] = ..., phase_words: _Optional[_Mapping[str, MarkerList]] = ...) -> None: ...

class MarkerList(_message.Message):
    __slots__ = ("phrases",)
    PHRASES_FIELD_NUMBER: _ClassVar[int]
    phrases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, phrases: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDeliberationSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDeliberationSettingsResponse(_message.Message):
    __slots__ = ("settings", "overridden")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    settings: DeliberationSettings
    overridden: bool
    def __init__(self, settings: _Optional[_Union[DeliberationSettings, _Mapping]] = ..., overridden: _Optional[bool] = ...) -> None: ...

class SetDeliberationSettingsRequest(_message.Message):
    __slots__ = ("settings", "reset")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    settings: DeliberationSettings
    reset: bool
    def __init__(self, settings: _Optional[_Union[DeliberationSettings, _Mapping]] = ..., reset: _Optional[bool] = ...) -> None: ...

class SetDeliberationSettingsResponse(_message.Message):
    __slots__ = ("settings", "overridden")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    settings: DeliberationSettings
    overridden: bool
    def __init__(self, settings: _Optional[_Union[DeliberationSettings, _Mapping]] = ..., overridden: _Optional[bool] = ...) -> None: ...
