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
            self.messages.append(
                {
                    "to": envelope.rcpt_tos,
                    "subject": str(make_header(decode_header(mail["Subject"]))),
                    "message_id": mail["Message-ID"],
                    "key": mail["X-Outbox-Key"],
                    "mail": mail,
                }
            )
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
                    answer = {
                        "Code": "OK",
                        "Message": "OK",
                        "BizId": f"biz-{len(outer.requests)}^0",
                        "RequestId": "r-ok",
                    }
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
        return {
            "DEADLINES_SMS_BACKEND": "deadlines.sms.AliyunBackend",
            "ALIYUN_SMS_ACCESS_KEY_ID": "test-id",
            "ALIYUN_SMS_ACCESS_KEY_SECRET": "test-secret",
            "ALIYUN_SMS_ENDPOINT": f"127.0.0.1:{self.port}",
            "ALIYUN_SMS_PROTOCOL": "http",
            "ALIYUN_SMS_SIGN_NAME": "联席会议",
            "ALIYUN_SMS_TEMPLATE_CODE": "SMS_1",
        }


class RobotEndpoint:
    """Answers like WeCom's group-robot webhook (/cgi-bin/webhook/send?key=) and DingTalk's custom robot
    (/robot/send?access_token=&timestamp=&sign=) at once. It checks DingTalk's 加签 signature with the
    secrets it is given, counts 20 posts a minute per robot (WeCom 45009 past that; DingTalk 130101),
    and plays `script` first: a list of "ok", "throttle", "badsign", "500" answers, in order."""

    def __init__(self, *, dingtalk_secrets: dict | None = None, script=(), per_minute: int = 20):
        import time as _time

        self.accepted: list[dict] = []  # what a group would show: {"robot", "text", "at"}
        self.requests: list[dict] = []
        self.script = list(script)
        self.secrets = dict(dingtalk_secrets or {})
        self.per_minute = per_minute
        self.down = False
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like the real services

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                with outer._lock:
                    status, answer = outer._answer(url.path, q, payload, _time.time())
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def _answer(self, path, q, payload, now):
        import base64
        import hashlib
        import hmac

        wecom = path == "/cgi-bin/webhook/send"
        robot = f"wecom:{q.get('key')}" if wecom else f"dingtalk:{q.get('access_token')}"
        self.requests.append({"robot": robot, "payload": payload, "query": q})
        if self.down:
            return 503, {"errcode": -1, "errmsg": "system busy"}
        if self.script:
            step = self.script.pop(0)
            if step == "500":
                return 500, {"errcode": -1, "errmsg": "internal error"}
            if step == "throttle":
                return 200, (
                    {"errcode": 45009, "errmsg": "api freq out of limit"}
                    if wecom
                    else {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
                )
            if step == "badsign":
                return 200, (
                    {"errcode": 93000, "errmsg": "invalid webhook url"}
                    if wecom
                    else {"errcode": 310000, "errmsg": "sign not match"}
                )
        if not wecom:
            secret = self.secrets.get(q.get("access_token"))
            ts = q.get("timestamp", "")
            expected = base64.b64encode(
                hmac.new((secret or "").encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if secret is None or q.get("sign") != expected or not ts.isdigit() or abs(now * 1000 - int(ts)) > 3600_000:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        recent = [a for a in self.accepted if a["robot"] == robot and now - a["at"] < 60]
        if len(recent) >= self.per_minute:
            return 200, (
                {"errcode": 45009, "errmsg": "api freq out of limit"}
                if wecom
                else {"errcode": 130101, "errmsg": "send too fast"}
            )
        text = payload.get("text", {})
        self.accepted.append(
            {
                "robot": robot,
                "text": text.get("content", ""),
                "at": now,
                "mention": text.get("mentioned_list") or payload.get("at", {}).get("atUserIds", []),
            }
        )
        return 200, {"errcode": 0, "errmsg": "ok"}

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict:
        return {"DEADLINES_WECOM_BASE_URL": self.base_url, "DEADLINES_DINGTALK_BASE_URL": self.base_url}
