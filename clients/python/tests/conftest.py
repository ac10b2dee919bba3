"""Fixtures: the real server (the shaded jar, as the other client tests run it) on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
REPO = PACKAGE.parent.parent
JAR = Path(os.environ.get("SWITCHBOARD_JAR", REPO / "cli" / "target" / "switchboard.jar"))
API_KEY = "python-client-test-key-0123456789"

sys.path.insert(0, str(PACKAGE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``java -jar switchboard.jar serve`` on 127.0.0.1:``port``; ``start()`` returns once ``/ready`` is 200."""

    def __init__(self, port: int, *args: str):
        self.port = port
        self.args = list(args)
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="switchboard-python-", suffix=".log", delete=False)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        if not JAR.is_file():
            message = f"{JAR} is missing: build it with ./mvnw -q -pl cli -am package -DskipTests"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        # Only our own SWITCHBOARD_* variables: the server reads every one of them as configuration.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        env["SWITCHBOARD_API_KEYS"] = API_KEY
        java = os.environ.get("JAVA", shutil.which("java") or "java")
        self.proc = subprocess.Popen(
            [java, "-Xmx256m", "-jar", str(JAR), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             *self.args],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} before it was ready; log: {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.http_url}/ready", timeout=1) as res:
                    if res.status == 200:
                        return self
            except OSError:
                pass  # not listening yet
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready within {timeout} s; log: {self.log.name}")

    def stop(self, grace: float = 15.0) -> None:
        """Graceful stop (SIGTERM: server_shutdown, close 1012), SIGKILL after ``grace``."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="session")
def server():
    srv = ServerProcess(free_port()).start()
    yield srv
    srv.stop()


@pytest.fixture
def own_server():
    """A server of the test's own, for tests that stop or restart it (a short drain window)."""
    srv = ServerProcess(free_port(), "--set", "shutdown.drainTimeout=1s")
    yield srv
    srv.stop()


@pytest.fixture
def api(server):
    from switchboard import SwitchboardAPI
    return SwitchboardAPI(server.http_url, API_KEY)
