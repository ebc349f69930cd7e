"""SMS backends. A backend has one method, `send(*, mobile, text, out_id) -> str` returning the
provider's receipt id, and raises `SmsError` when this message was refused or `SmsUnavailable` when
the provider cannot be used at all (not configured, unreachable, credentials, balance): the outbox
then marks the SMS channel down and keeps the messages waiting. One backend object serves a whole
batch (the Aliyun client and its connections are reused). Choose one with DEADLINES_SMS_BACKEND."""

import json
import logging
from datetime import datetime
from pathlib import Path

from django.utils.module_loading import import_string

from . import conf

log = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class SmsUnavailable(SmsError):
    pass


# Aliyun codes that concern one message (its number, its content, that number's frequency); any other
# code (credentials, signature, balance, template, throttling of the account) is the channel's.
ALIYUN_MESSAGE_CODES = (
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.DENY_IP_RANGE",
    "isv.INVALID_PARAMETERS",
)


class ConsoleBackend:
    """Development: writes the message to the log."""

    def send(self, *, mobile: str, text: str, out_id: str) -> str:
        log.info("SMS to %s [%s]: %s", mobile, out_id, text)
        return f"console-{out_id}"


class FileBackend:
    """Development and demos: appends one JSON line per message to DEADLINES_SMS_FILE."""

    def send(self, *, mobile: str, text: str, out_id: str) -> str:
        path = Path(conf.sms_file_path())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as f:
                f.write(
                    json.dumps(
                        {"at": datetime.now().isoformat(), "mobile": mobile, "text": text, "out_id": out_id},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        except OSError as exc:
            raise SmsUnavailable(f"短信文件无法写入：{exc}") from exc
        return f"file-{out_id}"


class AliyunBackend:
    """Aliyun SMS (短信服务) through its official SDK, `alibabacloud_dysmsapi20170525`.

    The template (ALIYUN_SMS_TEMPLATE_CODE) must take one variable `content`; the endpoint and
    protocol are configurable so the adapter can be tested against a local HTTP server. `OutId` carries
    the outbox key so a receipt can be matched to its row."""

    def __init__(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        c = conf.aliyun()
        if not (c["access_key_id"] and c["access_key_secret"] and c["sign_name"] and c["template_code"]):
            raise SmsUnavailable(
                "阿里云短信未配置：需要 ALIYUN_SMS_ACCESS_KEY_ID、ALIYUN_SMS_ACCESS_KEY_SECRET、"
                "ALIYUN_SMS_SIGN_NAME、ALIYUN_SMS_TEMPLATE_CODE。"
            )
        self.conf = c
        self.client = Client(
            Config(
                access_key_id=c["access_key_id"],
                access_key_secret=c["access_key_secret"],
                endpoint=c["endpoint"],
                protocol=c["protocol"],
                read_timeout=conf.send_timeout() * 1000,
                connect_timeout=10_000,
            )
        )

    def send(self, *, mobile: str, text: str, out_id: str) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        request = SendSmsRequest(
            phone_numbers=mobile,
            sign_name=self.conf["sign_name"],
            template_code=self.conf["template_code"],
            template_param=json.dumps({"content": text[:300]}, ensure_ascii=False),
            out_id=out_id[:64],
        )
        try:
            response = self.client.send_sms(request)
        except Exception as exc:  # the SDK raises its own TeaException and transport errors
            raise SmsUnavailable(f"阿里云短信接口调用失败：{exc}") from exc
        body = response.body
        if body is None or body.code != "OK":
            code = getattr(body, "code", "?")
            error = SmsError if code in ALIYUN_MESSAGE_CODES else SmsUnavailable
            raise error(f"阿里云短信发送失败：{code} {getattr(body, 'message', '')}")
        return body.biz_id or ""

    def send_batch(self, items: list[tuple[str, str, str]]) -> str:
        """SendBatchSms: up to 100 (mobile, text, out_id) in one call — one round trip through the SDK
        for the whole batch, and the duplicate window is the provider's own unit (the call)."""
        from alibabacloud_dysmsapi20170525.models import SendBatchSmsRequest

        out_id = f"{items[0][2]}..{items[-1][2].rsplit('-', 1)[-1]}"[:64]
        request = SendBatchSmsRequest(
            phone_number_json=json.dumps([mobile for mobile, _, _ in items]),
            sign_name_json=json.dumps([self.conf["sign_name"]] * len(items), ensure_ascii=False),
            template_code=self.conf["template_code"],
            out_id=out_id,
            template_param_json=json.dumps([{"content": text[:300]} for _, text, _ in items], ensure_ascii=False),
        )
        try:
            response = self.client.send_batch_sms(request)
        except Exception as exc:  # noqa: BLE001
            raise SmsUnavailable(f"阿里云短信接口调用失败：{exc}") from exc
        body = response.body
        if body is None or body.code != "OK":
            code = getattr(body, "code", "?")
            error = SmsError if code in ALIYUN_MESSAGE_CODES else SmsUnavailable
            raise error(f"阿里云短信发送失败：{code} {getattr(body, 'message', '')}")
        return body.biz_id or ""


BATCH_LIMIT = 100  # SendBatchSms takes at most 100 numbers


def sms_backend():
    return import_string(conf.sms_backend())()
