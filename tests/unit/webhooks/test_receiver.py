"""WebhookReceiver without a socket: options, URLs, subscriptions and waits in virtual time.

Everything that needs an event POSTed to it is in ``tests/integration/test_webhook_receiver.py``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import anyio
import pytest
from aiohttp import web

from enrow_async.errors import ConfigurationError
from enrow_async.models import WebhookEvent
from enrow_async.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.anyio

SECRET = "s3cret-Token_42"


def test_the_url_is_unknown_until_started() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = WebhookReceiver().url


def test_public_url_gives_the_url_to_register() -> None:
    receiver = WebhookReceiver(
        path="/hooks", secret=SECRET, public_url="https://hooks.example.com/"
    )
    receiver.mount(web.Application())
    assert receiver.url == f"https://hooks.example.com/hooks/{SECRET}"
    plain = WebhookReceiver(public_url="https://tunnel.example.net")
    assert plain.url == "https://tunnel.example.net/enrow/webhook"


async def test_a_mounted_receiver_is_served_by_its_app_only() -> None:
    receiver = WebhookReceiver(path="/hooks", secret=SECRET)
    app = web.Application()
    receiver.mount(app)
    with pytest.raises(ConfigurationError, match="public_url"):
        _ = receiver.url
    with pytest.raises(RuntimeError, match="mounted"):
        receiver.mount(app)
    with pytest.raises(RuntimeError, match="mounted"):
        await receiver.start()
    assert {route.resource.canonical for route in app.router.routes()} == {
        "/hooks",
        "/hooks/{token}",
    }


def test_new_secret_is_url_safe_and_accepted() -> None:
    secret = WebhookReceiver.new_secret()
    assert len(secret) >= 24
    assert secret != WebhookReceiver.new_secret()
    WebhookReceiver(secret=secret)


def test_the_secret_never_shows() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    assert SECRET not in repr(receiver)
    assert "secret=set" in repr(receiver)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"path": "enrow/webhook"},
        {"path": "/enrow/webhook/"},
        {"path": "/with space"},
        {"secret": ""},
        {"secret": "a/b"},
        {"secret": "a?b"},
        {"max_body": 0},
        {"remember": -1},
        {"public_url": "hooks.example.com"},
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must") as info:
        WebhookReceiver(**kwargs)
    if kwargs.get("secret"):
        assert kwargs["secret"] not in str(info.value)


def test_subscriptions_are_counted_and_unsubscribe_is_idempotent() -> None:
    receiver = WebhookReceiver()
    seen: list[WebhookEvent] = []
    first = receiver.subscribe("batch-1", seen.append)
    second = receiver.subscribe("batch-1", seen.append)
    receiver.subscribe("batch-2", seen.append)
    assert receiver.subscription_count == 3
    first()
    first()
    assert receiver.subscription_count == 2
    second()
    assert receiver.subscription_count == 1
    assert seen == []


async def test_async_callbacks_and_empty_ids_are_refused() -> None:
    async def callback(event: WebhookEvent) -> None:
        pass

    receiver = WebhookReceiver()
    with pytest.raises(TypeError, match="synchronous"):
        receiver.subscribe("b", callback)
    with pytest.raises(ValueError, match="batch_id"):
        receiver.subscribe("", print)
    assert receiver.subscription_count == 0


async def test_cancelled_wait_leaves_no_subscription() -> None:
    hooks = WebhookReceiver()
    with anyio.move_on_after(0.05) as scope:
        await hooks.wait("never")
    assert scope.cancelled_caught
    assert hooks.subscription_count == 0

    async with anyio.create_task_group() as tg:
        tg.start_soon(hooks.wait, "never")
        await anyio.wait_all_tasks_blocked()
        assert hooks.subscription_count == 1
        tg.cancel_scope.cancel()
    assert hooks.subscription_count == 0


async def test_wait_timeout_raises_and_leaves_no_subscription() -> None:
    hooks = WebhookReceiver()
    start = anyio.current_time()
    with pytest.raises(TimeoutError):
        await hooks.wait("never", timeout=30)
    assert anyio.current_time() - start == pytest.approx(30)  # virtual seconds
    assert hooks.subscription_count == 0


def test_the_package_loads_the_web_server_only_when_the_receiver_is_asked_for() -> None:
    """``import enrow_async`` leaves aiohttp.web (some 5,000 heap objects) unloaded."""
    code = (
        "import sys, enrow_async\n"
        "assert 'aiohttp.web' not in sys.modules\n"
        "assert 'WebhookReceiver' in dir(enrow_async)\n"
        "from enrow_async import WebhookReceiver, WebhookCallback\n"
        "from enrow_async.webhooks.receiver import WebhookReceiver as Direct\n"
        "assert WebhookReceiver is Direct and 'aiohttp.web' in sys.modules\n"
        "try:\n"
        "    enrow_async.NoSuchName\n"
        "except AttributeError as exc:\n"
        "    assert 'NoSuchName' in str(exc)\n"
        "else:\n"
        "    raise AssertionError('no AttributeError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
