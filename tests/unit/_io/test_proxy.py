"""``env_proxy``: which proxy the environment names for a base URL, by the standard
library's rules (the requests themselves go through a proxy in
``tests/integration/test_transport_proxy.py``)."""

from __future__ import annotations

import pytest

from enrow_async import ConfigurationError, EnrowClient
from enrow_async._io.proxy import env_proxy

PROXY = "http://proxy.corp:3128"


@pytest.mark.parametrize(
    ("variables", "url", "expected"),
    [
        ({}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": PROXY}, "https://api.enrow.io", PROXY),
        ({"https_proxy": PROXY, "HTTPS_PROXY": "http://other:1"}, "https://api.enrow.io", PROXY),
        ({"HTTPS_PROXY": PROXY}, "http://127.0.0.1:8765", None),
        ({"HTTP_PROXY": PROXY}, "http://127.0.0.1:8765", PROXY),
        ({"HTTP_PROXY": PROXY}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": "proxy.corp:3128"}, "https://api.enrow.io", PROXY),
        (
            {"HTTPS_PROXY": "http://u:p@proxy.corp:3128"},
            "https://x.io",
            "http://u:p@proxy.corp:3128",
        ),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "enrow.io"}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": ".enrow.io"}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "a.com, api.enrow.io"}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": PROXY, "no_proxy": "*"}, "https://api.enrow.io", None),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "other.io"}, "https://api.enrow.io", PROXY),
        ({"HTTPS_PROXY": PROXY, "NO_PROXY": "enrow.io.evil"}, "https://api.enrow.io", PROXY),
    ],
)
def test_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], url: str, expected: str | None
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert env_proxy(url) == expected


@pytest.mark.parametrize("value", ["socks5://u:hunter2@proxy:1080", "http://", "http://[bad"])
def test_an_unusable_proxy_is_refused_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", value)
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY") as info:
        EnrowClient("k")
    assert "hunter2" not in str(info.value)
    assert "trust_env=False" in str(info.value)
    EnrowClient("k", trust_env=False)  # the environment is not read at all
