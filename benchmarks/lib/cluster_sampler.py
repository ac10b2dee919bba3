"""Samples, four times a second until killed, what a cluster benchmark divides by its measured window.

usage: python3 cluster_sampler.py OUT.jsonl [--redis PORT] [--nats-monitor PORT] NAME=PID...

Each line of OUT.jsonl: {"ms": wall clock, "ticks": {NAME: utime+stime of PID in clock ticks},
"redis": {command: [calls, usec]} (INFO commandstats), "nats": {in_msgs, out_msgs, in_bytes, out_bytes}
(the monitoring endpoint's /varz)}. Redis is read over one raw connection (its INFO calls show in
commandstats as "info"); a process or broker that cannot be read leaves its entry out of that line.
"""
import json
import re
import socket
import sys
import time
import urllib.request


def ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


class Redis:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def commandstats(self):
        self.sock.sendall(b"INFO commandstats\r\n")
        n = int(self._line()[1:])
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        text, self.buf = self.buf[:n].decode(), self.buf[n + 2:]
        out = {}
        for m in re.finditer(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", text):
            out[m.group(1)] = [int(m.group(2)), int(m.group(3))]
        return out


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    redis_port = nats_mon = None
    procs = {}
    while args:
        a = args.pop(0)
        if a == "--redis":
            redis_port = int(args.pop(0))
        elif a == "--nats-monitor":
            nats_mon = int(args.pop(0))
        else:
            name, pid = a.split("=")
            procs[name] = int(pid)
    redis = Redis(redis_port) if redis_port else None
    with open(out, "a") as f:
        while True:
            line = {"ms": int(time.time() * 1000), "ticks": {}}
            for name, pid in procs.items():
                try:
                    line["ticks"][name] = ticks(pid)
                except OSError:
                    pass
            if redis:
                try:
                    line["redis"] = redis.commandstats()
                except OSError:
                    pass
            if nats_mon:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{nats_mon}/varz", timeout=2) as r:
                        v = json.load(r)
                    line["nats"] = {k: v[k] for k in ("in_msgs", "out_msgs", "in_bytes", "out_bytes")}
                except (OSError, ValueError, KeyError):
                    pass
            f.write(json.dumps(line) + "\n")
            f.flush()
            time.sleep(0.25)


if __name__ == "__main__":
    main()
