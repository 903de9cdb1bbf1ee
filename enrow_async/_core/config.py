"""Where and as whom the client talks: the base URL, checked, and the API key.

Nothing here does I/O; no repr shows the key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

from ..errors import ConfigurationError

__all__ = ["DEFAULT_BASE_URL", "ApiConfig"]

DEFAULT_BASE_URL = "https://api.enrow.io"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@attrs.frozen(repr=False)
class ApiConfig:
    """Where and as whom to talk; its repr never shows the key."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    headers: Mapping[str, str] = attrs.field(init=False)

    @headers.default
    def _headers(self) -> Mapping[str, str]:
        return {"x-api-key": self.api_key, "accept": "application/json"}

    @classmethod
    def create(cls, api_key: str, base_url: str, *, allow_http: bool = False) -> ApiConfig:
        """Validate ``base_url`` (https, or http on loopback / when allowed) and the key."""
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("the API key must be a non-empty string")
        if not isinstance(base_url, str):
            raise ConfigurationError("base_url must be a string")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL, got {base_url!r}")
        if parts.query or parts.fragment:
            raise ConfigurationError("base_url must not carry a query or fragment")
        if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
            raise ConfigurationError(
                f"refusing plain-http base_url {base_url!r}: the API key would travel in clear;"
                " use https, a loopback address, or pass allow_http=True"
            )
        return cls(api_key=api_key, base_url=base_url.rstrip("/"))

    def __repr__(self) -> str:
        return f"ApiConfig(base_url={self.base_url!r}, api_key=<redacted>)"
