"""Slow readers of a `delivery: latest` room, for benchmarks/latest-room.

Opens N raw WebSocket connections (wsload.Ws), joins them to the room, then reads one message every
`--every` seconds while the fast members (switchboard bench, in another process) take every message.
Each slow reader checks that its offsets only increase and counts the skips; once told the publishing
is over (SIGUSR1), it reads at full speed until the room is quiet and reports the last offset
it saw. Prints one JSON object. Loopback only; standard library only.

usage: latest.py HOST PORT ROOM N EVERY_SECONDS
"""
import asyncio
import json
import signal
import socket
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from wsload import Closed, Ws, loopback  # noqa: E402


class Slow:
    def __init__(self):
        self.ws = None
        self.offsets = 0
        self.last = 0
        self.skipped = 0
        self.backwards = 0
        self.closed = None
        self.at_done = 0

    def take(self, m):
        if m.get("type") != "room_message":
            return
        o = m["offset"]
        if o <= self.last:
            self.backwards += 1
        elif self.last and o > self.last + 1:
            self.skipped += o - self.last - 1
        self.last = max(self.last, o)
        self.offsets += 1


async def main(host, port, room, n, every):
    readers = [Slow() for _ in range(n)]
    sem = asyncio.Semaphore(100)

    async def open_one(r):
        async with sem:
            # A small read-ahead: the socket is read as the reader takes messages, not in 64 KiB gulps a quarter of
            # a minute apart, which the server would rightly take for a reader that stopped.
            r.ws = await Ws(host, port).open(limit=4096)
            # Small socket buffers: the backlog builds in the server, where `latest` acts, not in this kernel.
            sock = r.ws.writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            await r.ws.expect("welcome")
            r.ws.send({"type": "join_room", "room": room})
            _, seen = await r.ws.expect("room_joined")
            for m in seen:
                r.take(m)

    await asyncio.gather(*(open_one(r) for r in readers))
    print(f"latest: {n} slow readers joined {room}", file=sys.stderr, flush=True)
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, done.set)

    async def read_slowly(r):
        try:
            while not done.is_set():
                r.take(await r.ws.recv())
                await asyncio.sleep(every)
            # Publishing is over: catch up at full speed until the room has been quiet for 10 s.
            r.at_done = r.last
            while True:
                try:
                    r.take(await asyncio.wait_for(r.ws.recv(), 10))
                except asyncio.TimeoutError:
                    return
        except Closed as e:
            r.closed = str(e)

    t0 = time.time()
    await asyncio.gather(*(read_slowly(r) for r in readers))
    closed = [r.closed for r in readers if r.closed]
    print(json.dumps({
        "slowReaders": n,
        "closed": len(closed),
        "closeReasons": sorted(set(closed))[:5],
        "messagesRead": sum(r.offsets for r in readers),
        "offsetsSkipped": sum(r.skipped for r in readers),
        "offsetsBackwards": sum(r.backwards for r in readers),
        "lastOffsets": sorted({r.last for r in readers}),
        "offsetsWhenPublishingStopped": sorted({r.at_done for r in readers}),
        "seconds": round(time.time() - t0, 1),
    }), flush=True)


if __name__ == "__main__":
    host, port, room, n, every = sys.argv[1:6]
    asyncio.run(main(loopback(host), int(port), room, int(n), float(every)))
