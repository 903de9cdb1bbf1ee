"""The API config: the base URL checked, the key carried in headers."""

from __future__ import annotations

import pytest
from helpers import CONFIG, KEY

from enrow_async import ConfigurationError
from enrow_async._core.config import DEFAULT_BASE_URL, ApiConfig


def test_config_headers_carry_the_key_and_accept_json() -> None:
    assert dict(CONFIG.headers) == {"x-api-key": KEY, "accept": "application/json"}
    assert ApiConfig(KEY).base_url == DEFAULT_BASE_URL == "https://api.enrow.io"


@pytest.mark.parametrize(
    ("url", "allow"),
    [("http://api.example.com", False), ("ftp://x", True), ("https://", False), ("nope", False)],
)
def test_unsafe_or_invalid_base_urls_refused(url: str, allow: bool) -> None:
    with pytest.raises(ConfigurationError):
        ApiConfig.create(KEY, url, allow_http=allow)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://api.enrow.io/?x=1", "must not carry a query or fragment"),
        ("https://api.enrow.io/#top", "must not carry a query or fragment"),
        ("http://api.example.com", "refusing plain-http base_url"),
    ],
)
def test_base_url_messages(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        ApiConfig.create(KEY, url)
    assert KEY not in str(info.value)


def test_base_url_must_be_a_string() -> None:
    with pytest.raises(ConfigurationError, match="base_url must be a string"):
        ApiConfig.create(KEY, b"https://api.enrow.io")  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", "   ", None, 42])
def test_key_must_be_a_non_empty_string(key: object) -> None:
    with pytest.raises(ConfigurationError, match="non-empty string"):
        ApiConfig.create(key, "https://api.enrow.io")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    assert ApiConfig.create(KEY, url).base_url == url


def test_plain_http_allowed_when_asked() -> None:
    assert ApiConfig.create(KEY, "http://proxy.internal/", allow_http=True).base_url == (
        "http://proxy.internal"
    )


def test_trailing_slashes_dropped() -> None:
    assert (
        ApiConfig.create(KEY, "https://gw.example/enrow//").base_url == "https://gw.example/enrow"
    )
