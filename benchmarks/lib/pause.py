"""Cluster-pause driver; see benchmarks/cluster-pause for what it checks.

usage: pause.py HOST PORT_A PORT_B PID_B OUT.json PAUSE_S
"""
import asyncio
import json
import os
import signal
import sys
import time

from wsload import Closed, Ws, load_avg, loopback, machine

ROOMS = [f"pause-{i}" for i in range(4)]
RATE = 50  # publishes per second, over the rooms in turn


class Subscriber:
    """Joined to every room; on a gap, a close or (if `failover`) 3 s of silence, it drops the connection
    and rejoins every room with `since` on the next node. Confined to the loop."""

    def __init__(self, name, ports, home, failover, stats):
        self.name, self.ports, self.node, self.failover, self.stats = name, ports, home, failover, stats
        self.got = {r: [] for r in ROOMS}
        self.start = {}
        self.last = {}
        self.epoch = {}
        self.ws = None
        self.heard = time.monotonic()

    async def connect(self):
        while True:
            port = self.ports[self.node]
            try:
                ws = await Ws("127.0.0.1", port).open(timeout=3)
                await ws.expect("welcome", timeout=3)
                for r in ROOMS:
                    cmd = {"type": "join_room", "room": r}
                    if r in self.last:
                        cmd["since"] = {"offset": self.last[r], "epoch": self.epoch[r]}
                    ws.send(cmd)
                    joined, seen = await ws.expect("room_joined", timeout=5)
                    for m in seen:
                        self.take(m)
                    if r in self.last and not joined.get("recovered"):
                        self.stats["recoveredFalse"] += 1
                    if r not in self.start:
                        self.start[r] = joined["offset"]
                    self.last[r], self.epoch[r] = joined["offset"], joined["epoch"]
                self.ws, self.heard = ws, time.monotonic()
                return
            except Exception as e:
                self.stats["connectFailures"] += 1
                try:
                    ws.abort()
                except Exception:
                    pass
                self.node = 1 - self.node  # the other node
                await asyncio.sleep(0.2)

    def take(self, m):
        if m.get("type") == "room_message" and m.get("room") in self.got:
            r = m["room"]
            self.got[r].append(m["offset"])
            gap = r in self.last and m["offset"] != self.last[r] + 1
            if not gap or m["offset"] > self.last[r]:
                self.last[r] = m["offset"]
            self.heard = time.monotonic()
            return gap
        return False

    async def run(self, until):
        await self.connect()
        while time.monotonic() < until():
            reason = None
            try:
                m = await asyncio.wait_for(self.ws.recv(), 1)
                if self.take(m):
                    reason = "gap"
            except asyncio.TimeoutError:
                if self.failover and time.monotonic() - self.heard > 3 and publishing[0]:
                    reason = "silence"
            except Closed:
                reason = "closed"
            if reason:
                self.stats["rejoins_" + reason] += 1
                # the last contiguous offset: a gap rejoins from before it
                for r in ROOMS:
                    got = self.got[r]
                    n = self.start[r]
                    seen = set(got)
                    while n + 1 in seen:
                        n += 1
                    # what came after a gap comes again in the replay: keep only the contiguous part
                    self.got[r] = [o for o in got if o <= n]
                    self.last[r] = n
                self.ws.abort()
                if reason != "gap":
                    self.node = 1 - self.node
                await self.connect()
        self.ws.abort()


publishing = [True]


async def main(port_a, port_b, pid_b, out, pause):
    from collections import Counter
    stats = Counter()
    ports = [port_a, port_b]
    subs = [Subscriber(f"s{i}", ports, i % 2, i % 4 >= 2, stats) for i in range(20)]
    stop = [time.monotonic() + 3600]
    tasks = [asyncio.ensure_future(s.run(lambda: stop[0])) for s in subs]
    await asyncio.sleep(3)
    pub = await Ws("127.0.0.1", port_a).open()
    await pub.expect("welcome")
    for r in ROOMS:  # a publisher must be a member
        pub.send({"type": "join_room", "room": r})
        await pub.expect("room_joined")
    acked = {r: [] for r in ROOMS}

    async def read_acks():
        try:
            while True:
                m = await pub.recv()
                if m.get("type") == "ack":
                    acked[m["id"].split("/")[0]].append(m["offset"])
                elif m.get("type") == "error":
                    stats["publishErrors"] += 1
                    stats["publishError_" + str(m.get("code"))] += 1
        except Closed:
            pass

    reader = asyncio.ensure_future(read_acks())
    t0 = time.monotonic()
    seq = 0
    paused = resumed = None
    total = 10 + pause + 20
    print(f"cluster-pause: 20 subscribers (10 per node; half fail over after 3 s of silence), "
          f"{RATE} publishes/s on node A over {len(ROOMS)} rooms", flush=True)
    while time.monotonic() - t0 < total:
        e = time.monotonic() - t0
        if paused is None and e >= 10:
            os.kill(pid_b, signal.SIGSTOP)
            paused = e
            print(f"cluster-pause: {e:4.0f} s node B SIGSTOPped, load {load_avg()}", flush=True)
        if paused is not None and resumed is None and e >= 10 + pause:
            os.kill(pid_b, signal.SIGCONT)
            resumed = e
            print(f"cluster-pause: {e:4.0f} s node B resumed", flush=True)
        r = ROOMS[seq % len(ROOMS)]
        pub.send({"type": "room_message", "room": r, "content": f"m{seq}", "id": f"{r}/{seq}"})
        seq += 1
        await asyncio.sleep(1 / RATE)
    publishing[0] = False
    print(f"cluster-pause: {seq} publishes sent; settling 15 s (tail check 5 s)", flush=True)
    await asyncio.sleep(15)
    stop[0] = 0
    await asyncio.gather(*tasks, return_exceptions=True)
    reader.cancel()
    pub.abort()
    lost = dup = 0
    examples = []
    for s in subs:
        for r in ROOMS:
            newest = max(acked[r]) if acked[r] else 0
            want = list(range(s.start[r] + 1, newest + 1))
            got = sorted(s.got[r])
            c = Counter(got)
            d = sum(v - 1 for v in c.values() if v > 1)
            missing = [o for o in want if o not in c]
            lost += len(missing)
            dup += d
            if (missing or d) and len(examples) < 10:
                examples.append(f"{s.name} {r}: missing {missing[:5]} duplicates {d}")
            if got != sorted(set(got)) or s.got[r] != sorted(s.got[r]):
                stats["outOfOrder"] += 1
    failed = []
    if lost:
        failed.append("lost")
    if dup:
        failed.append("duplicated")
    if stats["recoveredFalse"]:
        failed.append("recovered:false")
    if sum(len(v) for v in acked.values()) != seq:
        failed.append(f"{seq - sum(len(v) for v in acked.values())} publishes not acknowledged")
    result = {"kind": "cluster-pause", "pauseS": pause, "published": seq,
              "acked": {r: len(v) for r, v in acked.items()}, "lost": lost, "duplicated": dup,
              "stats": dict(stats), "examples": examples, "failed": failed, "machine": machine(),
              "load": load_avg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    json.dump(result, open(out, "w"), indent=1)
    print(json.dumps({k: result[k] for k in ("published", "acked", "lost", "duplicated", "stats", "examples")}))
    print(("FAILED: " + ", ".join(failed)) if failed else "all checks passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    loopback(sys.argv[1])
    rc = asyncio.get_event_loop().run_until_complete(
        main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])))
    sys.stdout.flush()
    os._exit(rc)
