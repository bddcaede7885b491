"""SyslogHandler: RFC 5424 over UDP, TCP (octet counting) and Unix sockets, parsed strictly."""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stunir.logging import ConfigurationError, SyslogHandler, log_context

# ---------------------------------------------------------------------------------------------
# A strict RFC 5424 parser: anything the grammar does not allow raises ValueError.
_HEADER = re.compile(
    rb"<(?P<pri>\d{1,3})>(?P<version>[1-9]\d{0,2}) "
    rb"(?P<timestamp>-|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})) "
    rb"(?P<hostname>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) "
    rb"(?P<msgid>[!-~]{1,32}) "
)
_SD_NAME = re.compile(rb"[!-~]{1,32}")
BOM = b"\xef\xbb\xbf"


@dataclass
class SyslogMessage:
    priority: int
    version: int
    timestamp: str
    hostname: str
    app_name: str
    procid: str
    msgid: str
    structured_data: dict[str, dict[str, str]]
    message: str | None


def _sd_name(data: bytes, pos: int) -> tuple[str, int]:
    end = pos
    while end < len(data) and data[end : end + 1] not in (b"=", b" ", b"]", b'"'):
        if not 33 <= data[end] <= 126:
            raise ValueError(f"bad SD-NAME byte at {end}")
        end += 1
    if not 1 <= end - pos <= 32:
        raise ValueError(f"SD-NAME length {end - pos} at {pos}")
    return data[pos:end].decode("ascii"), end


def _param_value(data: bytes, pos: int) -> tuple[str, int]:
    out = bytearray()
    while True:
        if pos >= len(data):
            raise ValueError("unterminated PARAM-VALUE")
        byte = data[pos : pos + 1]
        if byte == b"\\" and data[pos + 1 : pos + 2] in (b'"', b"\\", b"]"):
            out += data[pos + 1 : pos + 2]
            pos += 2
        elif byte == b'"':
            return out.decode("utf-8"), pos + 1
        elif byte == b"]":
            raise ValueError("unescaped ] in PARAM-VALUE")
        else:
            out += byte
            pos += 1


def parse_rfc5424(data: bytes) -> SyslogMessage:
    header = _HEADER.match(data)
    if header is None:
        raise ValueError(f"bad header: {data[:80]!r}")
    priority = int(header["pri"])
    if priority > 191 or (len(header["pri"]) > 1 and header["pri"].startswith(b"0")):
        raise ValueError(f"bad PRI {priority}")
    pos = header.end()
    elements: dict[str, dict[str, str]] = {}
    if data[pos : pos + 1] == b"-":
        pos += 1
    else:
        while data[pos : pos + 1] == b"[":
            sd_id, pos = _sd_name(data, pos + 1)
            params: dict[str, str] = {}
            while data[pos : pos + 1] == b" ":
                name, pos = _sd_name(data, pos + 1)
                if data[pos : pos + 2] != b'="':
                    raise ValueError(f'expected =" at {pos}')
                params[name], pos = _param_value(data, pos + 2)
            if data[pos : pos + 1] != b"]":
                raise ValueError(f"expected ] at {pos}")
            elements[sd_id] = params
            pos += 1
        if not elements:
            raise ValueError("STRUCTURED-DATA missing")
    message = None
    if pos < len(data):
        if data[pos : pos + 1] != b" ":
            raise ValueError(f"expected SP before MSG at {pos}")
        body = data[pos + 1 :]
        message = body[3:].decode("utf-8") if body.startswith(BOM) else body.decode("utf-8")

    def text(group: str) -> str:
        return header[group].decode("ascii")

    return SyslogMessage(priority, int(header["version"]), text("timestamp"), text("hostname"),
                         text("app"), text("procid"), text("msgid"), elements, message)  # fmt: skip


def read_octet_counted(conn: socket.socket, count: int) -> list[bytes]:
    buffer = b""
    frames: list[bytes] = []
    while len(frames) < count:
        while b" " not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                raise ValueError("connection closed mid-frame")
            buffer += chunk
        length_text, _, rest = buffer.partition(b" ")
        if not length_text.isdigit() or length_text.startswith(b"0"):
            raise ValueError(f"bad MSG-LEN {length_text!r}")
        length = int(length_text)
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                raise ValueError("connection closed mid-frame")
            rest += chunk
        frames.append(rest[:length])
        buffer = rest[length:]
    return frames


# ---------------------------------------------------------------------------------------------
def _record(msg: str, level: int = logging.INFO, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord("app.db", level, __file__, 1, msg, None, None)
    record.__dict__.update(fields)
    record.created = 1796302957.123456
    return record


@pytest.fixture
def udp_receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


@pytest.fixture
def tcp_server() -> Iterator[socket.socket]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    server.settimeout(5)
    yield server
    server.close()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(dir="/tmp") as name:  # Unix socket paths must be short
        yield Path(name)


def test_udp_message_parses_as_rfc5424(udp_receiver: socket.socket) -> None:
    handler = SyslogHandler(udp_receiver.getsockname(), facility="local3", app_name="billing",
                            hostname="web-1.example", msgid="PAY")  # fmt: skip
    with log_context(request_id="r1"):
        handler.handle(_record("paid %s", logging.WARNING, order_id=7))
    handler.close()
    data, _ = udp_receiver.recvfrom(65536)
    message = parse_rfc5424(data)
    assert message.priority == 19 * 8 + 4  # local3, warning
    assert message.version == 1
    assert message.timestamp == "2026-12-03T13:02:37.123456Z"
    assert (message.hostname, message.app_name, message.msgid) == (
        "web-1.example",
        "billing",
        "PAY",
    )
    assert message.procid == str(os.getpid())
    assert message.structured_data == {"stunir@32473": {"request_id": "r1", "order_id": "7"}}
    assert message.message == "paid %s"  # the default formatter is the bare message
    assert BOM in data


@pytest.mark.parametrize(
    ("level", "severity"),
    [(logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6),
     (logging.DEBUG, 7), (25, 6), (5, 7)],
)  # fmt: skip
def test_levels_map_to_syslog_severities(
    udp_receiver: socket.socket, level: int, severity: int
) -> None:
    handler = SyslogHandler(udp_receiver.getsockname(), facility="user")
    handler.handle(_record("x", level))
    handler.close()
    assert parse_rfc5424(udp_receiver.recv(65536)).priority == 8 + severity


def test_structured_data_is_escaped_and_names_sanitised(udp_receiver: socket.socket) -> None:
    handler = SyslogHandler(udp_receiver.getsockname())
    handler.handle(_record("m", quote='say "hi"] \\ ok', **{'bad key=]"': 1, "é": "ü"}))
    handler.close()
    message = parse_rfc5424(udp_receiver.recv(65536))
    params = message.structured_data["stunir@32473"]
    assert params["quote"] == 'say "hi"] \\ ok'
    assert params["bad_key___"] == "1"
    assert params["_"] == "ü"


def test_no_fields_means_nil_structured_data_and_header_fields_are_sanitised(
    udp_receiver: socket.socket,
) -> None:
    handler = SyslogHandler(udp_receiver.getsockname(), structured_data=False,
                            app_name="my app", hostname="h\u00e9st")  # fmt: skip
    handler.handle(_record("multi\nline", field=1))
    handler.close()
    data = udp_receiver.recv(65536)
    message = parse_rfc5424(data)
    assert message.structured_data == {}
    assert (message.app_name, message.hostname, message.msgid) == ("my_app", "h_st", "-")
    assert message.message == "multi\nline"


def test_tcp_uses_octet_counting_so_newlines_are_safe(tcp_server: socket.socket) -> None:
    server = tcp_server
    handler = SyslogHandler(server.getsockname(), transport="tcp")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    try:
        for text in ("one", "two\nlines", "three " + "x" * 5000):
            handler.handle(_record(text))
        conn, _ = server.accept()
        conn.settimeout(5)
        frames = read_octet_counted(conn, 3)
        conn.close()
    finally:
        handler.close()
    messages = [parse_rfc5424(frame).message for frame in frames]
    assert messages == ["INFO one", "INFO two\nlines", "INFO three " + "x" * 5000]


def test_tcp_reconnects_after_the_server_drops_the_connection(tcp_server: socket.socket) -> None:
    server = tcp_server
    handler = SyslogHandler(server.getsockname(), transport="tcp")
    try:
        handler.handle(_record("before"))
        first, _ = server.accept()
        first.settimeout(5)
        assert parse_rfc5424(read_octet_counted(first, 1)[0]).message == "before"
        first.close()
        # The first send after the peer closed may still "succeed" into the dead socket;
        # keep logging until a frame arrives on a new connection.
        server.settimeout(0.05)
        second = None
        for attempt in range(50):
            handler.handle(_record(f"after {attempt}"))
            try:
                second, _ = server.accept()
                break
            except TimeoutError:
                continue
        assert second is not None
        second.settimeout(5)
        assert parse_rfc5424(read_octet_counted(second, 1)[0]).message.startswith("after")
        second.close()
    finally:
        handler.close()


def test_unix_datagram_socket(short_tmp: Path) -> None:
    path = str(short_tmp / "log.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    receiver.settimeout(5)
    handler = SyslogHandler(path, transport="unix", facility="daemon")
    handler.handle(_record("via unix", logging.ERROR))
    handler.close()
    message = parse_rfc5424(receiver.recv(65536))
    receiver.close()
    assert message.priority == 3 * 8 + 3
    assert message.message == "via unix"


def test_unix_stream_socket_gets_octet_counted_frames(short_tmp: Path) -> None:
    path = str(short_tmp / "stream.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    server.settimeout(5)
    handler = SyslogHandler(path, transport="unix")
    try:
        handler.handle(_record("a"))
        handler.handle(_record("b"))
        conn, _ = server.accept()
        conn.settimeout(5)
        frames = read_octet_counted(conn, 2)
        conn.close()
    finally:
        handler.close()
        server.close()
    assert [parse_rfc5424(frame).message for frame in frames] == ["a", "b"]


def test_send_failures_go_to_handle_error_never_the_caller(short_tmp: Path) -> None:
    errors: list[logging.LogRecord] = []

    class Recording(SyslogHandler):
        def handleError(self, record: logging.LogRecord) -> None:  # stdlib name
            errors.append(record)

    handler = Recording(str(short_tmp / "nobody-listens.sock"), transport="unix")
    handler.handle(_record("lost"))
    handler.close()
    assert len(errors) == 1


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"transport": "http"}, "transport"),
        ({"address": ("localhost", 0)}, "address"),
        ({"address": ("localhost", 70000)}, "address"),
        ({"address": "/dev/log"}, "address"),
        ({"address": ("localhost", 514), "transport": "unix"}, "address"),
        ({"facility": "printer"}, "facility"),
        ({"facility": 24}, "facility"),
        ({"sd_id": "no-at-sign"}, "sd_id"),
        ({"sd_id": "bad name@1"}, "sd_id"),
        ({"level": "LOUD"}, "level"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], setting: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        SyslogHandler(**kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting


def test_the_strict_parser_rejects_malformed_frames() -> None:
    good = b"<14>1 2026-12-03T13:02:37Z host app 1 - - msg"
    assert parse_rfc5424(good).message == "msg"
    for bad in (
        b"<14> 2026-12-03T13:02:37Z host app 1 - - msg",  # no version
        b"<192>1 - host app 1 - - msg",  # PRI out of range
        b"<14>1 - host app 1 - [id a=b] msg",  # unquoted value
        b'<14>1 - host app 1 - [id a="]"] msg',  # unescaped ]
        b"<14>1 - host app 1 --",  # no SP before MSG
    ):
        with pytest.raises(ValueError, match=r"\w"):
            parse_rfc5424(bad)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_forked_child_opens_its_own_connection(tcp_server: socket.socket) -> None:
    handler = SyslogHandler(tcp_server.getsockname(), transport="tcp")
    try:
        handler.handle(_record("parent"))
        parent_conn, _ = tcp_server.accept()
        parent_conn.settimeout(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork beside threads: intended
            pid = os.fork()
        if pid == 0:
            code = 1
            try:
                handler.handle(_record("child"))
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        child_conn, _ = tcp_server.accept()  # the child connected on its own
        child_conn.settimeout(5)
        assert parse_rfc5424(read_octet_counted(child_conn, 1)[0]).message == "child"
        assert parse_rfc5424(read_octet_counted(parent_conn, 1)[0]).message == "parent"
        child_conn.close()
        parent_conn.close()
    finally:
        handler.close()
