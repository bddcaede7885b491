"""A real ``redis-server`` process on a free loopback port, started and stopped by tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlsplit

_START_TIMEOUT_SECONDS = 10.0


class RedisServerUnavailable(RuntimeError):
    """No ``redis-server`` binary to start, or it would not come up."""


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _encode_command(*args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def send_commands(host: str, port: int, *commands: tuple[str, ...]) -> list[bytes]:
    """Send commands on one connection and return their one-line replies (no redis-py needed)."""
    with socket.create_connection((host, port), timeout=1.0) as sock:
        sock.sendall(b"".join(_encode_command(*command) for command in commands))
        received = b""
        while received.count(b"\r\n") < len(commands):
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError(f"redis at {host}:{port} closed the connection")
            received += chunk
        return received.split(b"\r\n")[: len(commands)]


class RedisServer:
    """One Redis server: a process this object owns, or an external one named by URL.

    An owned server can be stopped and started again on the same port, which is how tests
    simulate an outage and a recovery.
    """

    def __init__(self, url: str | None = None, *, binary: str | None = None) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        if url is not None:
            parts = urlsplit(url)
            self.host = parts.hostname or "127.0.0.1"
            self.port = parts.port or 6379
            self.db = int(parts.path.lstrip("/") or 0)
            self.url = url
            self.owned = False
            self._binary = None
            return
        found = binary or shutil.which("redis-server")
        if found is None:
            raise RedisServerUnavailable(
                "redis-server was not found on PATH; install it (Debian: apt-get install "
                "redis-server) or point STUNIR_TEST_REDIS_URL at a running server"
            )
        self._binary = found
        self.host = "127.0.0.1"
        self.port = _free_loopback_port()
        self.db = 0
        self.url = f"redis://{self.host}:{self.port}/0"
        self.owned = True

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> RedisServer:
        """Start the owned server (again, on the same port) and wait until it answers PING."""
        if not self.owned or self.running:
            return self
        assert self._binary is not None
        self._workdir = tempfile.TemporaryDirectory(prefix="stunir-redis-")
        command = [self._binary, "--port", str(self.port), "--dir", self._workdir.name]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]  # memory only
        self._process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.ping():
                return self
            time.sleep(0.02)
        self.stop()
        raise RedisServerUnavailable(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """Stop the owned server; its data is gone, as after a crash."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def ping(self) -> bool:
        try:
            return send_commands(self.host, self.port, ("PING",)) == [b"+PONG"]
        except OSError:
            return False

    def flush(self) -> None:
        """Empty the database this server's URL names."""
        replies = send_commands(self.host, self.port, ("SELECT", str(self.db)), ("FLUSHDB",))
        if replies != [b"+OK", b"+OK"]:
            raise RuntimeError(f"redis at {self.url} refused to flush: {replies!r}")

    def __repr__(self) -> str:
        return f"RedisServer(url={self.url!r}, owned={self.owned}, running={self.running})"


def external_url() -> str | None:
    return os.environ.get("STUNIR_TEST_REDIS_URL") or None
