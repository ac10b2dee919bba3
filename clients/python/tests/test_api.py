"""The HTTP API helper against the real server, and the request shape of the calls it may not have yet."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import API_KEY, free_port
from switchboard import ApiError, SwitchboardAPI, SwitchboardClient


def test_publish_broadcast_and_private_reach_a_connected_client(server, api):
    async def scenario():
        async with SwitchboardClient(server.ws_url, user_id="gina") as client:
            got = {"room_message": [], "broadcast": [], "private_message": []}
            for event, items in got.items():
                client.on(event, items.append)
            joined = await client.join("py-api")

            offset = await asyncio.to_thread(api.publish, "py-api", "from the backend", {"build": 7})
            assert offset == joined["offset"] + 1
            assert await asyncio.to_thread(api.broadcast, "maintenance at noon") == {"ok": True}
            assert await asyncio.to_thread(api.private, "gina", "just you") == 1
            with pytest.raises(ApiError) as nobody:
                await asyncio.to_thread(api.private, "nobody-here", "lost")
            assert (nobody.value.status, nobody.value.code) == (404, "user_not_found")
            room = await asyncio.to_thread(api.room, "py-api")
            assert room["offset"] == offset

            for _ in range(100):
                if all(got.values()):
                    break
                await asyncio.sleep(0.05)
            assert [(m["from"], m["content"], m["data"], m["offset"]) for m in got["room_message"]] == \
                [("server", "from the backend", {"build": 7}, offset)]
            assert [m["content"] for m in got["broadcast"]] == ["maintenance at noon"]
            assert [m["content"] for m in got["private_message"]] == ["just you"]
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_errors_carry_the_status_and_the_servers_code(server, api):
    with pytest.raises(ApiError) as bad_room:
        api.publish("no spaces allowed", "x")
    assert bad_room.value.status == 400 and bad_room.value.code == "invalid_field"

    with pytest.raises(ApiError) as wrong_key:
        SwitchboardAPI(server.http_url, "not-the-key").publish("py-api", "x")
    assert wrong_key.value.status == 401

    with pytest.raises(ApiError) as unreachable:
        SwitchboardAPI(f"http://127.0.0.1:{free_port()}", API_KEY, timeout=2).publish("py-api", "x")
    assert (unreachable.value.status, unreachable.value.code) == (0, "unreachable")

    with pytest.raises(ValueError, match="needs content or data"):
        api.publish("py-api")
    assert API_KEY not in repr(api)


class _Recorder(BaseHTTPRequestHandler):
    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Recorder.requests.append((self.path, self.headers["Authorization"], self.headers["Content-Type"], body))
        reply = b'{"subscribed":1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def test_subscribe_and_unsubscribe_post_the_user_and_room_with_the_key():
    """/api/subscribe is newer than some servers: its request is checked against a recording HTTP server."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        api = SwitchboardAPI(f"http://127.0.0.1:{httpd.server_address[1]}", "k-123")
        assert api.subscribe("alice", "chat:1") == {"subscribed": 1}
        api.unsubscribe("alice", "chat:1")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert _Recorder.requests == [
        ("/api/subscribe", "Bearer k-123", "application/json", {"userId": "alice", "room": "chat:1"}),
        ("/api/unsubscribe", "Bearer k-123", "application/json", {"userId": "alice", "room": "chat:1"}),
    ]
