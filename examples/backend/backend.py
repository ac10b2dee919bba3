#!/usr/bin/env python3
"""An example backend for Switchboard, standard library only (Python 3.8+).

It shows the three sides of an integration:
  * cookie sessions through the connect proxy: GET /login?user=alice sets a session cookie; the browser
    sends it with the WebSocket upgrade, Switchboard forwards it to POST /switchboard/connect, and this
    backend answers who the user is and which rooms it may use;
  * lifecycle webhooks: POST /switchboard/events, signature checked, each event handled once;
  * publishing from the backend: GET /announce?room=...&text=... calls Switchboard's POST /api/publish;
  * and an RPC: a client's {"type":"rpc","method":"time"} is answered by POST /switchboard/rpc.

Run: python3 backend.py --port 9000 --secret <hooks.secret> --switchboard http://127.0.0.1:8080 --api-key <key>
"""
import argparse
import hashlib
import hmac
import http.cookies
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None  # the command line, parsed in main()
SESSIONS = {}  # session id -> user id; a real app has its own session store
SEEN = set()  # webhook event ids handled: delivery is at least once, so a retry repeats ids
LOCK = threading.Lock()
USER = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@-")


class Backend(BaseHTTPRequestHandler):
    server_version = "example-backend/1"

    # ------------------------------------------------------------------ the web app

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/login":
            user = query.get("user", "")
            if not user or len(user) > 64 or not set(user) <= USER:
                return self.reply(400, {"error": "user must match [A-Za-z0-9_.:@-]{1,64}"})
            session = secrets.token_urlsafe(24)
            with LOCK:
                SESSIONS[session] = user
            return self.reply(200, {"user": user}, {"Set-Cookie": "session=%s; Path=/; HttpOnly; SameSite=Lax" % session})
        if url.path == "/announce":
            answer = publish(query.get("room", "chat:general"), query.get("text", "hello from the backend"))
            return self.reply(200, answer)
        return self.reply(404, {"error": "not found"})

    # ------------------------------------------------------------------ what Switchboard calls

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/switchboard/events":
            return self.events(body)
        request = json.loads(body or b"{}")
        if self.path == "/switchboard/connect":
            return self.connect(request)
        if self.path == "/switchboard/rpc":
            return self.rpc(request)
        return self.reply(404, {"error": "not found"})

    def connect(self, request):
        """Who is this? The session cookie of our own login says; no JWT involved."""
        cookies = http.cookies.SimpleCookie()
        cookies.load(request.get("headers", {}).get("Cookie", ""))
        with LOCK:
            user = SESSIONS.get(cookies["session"].value) if "session" in cookies else None
        if user is None:
            return self.reply(403, {"error": {"code": "forbidden", "message": "log in first"}})
        return self.reply(200, {"userId": user, "rooms": ["chat:*"], "publish": ["chat:*"], "info": {"name": user.title()}})

    def events(self, body):
        """Lifecycle events: check the signature over the raw body, then handle each event once."""
        expected = "sha256=" + hmac.new(ARGS.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, self.headers.get("X-Switchboard-Signature", "")):
            return self.reply(401, {"error": "bad signature"})
        for event in json.loads(body)["events"]:
            with LOCK:
                if event["id"] in SEEN:
                    continue
                SEEN.add(event["id"])
            print("event", json.dumps(event, sort_keys=True), flush=True)
        return self.reply(200, {})

    def rpc(self, request):
        if request.get("method") == "time":
            return self.reply(200, {"data": {"now": int(time.time() * 1000), "for": request.get("userId")}})
        return self.reply(200, {"error": {"code": "invalid_field", "message": "no such method: %s" % request.get("method")}})

    # ------------------------------------------------------------------ plumbing

    def reply(self, status, payload, headers=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # one line per request on stderr, not stdout
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def publish(room, text):
    """The backend speaks in a room: Switchboard's server API, with an API key."""
    request = urllib.request.Request(
        ARGS.switchboard + "/api/publish",
        data=json.dumps({"room": room, "content": text}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + ARGS.api_key},
        method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", required=True, help="hooks.secret of the Switchboard configuration")
    parser.add_argument("--switchboard", default="http://127.0.0.1:8080", help="Switchboard's base URL")
    parser.add_argument("--api-key", required=True, help="one of Switchboard's api.keys")
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Backend)
    print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
