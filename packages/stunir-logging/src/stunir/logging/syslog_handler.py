"""RFC 5424 syslog over UDP, TCP (RFC 6587 octet counting) or a Unix socket."""

from __future__ import annotations

import logging
import os
import socket
import sys
from typing import Literal

from stunir.logging.errors import ConfigurationError
from stunir.logging.levels import parse_level
from stunir.logging.records import record_fields
from stunir.logging.rfc5424 import (
    build_message,
    check_sd_id,
    facility_code,
    header_field,
    severity,
    structured_data,
)
from stunir.logging.timestamps import rfc3339_utc

__all__ = ["SyslogHandler"]

Transport = Literal["udp", "tcp", "unix"]
_MAX_UDP_PAYLOAD = 65_507


class SyslogHandler(logging.Handler):
    """Sends each record as one RFC 5424 message (stdlib's SysLogHandler speaks RFC 3164).

    ``transport``: ``"udp"`` (one datagram per message), ``"tcp"`` (octet-counted frames,
    ``LEN SP MSG``, so messages may hold newlines), or ``"unix"`` (a datagram socket such as
    ``/dev/log``; a stream socket there gets octet-counted frames). Fields go into one
    STRUCTURED-DATA element ``[sd_id key="value" ...]`` (``structured_data=False`` to omit);
    MSG is the formatted record, UTF-8 with a BOM. TCP connects lazily and reconnects once per
    failed send; failures go to ``handleError``, never to the caller. After ``fork()`` the child
    opens its own socket.
    """

    def __init__(
        self,
        address: tuple[str, int] | list[object] | str = ("localhost", 514),
        *,
        transport: Transport = "udp",
        facility: str | int = "user",
        app_name: str | None = None,
        hostname: str | None = None,
        msgid: str | None = None,
        structured_data: bool = True,
        sd_id: str = "stunir@32473",
        timeout_seconds: float = 5.0,
        level: int | str = logging.NOTSET,
    ) -> None:
        handler_level = parse_level(level)  # all checked before Handler.__init__ registers us
        if transport not in ("udp", "tcp", "unix"):
            raise ConfigurationError("transport", transport, "'udp', 'tcp' or 'unix'")
        self.transport = transport
        self.address = _check_address(address, transport)
        self._priority_base = facility_code(facility) * 8
        self.sd_id = check_sd_id(sd_id)
        self.structured_data = structured_data
        default_app = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
        self.app_name = header_field(app_name or default_app, 48)
        self.hostname = header_field(hostname or socket.gethostname(), 255)
        self.msgid = header_field(msgid, 32)
        self.timeout_seconds = timeout_seconds
        self._socket: socket.socket | None = None
        self._pid = os.getpid()
        super().__init__(handler_level)
        self._stream_framing = transport == "tcp"

    def format_message(self, record: logging.LogRecord) -> bytes:
        """The RFC 5424 message for ``record``, unframed."""
        fields = record_fields(record) if self.structured_data else {}
        return build_message(
            priority=self._priority_base + severity(record.levelno),
            timestamp=rfc3339_utc(record.created, digits=6),
            hostname=self.hostname,
            app_name=self.app_name,
            procid=str(record.process or "-"),
            msgid=self.msgid,
            structured=structured_data(self.sd_id, fields),
            message=self.format(record),
        )

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(self.format_message(record))
        except Exception:  # stdlib contract: report through handleError, never raise
            self.handleError(record)

    def _send(self, message: bytes) -> None:
        if self.transport == "udp":
            self._connect().sendto(message[:_MAX_UDP_PAYLOAD], self.address)
            return
        try:
            self._send_once(message)
        except OSError:
            self._close_socket()
            self._send_once(message)  # one reconnect; a second failure goes to handleError

    def _send_once(self, message: bytes) -> None:
        sock = self._connect()
        if self._stream_framing:
            sock.sendall(b"%d " % len(message) + message)
        else:
            sock.send(message)

    def _connect(self) -> socket.socket:
        if self._socket is not None and self._pid != os.getpid():
            self._close_socket()  # forked: the child opens its own, never shares the parent's
        if self._socket is not None:
            return self._socket
        self._pid = os.getpid()
        if self.transport == "udp":
            host, port = self._pair()
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
            sock = socket.socket(info[0], socket.SOCK_DGRAM)
        elif self.transport == "tcp":
            sock = socket.create_connection(self._pair(), timeout=self.timeout_seconds)
        else:
            sock = self._connect_unix()
        self._socket = sock
        return sock

    def _pair(self) -> tuple[str, int]:
        address = self.address
        assert isinstance(address, tuple)  # checked in __init__ for udp and tcp
        return address

    def _connect_unix(self) -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.settimeout(self.timeout_seconds)
        try:
            sock.connect(self.address)
            self._stream_framing = False
        except OSError:
            sock.close()
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout_seconds)
            try:
                sock.connect(self.address)
            except OSError:
                sock.close()
                raise
            self._stream_framing = True
        return sock

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created by Handler.__init__
            self._close_socket()
        super().close()


def _check_address(address: object, transport: str) -> tuple[str, int] | str:
    if transport == "unix":
        if isinstance(address, str | os.PathLike) and str(address):
            return os.fspath(address)
        raise ConfigurationError("address", address, "a Unix socket path for transport='unix'")
    if isinstance(address, tuple | list) and len(address) == 2:
        host, port = address
        valid_port = isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
        if isinstance(host, str) and host and valid_port:
            return (host, port)
    raise ConfigurationError("address", address, "a (host, port) pair with port in 1..65535")
