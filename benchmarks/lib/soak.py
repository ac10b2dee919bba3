"""Soak and churn drivers; see benchmarks/soak and benchmarks/churn for what they check.

usage: soak.py soak  HOST PORT SERVER_PID OUT.json N DURATION_S INTERVAL_S WARMUP_S
       soak.py churn HOST PORT SERVER_PID OUT.json CYCLES CONCURRENCY
"""
import asyncio
import json
import os
import random
import statistics
import sys
import time

from wsload import Closed, Ws, gauges, http_get, load_avg, loopback, machine, metric, sample

ROOM_SIZE = 10
# Gauges that move by design whatever the load (clocks, CPU, the heap before GC: measured after GC instead).
NOISY = ("process_uptime", "process_start_time", "cpu", "system_load_average", "jvm_memory_used_bytes{area=\"heap\"",
         "websocket_memory_usage_bytes{component=\"heap\"", "jvm_gc_max_data_size", "jvm_memory_usage_after_gc",
         "jvm_threads_states", "jvm_gc_live_data_size", "jvm_buffer", "jvm_memory_committed_bytes{area=\"heap\"",
         # JIT code caches fill and get swept as compilation goes on; `_max` is a histogram's recent maximum.
         "CodeHeap", "_max{", "_max ")


class Member:
    """One soak connection: its room, its last offset there, and what it checked. Confined to the loop."""

    def __init__(self, stats):
        self.ws, self.room, self.last, self.epoch, self.busy, self.stats = None, None, None, None, False, stats
        self.pending = {}

    async def connect(self, host, port, room, since=None):
        self.ws = await Ws(host, port).open()
        await self.ws.expect("welcome")
        cmd = {"type": "join_room", "room": room}
        if since is not None:
            cmd["since"] = since
        self.ws.send(cmd)
        joined, seen = await self.ws.expect("room_joined")
        if since is not None:
            replay = [m["offset"] for m in seen if m.get("type") == "room_message" and m.get("room") == room]
            if not joined.get("recovered"):
                self.stats["recoveredFalse"] += 1
                if len(self.stats["examples"]) < 20:
                    self.stats["examples"].append(f"recovered:false {joined}")
            elif replay != list(range(since["offset"] + 1, joined["offset"] + 1)):
                self.stats["violations"] += 1
                self.stats["examples"].append(f"replay {replay[:5]}.. after {since['offset']} to {joined['offset']}")
            self.stats["replayed"] += len(replay)
        self.room, self.last, self.epoch = room, joined["offset"], joined["epoch"]
        asyncio.ensure_future(self.read())

    async def read(self):
        ws = self.ws
        try:
            while True:
                m = await ws.recv()
                t = m.get("type")
                if t == "room_message" and m.get("room") == self.room and ws is self.ws:
                    if self.last is not None and m["offset"] != self.last + 1:
                        self.stats["violations"] += 1
                        if len(self.stats["examples"]) < 10:
                            self.stats["examples"].append(f"{self.room}: {m['offset']} after {self.last}")
                    self.last = m["offset"]
                    self.stats["delivered"] += 1
                elif t == "error":
                    self.stats["serverErrors"] += 1
                    if len(self.stats["examples"]) < 20:
                        self.stats["examples"].append(f"server error {m}")
                    for f in list(self.pending.values()):
                        if not f.done():
                            f.set_exception(Closed(f"error {m.get('code')}"))
                    self.pending.clear()
                elif t in ("room_joined", "room_left", "ack"):
                    if t == "room_joined":  # here, not in the awaiting task: the next message may be read first
                        self.room, self.last, self.epoch = m["room"], m["offset"], m["epoch"]
                    f = self.pending.pop(t, None)
                    if f and not f.done():
                        f.set_result(m)
        except Closed as e:
            if ws is self.ws:
                self.stats["unexpectedCloses"] += 1
                self.stats["examples"].append(f"closed: {e}")

    async def command(self, cmd, reply):
        f = asyncio.get_event_loop().create_future()
        self.pending[reply] = f
        self.ws.send(cmd)
        return await asyncio.wait_for(f, 10)


def flat(samples, key_fn, rel, slack):
    n = len(samples)
    if n < 3:
        return None
    first = statistics.median(key_fn(s) for s in samples[: n // 3])
    last = statistics.median(key_fn(s) for s in samples[n - n // 3:])
    return {"first": first, "last": last, "ok": abs(last - first) <= max(rel * abs(first), slack)}


async def soak(host, port, pid, out, n, duration, interval, warmup):
    stats = {k: 0 for k in ("delivered", "published", "violations", "recoveredFalse", "replayed", "unexpectedCloses",
                            "reconnectsGraceful", "reconnectsAbrupt", "moves", "errors", "serverErrors", "reopened")}
    stats["examples"] = []
    rooms = max(1, n // ROOM_SIZE)
    members = [Member(stats) for _ in range(n)]
    sem = asyncio.Semaphore(200)

    async def open_one(i):
        async with sem:
            await members[i].connect(host, port, f"soak-{i % rooms}")

    t0 = time.time()
    await asyncio.gather(*(open_one(i) for i in range(n)))
    print(f"soak: {n} connections in {rooms} rooms open in {time.time() - t0:.0f} s", flush=True)

    async def act(m, kind):
        try:
            if kind == "publish":
                # echo: the sender gets its own message too, so every member sees every offset of its room.
                await m.command({"type": "room_message", "room": m.room, "content": "soak", "id": "p", "echo": True}, "ack")
                stats["published"] += 1
            elif kind == "move":
                new = f"soak-{random.randrange(rooms)}"
                await m.command({"type": "leave_room", "room": m.room}, "room_left")
                m.room, m.last = None, None
                await m.command({"type": "join_room", "room": new}, "room_joined")
                stats["moves"] += 1
            elif kind == "reopen":  # a reconnect that failed (e.g. timed out on a loaded machine): again
                await m.connect(host, port, m.room, {"offset": m.last, "epoch": m.epoch})
                stats["reopened"] += 1
            else:
                room, since = m.room, {"offset": m.last, "epoch": m.epoch}
                old = m.ws
                if kind == "abrupt":
                    m.ws = None
                    old.abort()
                    stats["reconnectsAbrupt"] += 1
                else:
                    m.ws = None
                    await old.close_from_reader()
                    stats["reconnectsGraceful"] += 1
                await m.connect(host, port, room, since)
        except Exception as e:
            stats["errors"] += 1
            if len(stats["examples"]) < 20:
                stats["examples"].append(f"{kind}: {e!r}")
        finally:
            m.busy = False

    samples = []
    stop = time.time() + duration
    next_sample = time.time() + warmup
    tick = 0
    loop = asyncio.get_event_loop()
    # Per second: 100 publishes (about 1,000 deliveries), 20 room moves (leave + join), 10 reconnects with `since`.
    while time.time() < stop:
        for kind, count in (("publish", 100), ("move", 20), ("graceful", 5), ("abrupt", 5)):
            for _ in range(count):
                m = random.choice(members)
                if not m.busy and m.ws is not None:
                    m.busy = True
                    asyncio.ensure_future(act(m, kind))
        for m in members:
            if m.ws is None and not m.busy and m.room is not None:
                m.busy = True
                asyncio.ensure_future(act(m, "reopen"))
        tick += 1
        if time.time() >= next_sample:
            s = await loop.run_in_executor(None, sample, host, port, pid)
            s["load"] = load_avg()
            samples.append(s)
            next_sample += interval
            print(f"soak: {time.time() - t0:5.0f} s heap(after GC) {s['heapAfterGcBytes'] / 2**20:6.1f} MiB "
                  f"rss {s['rssBytes'] / 2**20:6.0f} MiB fds {s['fds']} conns "
                  f"{s['gauges'].get('websocket_active_connections', -1):.0f} delivered {stats['delivered']} "
                  f"violations {stats['violations']} errors {stats['errors']} load {s['load']}", flush=True)
        await asyncio.sleep(1)
    await asyncio.sleep(3)
    checks = {"heapAfterGc": flat(samples, lambda s: s["heapAfterGcBytes"], 0.10, 8 * 2**20),
              "rss": flat(samples, lambda s: s["rssBytes"], 0.10, 32 * 2**20),
              "fds": flat(samples, lambda s: s["fds"], 0.02, 20)}
    for g in sorted(samples[0]["gauges"]) if samples else []:
        if any(x in g for x in NOISY):
            continue
        # Byte gauges move by the pooled allocator's 128 KiB chunks: a floor of 1 MiB.
        slack = 2**20 if ("bytes" in g or "memory" in g) else max(5, 0.01 * n)
        checks[g] = flat(samples, lambda s: s["gauges"].get(g, 0.0), 0.10, slack)
    failed = [k for k, v in checks.items() if v and not v["ok"]]
    if len(samples) < 3:
        failed.append("fewer than 3 samples after warm-up")
    if stats["violations"] or stats["recoveredFalse"] or stats["unexpectedCloses"]:
        failed.append("delivery")
    result = {"kind": "soak", "connections": n, "rooms": rooms, "durationS": duration, "intervalS": interval,
              "warmupS": warmup, "machine": machine(), "stats": stats, "checks": checks, "failed": failed,
              "samples": samples, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    json.dump(result, open(out, "w"), indent=1)
    return result


async def churn(host, port, pid, out, cycles, concurrency):
    def idle():
        s = sample(host, port, pid)
        s["stats"] = json.loads(http_get(host, port, "/stats"))
        return s

    loop = asyncio.get_event_loop()
    counts = {k: 0 for k in ("graceful", "abrupt", "midJoin", "beforeWelcome", "failed")}
    examples = []
    rooms = 50
    sem = asyncio.Semaphore(concurrency)

    async def cycle(i):
        kind = ("graceful", "graceful", "graceful", "abrupt", "abrupt", "midJoin", "midJoin", "beforeWelcome")[i % 8]
        async with sem:
            ws = Ws(host, port)
            try:
                await ws.open()
                if kind == "beforeWelcome":
                    ws.abort()
                else:
                    await ws.expect("welcome")
                    ws.send({"type": "join_room", "room": f"churn-{i % rooms}"})
                    if kind == "midJoin":
                        ws.abort()
                    else:
                        await ws.expect("room_joined")
                        if kind == "abrupt":
                            ws.abort()
                        else:
                            await ws.close()
                counts[kind] += 1
            except Exception as e:
                counts["failed"] += 1
                ws.abort()
                if len(examples) < 10:
                    examples.append(f"{kind}: {e!r}")

    async def run(start, end):
        t = time.time()
        batch = 2000
        for b in range(start, end, batch):
            await asyncio.gather(*(cycle(i) for i in range(b, min(end, b + batch))))
            if (b // batch) % 10 == 0:
                print(f"churn: {min(end, b + batch)} / {cycles} cycles, {(min(end, b + batch) - start) / (time.time() - t):.0f}/s, "
                      f"failed {counts['failed']}, load {load_avg()}", flush=True)

    warm = min(5000, cycles // 10)
    await run(0, warm)
    await asyncio.sleep(5)
    before = await loop.run_in_executor(None, idle)
    t0 = time.time()
    await run(warm, cycles)
    took = time.time() - t0
    # Abruptly closed connections are gone as soon as the reset arrives; allow a few seconds.
    await asyncio.sleep(5)
    after = await loop.run_in_executor(None, idle)
    probe = await Ws(host, port).open()
    await probe.expect("welcome")
    presence = 0
    for r in range(rooms):
        probe.send({"type": "presence", "room": f"churn-{r}"})
        p, _ = await probe.expect("presence")
        presence += p["count"]
    await probe.close()
    ga, gb = after["gauges"], before["gauges"]
    checks = {
        "websocket_active_connections == 0": ga.get("websocket_active_connections") == 0,
        "websocket_rooms_total == 0": ga.get("websocket_rooms_total") == 0,
        "/stats connectionsActive == 0": after["stats"].get("connectionsActive") == 0,
        "/stats rooms == 0": after["stats"].get("rooms") == 0,
        "presence entries == 0 (50 rooms)": presence == 0,
        "queued_outbound == 0": ga.get('websocket_memory_usage_bytes{component="queued_outbound"}') == 0,
        "fanout pending == 0": ga.get("websocket_fanout_pending_tasks") == 0,
        "netty direct back to idle (+1 MiB)": ga.get('websocket_memory_usage_bytes{component="netty_direct"}', 0)
            <= gb.get('websocket_memory_usage_bytes{component="netty_direct"}', 0) + 2**20,
        "heap after GC back to idle (+8 MiB)": after["heapAfterGcBytes"] <= before["heapAfterGcBytes"] + 8 * 2**20,
        "fds back to idle (+10)": after["fds"] <= before["fds"] + 10,
        "no cycle failed": counts["failed"] == 0,
    }
    failed = [k for k, v in checks.items() if not v]
    result = {"kind": "churn", "cycles": cycles, "concurrency": concurrency, "cyclesPerSecond": (cycles - warm) / took,
              "counts": counts, "examples": examples, "checks": checks, "failed": failed, "idle": before,
              "after": after, "presence": presence, "machine": machine(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    json.dump(result, open(out, "w"), indent=1)
    return result


def main():
    mode, host, port, pid, out = sys.argv[1], loopback(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    args = [int(x) for x in sys.argv[6:]]
    r = asyncio.get_event_loop().run_until_complete((soak if mode == "soak" else churn)(host, port, pid, out, *args))
    for k, v in r["checks"].items():
        print(f"  {'ok  ' if (v if isinstance(v, bool) else (v is None or v['ok'])) else 'FAIL'} {k}"
              + ("" if isinstance(v, bool) or v is None else f": {v['first']:.6g} -> {v['last']:.6g}"))
    print(json.dumps(r.get("stats", r.get("counts"))))
    print(("FAILED: " + ", ".join(r["failed"])) if r["failed"] else "all checks passed", flush=True)
    sys.stdout.flush()
    os._exit(1 if r["failed"] else 0)  # without tearing down thousands of reader tasks


if __name__ == "__main__":
    main()
