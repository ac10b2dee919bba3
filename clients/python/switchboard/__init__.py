"""Python client of the Switchboard WebSocket messaging server: an asyncio client (acks as awaitables,
reconnect with backoff and jitter, gap-free recovery with ``since``) and a helper for the HTTP API."""

from .api import SwitchboardAPI
from .client import SwitchboardClient
from .errors import ApiError, SwitchboardError
from .protocol import CLOSE_CODES, RoomCursor, backoff_delay, rejection_policy, retry_policy

__version__ = "0.1.0.dev0"

__all__ = [
    "ApiError", "CLOSE_CODES", "RoomCursor", "SwitchboardAPI", "SwitchboardClient", "SwitchboardError",
    "backoff_delay", "rejection_policy", "retry_policy", "__version__",
]
