"""The asyncio client against the real server."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from conftest import API_KEY, free_port
from switchboard import SwitchboardAPI, SwitchboardClient, SwitchboardError


def run(coro, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Recorder:
    """Collects a client's events; ``wait`` returns the first that matches."""

    def __init__(self, client: SwitchboardClient, *events: str):
        self.seen = []
        self._changed = asyncio.Condition()
        for event in events:
            client.on(event, lambda payload, e=event: self._add(e, payload))

    def _add(self, event, payload):
        self.seen.append((event, payload))

        async def notify():
            async with self._changed:
                self._changed.notify_all()
        return notify()

    def of(self, event):
        return [p for e, p in self.seen if e == event]

    async def wait(self, event, match=lambda p: True, timeout: float = 15.0):
        async def found():
            async with self._changed:
                while True:
                    hits = [p for p in self.of(event) if match(p)]
                    if hits:
                        return hits[0]
                    await self._changed.wait()
        return await asyncio.wait_for(found(), timeout)


def test_two_clients_join_publish_and_receive_with_acks_presence_history_and_private_messages(server):
    async def scenario():
        async with SwitchboardClient(server.ws_url, user_id="alice") as alice, \
                SwitchboardClient(server.ws_url, user_id="bob") as bob:
            seen = Recorder(alice, "room_message", "private_message", "user_joined_room")
            assert alice.welcome["userId"] == "alice"
            joined = await alice.join("py-lobby")
            assert joined["room"] == "py-lobby" and isinstance(joined["epoch"], str)
            await bob.join("py-lobby")
            await seen.wait("user_joined_room", lambda p: p["userId"] == "bob")

            ack = await bob.publish("py-lobby", "hello", {"n": 1})
            assert ack["type"] == "ack" and ack["offset"] == joined["offset"] + 1
            message = await seen.wait("room_message")
            assert (message["from"], message["content"], message["data"], message["offset"]) == \
                ("bob", "hello", {"n": 1}, ack["offset"])

            await bob.send_private("alice", "psst")
            assert (await seen.wait("private_message"))["content"] == "psst"
            with pytest.raises(SwitchboardError) as no_grant:
                await bob.broadcast("to everyone")  # clients broadcast only with the grant (auth on)
            assert no_grant.value.code == "forbidden"

            assert await alice.members("py-lobby") == ["alice", "bob"]
            presence = await alice.presence("py-lobby")
            assert presence["count"] == 2
            assert [m["content"] for m in await alice.messages_since("py-lobby", joined["offset"])] == ["hello"]
            assert (await alice.echo("e", [1, 2]))["data"] == [1, 2]
            assert await alice.ping() >= 0

            with pytest.raises(SwitchboardError) as refused:
                await bob.publish("py-not-joined", "x")
            assert refused.value.code == "not_in_room" and refused.value.frame["type"] == "error"

            assert (await bob.leave("py-lobby"))["type"] == "room_left"
            assert bob.rooms() == []
        assert alice.state == "closed" and bob.state == "closed"
        with pytest.raises(SwitchboardError) as after:
            await alice.publish("py-lobby", "late")
        assert after.value.code == "not_connected"
    run(scenario())


def test_a_dropped_connection_rejoins_with_since_and_gets_every_missed_message_once_in_order(server):
    api = SwitchboardAPI(server.http_url, API_KEY)

    async def scenario():
        # random() = 0.99: the first reconnect waits 0.99 × 2 s, long enough to publish while it is away.
        client = SwitchboardClient(server.ws_url, user_id="carol", backoff_initial=2.0, random=lambda: 0.99)
        seen = Recorder(client, "room_message", "recovery", "close", "state")
        await client.connect()
        joined = await client.join("py-recover")
        first = [await asyncio.to_thread(api.publish, "py-recover", f"live {i}") for i in range(2)]
        await seen.wait("room_message", lambda m: m["offset"] == first[-1])

        assert await asyncio.to_thread(api.disconnect, "carol", 1013) == 1
        close = await seen.wait("close")
        assert close["code"] == 1013 and close["will_reconnect"] and close["retry_in"] == pytest.approx(1.98)
        missed = [await asyncio.to_thread(api.publish, "py-recover", f"missed {i}") for i in range(3)]

        recovery = await seen.wait("recovery")
        assert recovery["recovered"] is True
        assert recovery["previous"] == {"epoch": joined["epoch"], "offset": first[-1]}
        after = await asyncio.to_thread(api.publish, "py-recover", "after")
        await seen.wait("room_message", lambda m: m["offset"] == after)

        offsets = [m["offset"] for m in seen.of("room_message")]
        assert offsets == list(range(joined["offset"] + 1, after + 1))
        assert [m["content"] for m in seen.of("room_message")][2:5] == ["missed 0", "missed 1", "missed 2"]
        assert offsets[2:5] == missed
        states = [s["state"] for s in seen.of("state")]
        assert states[-2:] == ["reconnecting", "connected"]
        assert client.cursor("py-recover").mark == after
        await client.close()
    run(scenario())


def test_close_4003_is_final_and_fails_what_waits(server):
    api = SwitchboardAPI(server.http_url, API_KEY)

    async def scenario():
        client = SwitchboardClient(server.ws_url, user_id="dave", backoff_initial=0.1)
        seen = Recorder(client, "close")
        await client.connect()
        await client.join("py-kick")
        await asyncio.to_thread(api.disconnect, "dave", 4003)
        close = await seen.wait("close")
        assert close == {"code": 4003, "reason": "disconnected by the server", "will_reconnect": False}
        assert client.state == "closed" and client.last_close["code"] == 4003
        with pytest.raises(SwitchboardError) as e:
            await client.join("py-kick")
        assert e.value.code == "not_connected"
        await client.close()
    run(scenario())


def test_close_4001_asks_the_token_provider_and_reconnects_at_once_with_the_new_token(server):
    api = SwitchboardAPI(server.http_url, API_KEY)
    calls = []

    async def provider():
        calls.append(len(calls) + 1)
        return f"token-{len(calls)}"

    async def scenario():
        # Auth is off on this server, so the token is sent and ignored; what is checked is the client's path.
        client = SwitchboardClient(server.ws_url, user_id="erin", token_provider=provider, backoff_initial=30.0)
        seen = Recorder(client, "close", "recovery")
        await client.connect()
        await client.join("py-refresh")
        await asyncio.to_thread(api.disconnect, "erin", 4001)
        close = await seen.wait("close")
        assert close["code"] == 4001 and close["will_reconnect"] and close["retry_in"] == 0
        assert (await seen.wait("recovery"))["recovered"] is True
        assert calls == [1] and client.token == "token-1" and client.state == "connected"
        await client.close()
    run(scenario())


def test_a_server_restart_reconnects_after_the_shutdown_hint_and_reports_a_failed_recovery(own_server):
    async def scenario():
        own_server.start()
        client = SwitchboardClient(own_server.ws_url, user_id="frank", backoff_initial=0.2)
        seen = Recorder(client, "server_shutdown", "close", "recovery", "room_message")
        await client.connect()
        joined = await client.join("py-restart")
        await client.publish("py-restart", "before")

        await asyncio.to_thread(own_server.stop)
        shutdown = await seen.wait("server_shutdown")
        close = await seen.wait("close")
        assert close["code"] == 1012 and close["will_reconnect"]
        assert close["retry_in"] == shutdown["reconnectAfterMs"] / 1000.0
        await asyncio.to_thread(own_server.start)

        recovery = await seen.wait("recovery", timeout=30)
        # An in-memory server lost its history: a new epoch, nothing replayed, resync.
        assert recovery["recovered"] is False and recovery["epoch"] != joined["epoch"]
        assert client.cursor("py-restart").epoch == recovery["epoch"]
        ack = await client.publish("py-restart", "after")
        assert ack["offset"] == recovery["offset"] + 1
        await client.close()
    run(scenario(), timeout=90)


def test_a_first_connection_that_fails_raises_and_is_not_retried(server):
    async def scenario():
        nobody = SwitchboardClient(f"ws://127.0.0.1:{free_port()}/ws")
        with pytest.raises(SwitchboardError) as refused:
            await nobody.connect()
        assert refused.value.code == "connect_failed"
        assert refused.value.message.startswith(f"cannot connect to {nobody.url}: ")
        assert nobody.state == "closed"

        wrong_path = SwitchboardClient(f"ws://127.0.0.1:{server.port}/not-the-endpoint")
        with pytest.raises(SwitchboardError) as rejected:
            await wrong_path.connect()
        assert (rejected.value.code, rejected.value.status) == ("rejected", 404)
    run(scenario())


def test_commands_time_out_and_the_pending_bound_refuses_more():
    """Against a WebSocket server that welcomes and then never answers."""
    async def silent(ws, path=None):
        await ws.send('{"type":"welcome","connId":"c-1","userId":"x","server":{}}')
        await ws.wait_closed()

    async def scenario():
        async with websockets.serve(silent, "127.0.0.1", 0) as srv:
            port = srv.sockets[0].getsockname()[1]
            client = SwitchboardClient(f"ws://127.0.0.1:{port}/ws", request_timeout=0.5, max_pending=1)
            await client.connect()
            waiting = asyncio.ensure_future(client.echo("no answer"))
            await asyncio.sleep(0.05)
            with pytest.raises(SwitchboardError) as full:
                await client.echo("one too many")
            assert full.value.code == "queue_full"
            with pytest.raises(SwitchboardError) as late:
                await waiting
            assert late.value.code == "timeout" and "no reply to echo within 0.5 s" in late.value.message
            await client.close()
    run(scenario())
