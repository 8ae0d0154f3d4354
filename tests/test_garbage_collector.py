"""`bastion serve` raises the collector's young-generation threshold (``gc_threshold``):
requests leave a few reference cycles each, and Python's default of 700 made the collector
walk the in-flight requests' objects about a hundred times a second under load."""

from __future__ import annotations

import pytest

from bastion.runtime.config import load_settings
from tests.helpers_process import serving, set_up_tenant


def test_the_threshold_is_configurable_and_bounded() -> None:
    assert load_settings(env={}).gc_threshold == 2_000
    assert load_settings(env={"BASTION_GC_THRESHOLD": "2500"}).gc_threshold == 2500
    for refused in ("0", "99", "1000001"):
        with pytest.raises(ValueError, match="gc_threshold"):
            load_settings(env={"BASTION_GC_THRESHOLD": refused})


def test_the_serving_process_runs_with_the_configured_threshold(database_url, tmp_path  # type: ignore[no-untyped-def]
                                                                ) -> None:
    set_up_tenant(database_url)  # migrates
    with serving(database_url, tmp_path, 1, BASTION_GC_THRESHOLD="12345",
                 BASTION_LOG_LEVEL="info") as (server,):
        pass
    # Read once it has stopped: log lines are buffered (log_flush_interval_ms).
    tuned = [line for line in server.json_logs() if line.get("event") == "gc_tuned"]
    assert len(tuned) == 1
    assert tuned[0]["threshold"][0] == 12345
    assert tuned[0]["frozen"] > 0  # the start-up heap is frozen first
