"""The collector pause around large bodies: restored after success, errors and nesting."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from enrow_async import BatchStatus, ResponseError
from enrow_async._core import protocol as _protocol
from enrow_async._core.gc import PAUSE_FROM_BYTES, gc_paused
from enrow_async._core.protocol import (
    ApiConfig,
    Response,
    bulk_results_request,
    parse_bulk_results,
)

REQUEST = bulk_results_request(ApiConfig.create("key", "https://api.enrow.io"), "b1")


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _completed(size: int) -> dict[str, Any]:
    return {
        "general": {"id": "b1", "status": "completed"},
        "stats": {"finished": size, "requested": size},
        "results": [
            {"index": i, "qualification": "invalid", "email": None, "custom": "x" * 40}
            for i in range(size)
        ],
    }


def _large(data: dict[str, Any]) -> Response:
    body = orjson.dumps(data)
    assert len(body) >= PAUSE_FROM_BYTES
    return Response(200, {"content-type": "application/json"}, body)


def test_large_body_is_decoded_with_the_collector_off_then_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def loads(body: bytes) -> Any:
        seen.append(gc.isenabled())
        return orjson.loads(body)

    shim = SimpleNamespace(loads=loads, JSONDecodeError=orjson.JSONDecodeError)
    monkeypatch.setattr(_protocol, "orjson", shim)
    batch = parse_bulk_results(_large(_completed(2000)), REQUEST)
    assert batch.status is BatchStatus.COMPLETED
    assert len(batch.results) == 2000
    small = {"general": {"id": "b1", "status": "ongoing"}, "stats": {"finished": 1, "requested": 9}}
    parse_bulk_results(Response(200, {}, orjson.dumps(small)), REQUEST)
    assert seen == [False, True]  # paused for the large body only
    assert gc.isenabled()


def test_collector_back_on_after_a_malformed_large_body() -> None:
    data = _completed(2000)
    data["results"][1500]["qualification"] = "maybe"
    with pytest.raises(ResponseError, match=r"results.*1500"):
        parse_bulk_results(_large(data), REQUEST)
    assert gc.isenabled()


def test_collector_left_off_when_the_program_turned_it_off() -> None:
    gc.disable()
    batch = parse_bulk_results(_large(_completed(2000)), REQUEST)
    assert len(batch.results) == 2000
    assert not gc.isenabled()


def test_nested_and_concurrent_pauses_end_with_the_last() -> None:
    with gc_paused:
        with gc_paused:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    inside = threading.Barrier(2)
    release = threading.Event()
    states: list[bool] = []

    def hold() -> None:
        with gc_paused:
            inside.wait()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    with gc_paused:
        inside.wait()
    states.append(gc.isenabled())  # the other thread still pauses it
    release.set()
    thread.join(5)
    states.append(gc.isenabled())
    assert states == [False, True]
