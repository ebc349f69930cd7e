"""Real local servers the deadlines tests talk to: an SMTP server (aiosmtpd) and an HTTP endpoint
that answers like Aliyun's SendSms API."""

import asyncio
import json
import socket
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Collects delivered mails. With `stall_first` seconds, the first DATA is held before the
    server answers; if the client has gone meanwhile (killed), the mail is *not* delivered — as a
    real MTA, which accepts a message only when it answers 250 to the end of DATA."""

    def __init__(self, stall_first: float = 0.0):
        self.messages: list = []
        self.stall_first = stall_first
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self.stall_first and not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(self.stall_first)
            if server.transport is None or server.transport.is_closing():
                return "451 client went away"
        mail = message_from_bytes(envelope.content)
        with self._lock:
            self.messages.append({"to": envelope.rcpt_tos, "subject": str(make_header(decode_header(mail["Subject"]))),
                                  "message_id": mail["Message-ID"], "key": mail["X-Outbox-Key"], "mail": mail})
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class AliyunSmsEndpoint:
    """Answers SendSms like Aliyun (JSON with Code and BizId); `fail_codes` answers errors first."""

    def __init__(self, fail_codes=()):
        self.requests: list[dict] = []
        self.fail_codes = list(fail_codes)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                params |= {k: v[0] for k, v in parse_qs(body).items()}
                outer.requests.append(params)
                if outer.fail_codes:
                    code = outer.fail_codes.pop(0)
                    answer = {"Code": code, "Message": "模拟失败", "RequestId": "r-fail"}
                else:
                    answer = {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(outer.requests)}^0", "RequestId": "r-ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict:
        return {"DEADLINES_SMS_BACKEND": "deadlines.sms.AliyunBackend", "ALIYUN_SMS_ACCESS_KEY_ID": "test-id",
                "ALIYUN_SMS_ACCESS_KEY_SECRET": "test-secret", "ALIYUN_SMS_ENDPOINT": f"127.0.0.1:{self.port}",
                "ALIYUN_SMS_PROTOCOL": "http", "ALIYUN_SMS_SIGN_NAME": "联席会议", "ALIYUN_SMS_TEMPLATE_CODE": "SMS_1"}
