"""A local webhook receiver for the demo, benchmarks and tests."""

from watchfloor.services.receiver.server import ReceivedRequest, WebhookReceiver

__all__ = ["ReceivedRequest", "WebhookReceiver"]
