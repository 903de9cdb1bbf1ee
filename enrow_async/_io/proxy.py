"""Which proxy the environment names for the API's URL (``HTTPS_PROXY``, ``NO_PROXY``...)."""

from __future__ import annotations

import urllib.request

from yarl import URL

from ..errors import ConfigurationError

__all__ = ["env_proxy"]


def env_proxy(url: str) -> str | None:
    """The proxy that the environment names for ``url``, or ``None``.

    ``HTTPS_PROXY`` for an ``https`` URL, ``HTTP_PROXY`` for an ``http`` one (lower case
    first), unless ``NO_PROXY`` lists the URL's host or a domain above it (``*``: every
    host), read by the standard library's rules (``urllib.request.getproxies``; on macOS and
    Windows, the system's settings when no variable is set). A value without a scheme is
    an ``http://`` proxy; one that is not an ``http(s)`` URL with a host is refused.
    """
    target = URL(url)
    if target.host is None or urllib.request.proxy_bypass(target.host):
        return None
    proxy = urllib.request.getproxies().get(target.scheme)
    if not proxy:
        return None
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    try:
        parsed = URL(proxy)
        usable = parsed.scheme in ("http", "https") and bool(parsed.host)
    except ValueError:
        usable = False
    if not usable:
        raise ConfigurationError(
            f"the {target.scheme.upper()}_PROXY environment variable is not an http(s) proxy"
            " URL (http://host:port): fix it, or pass trust_env=False"
        )
    return proxy
