"""Webhooks: [parse_webhook][enrow_async.parse_webhook] (``events``) reads a notification
into its typed event (the models'), and [WebhookReceiver][enrow_async.WebhookReceiver]
(``receiver``) serves a URL for them. Both are imported from ``enrow_async``, which loads
the receiver, and with it aiohttp's web server, on first use only.
"""
