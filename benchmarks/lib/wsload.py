"""Load driver for the reliability scripts (benchmarks/soak, churn, cluster-pause): raw RFC 6455 over asyncio.

Speaks just enough WebSocket (upgrade, masked text frames, pong, close) to hold thousands of connections
in one process, to close them abruptly (SO_LINGER 0: a TCP reset, no close frame) and mid-join, and to
check every room_message's offset. Loopback only: every URL is checked to be in 127.0.0.0/8.
Standard library only (Python 3.8+). Run by the scripts, not by hand: see their usage lines.
"""
import asyncio
import base64
import ipaddress
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.request


def loopback(host):
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"refusing {host}: the reliability scripts target 127.0.0.0/8 only")
    return host


class Closed(Exception):
    pass


class Ws:
    """One raw WebSocket connection. Confined to the asyncio loop."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.closed = False

    async def open(self, timeout=10, limit=2 ** 16):
        # limit: how much asyncio reads ahead of the application (it stops reading the socket at twice that).
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=limit), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write((f"GET /ws HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        if not head.startswith(b"HTTP/1.1 101"):
            raise Closed("upgrade refused: " + head.split(b"\r\n", 1)[0].decode(errors="replace"))
        return self

    def send(self, obj):
        payload = json.dumps(obj, separators=(",", ":")).encode()
        self._frame(0x1, payload)

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.writer.write(head + mask + masked)

    async def recv(self):
        """Next text message as a dict; answers pings; raises Closed on a close frame or EOF."""
        msg = b""
        while True:
            try:
                b0, b1 = await self.reader.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack(">H", await self.reader.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", await self.reader.readexactly(8))[0]
                payload = await self.reader.readexactly(n)
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as e:
                self.closed = True
                raise Closed(f"eof: {e.__class__.__name__}")
            op = b0 & 0x0F
            if op == 0x9:
                self._frame(0xA, payload)
                continue
            if op == 0x8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                if not self.closed and not getattr(self, "closing", False):
                    self.closed = True
                    try:
                        self._frame(0x8, payload[:2])
                    except Exception:
                        pass
                self.closed = True
                raise Closed(f"close {code}")
            if op == 0xA:
                continue
            msg += payload
            if b0 & 0x80:
                return json.loads(msg)

    async def expect(self, kind, timeout=10):
        """Reads until a message of this type; returns it and the room_messages seen on the way."""
        seen = []
        end = time.monotonic() + timeout
        while True:
            m = await asyncio.wait_for(self.recv(), max(0.01, end - time.monotonic()))
            if m.get("type") == kind:
                return m, seen
            if m.get("type") == "error":
                raise Closed(f"error {m.get('code')}: {m.get('error')}")
            seen.append(m)

    async def close(self, timeout=5):
        """Graceful: close frame, then wait for the server's close frame."""
        if not self.closed:
            self.closed = True
            try:
                self._frame(0x8, struct.pack(">H", 1000))
                await asyncio.wait_for(self._drain_to_close(), timeout)
            except Exception:
                pass
        self.writer.close()

    async def close_from_reader(self):
        """Graceful close of a connection whose frames another task is reading: close frame, then EOF."""
        self.closing = True
        self._frame(0x8, struct.pack(">H", 1000))
        await asyncio.sleep(0.5)
        self.closed = True
        self.writer.close()

    async def _drain_to_close(self):
        while True:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", await self.reader.readexactly(8))[0]
            await self.reader.readexactly(n)
            if b0 & 0x0F == 0x8:
                return

    def abort(self):
        """Abrupt: TCP reset (SO_LINGER 0), no close frame."""
        self.closed = True
        if self.writer is None:
            return
        sock = self.writer.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.writer.transport.abort()


# ---------------------------------------------------------------------------------------------- server side

def http_get(host, port, path, timeout=10):
    with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


def gauges(metrics_text):
    """Every gauge series of a Prometheus text page: {'name{labels}': value}."""
    types, out = {}, {}
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            name = series.split("{", 1)[0]
            if types.get(name) == "gauge":
                try:
                    out[series] = float(value)
                except ValueError:
                    pass
    return out


def metric(metrics_text, series):
    for line in metrics_text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def jcmd():
    home = os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", "jcmd") if home else "jcmd"


def heap_after_gc(pid):
    """Heap used right after a full GC, in bytes (sum of the generations' `used` lines)."""
    subprocess.run([jcmd(), str(pid), "GC.run"], capture_output=True, timeout=120)
    out = subprocess.run([jcmd(), str(pid), "GC.heap_info"], capture_output=True, text=True, timeout=60).stdout
    total = 0
    for line in out.splitlines():
        if " total " in line and "used" in line and "Metaspace" not in line and "class space" not in line:
            m = re.search(r"used (\d+)K", line)
            if m:
                total += int(m.group(1)) * 1024
    return total


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def sample(host, port, pid):
    s = {"t": time.time(), "heapAfterGcBytes": heap_after_gc(pid), "rssBytes": rss(pid), "fds": fds(pid)}
    s["gauges"] = gauges(http_get(host, port, "/metrics"))
    return s


def load_avg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    return f"{os.cpu_count()} CPUs ({cpu}), {java}, {os.uname().sysname} {os.uname().release}"
