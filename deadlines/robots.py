"""Group robots: a unit's WeCom (企业微信) group robot and DingTalk (钉钉 / 政务钉钉) custom robot.

    WeCom     POST {base}/cgi-bin/webhook/send?key=KEY   {"msgtype": "text", "text": {"content", "mentioned_list"}}
    DingTalk  POST {base}/robot/send?access_token=T&timestamp=MS&sign=S
              S = urlquote(base64(HMAC-SHA256(key=secret, msg=f"{MS}\\n{secret}")))
              {"msgtype": "text", "text": {"content"}, "at": {"atUserIds": [...]}}

Both answer {"errcode": 0, "errmsg": "ok"} and allow 20 messages a minute per robot (WeCom answers
45009 past that; DingTalk 130101 and then throttles the robot for 10 minutes). A sender raises

    Throttled(delay)  the robot refused for now: the rows wait `delay` seconds, attempts untouched;
    ChannelDown       the robot cannot be used (network, 5xx, bad key or signature): the rows wait for
                      the robot to come back and the office sees it on 发送记录;
    anything else     this message was refused: it counts as an attempt.

Several rows for the same robot are joined into one post (up to MAX_BYTES), so a burst of events
for one unit costs one of its 20 posts a minute, not one each."""

import base64
import hashlib
import hmac
import time
import urllib.parse

from . import conf

MAX_BYTES = 2000  # WeCom's text limit is 2,048 bytes; DingTalk's is larger: one limit for both


class ChannelDown(Exception):
    pass


class Throttled(Exception):
    def __init__(self, delay: int, message: str):
        super().__init__(message)
        self.delay = delay


class Rejected(Exception):
    pass


WECOM_THROTTLED = {45009}
WECOM_CONFIG = {93000: "群机器人 key 无效或已被移除", 93004: "群机器人已被停用", 40001: "群机器人 key 无效"}
DINGTALK_THROTTLED = {130101, 130102}
DINGTALK_CONFIG = {
    310000: "钉钉机器人加签校验失败（请核对加签密钥）",
    300001: "钉钉机器人 access_token 无效",
    400013: "钉钉群已被解散",
    400101: "钉钉机器人已停用",
    300005: "钉钉机器人 access_token 不存在",
}


def session():
    """One HTTP session (kept-alive connections) per batch."""
    import requests

    return requests.Session()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def _post(http, url: str, payload: dict) -> dict:
    try:
        response = http.post(url, json=payload, timeout=conf.send_timeout())
    except Exception as exc:  # noqa: BLE001 — connection refused, timeout, DNS: the robot is unreachable
        raise ChannelDown(f"无法连接：{type(exc).__name__}") from exc
    if response.status_code >= 500 or response.status_code in (403, 404, 429):
        if response.status_code == 429:
            raise Throttled(60, "接口限流（HTTP 429）")
        raise ChannelDown(f"接口返回 HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise ChannelDown(f"接口应答无法解析（HTTP {response.status_code}）") from exc


def wecom_send(http, *, key: str, text: str, mention_userids=()) -> str:
    url = f"{conf.wecom_base_url()}/cgi-bin/webhook/send?key={urllib.parse.quote(key)}"
    payload = {"msgtype": "text", "text": {"content": text}}
    if mention_userids:
        payload["text"]["mentioned_list"] = list(mention_userids)
    _verdict(
        _post(http, url, payload),
        platform="企业微信",
        throttled=WECOM_THROTTLED,
        wait=60,
        throttle_text="每个群机器人每分钟最多 20 条",
        config=WECOM_CONFIG,
    )
    return f"wecom-{int(time.time() * 1000)}"


def _verdict(answer: dict, *, platform: str, throttled, wait: int, throttle_text: str, config: dict) -> None:
    """Both robot APIs answer {"errcode", "errmsg"}: 0 is sent; a throttle waits; a bad key or signature
    (or a busy platform) is the channel's failure; anything else refuses this one message."""
    code = answer.get("errcode")
    if code == 0:
        return
    if code in throttled:
        raise Throttled(wait, f"{platform}限流（{code}）：{throttle_text}")
    if code in config:
        raise ChannelDown(f"{config[code]}（{code}）")
    if code is None or code < 0:
        raise ChannelDown(f"{platform}接口繁忙（{code}）：{answer.get('errmsg', '')}")
    raise Rejected(f"{platform}拒收（{code}）：{answer.get('errmsg', '')}")


def dingtalk_send(http, *, token: str, secret: str, text: str, mention_userids=(), now_ms: int | None = None) -> str:
    ms = now_ms or int(time.time() * 1000)
    url = (
        f"{conf.dingtalk_base_url()}/robot/send?access_token={urllib.parse.quote(token)}"
        f"&timestamp={ms}&sign={dingtalk_sign(secret, ms)}"
    )
    payload = {"msgtype": "text", "text": {"content": text}}
    if mention_userids:
        payload["at"] = {"atUserIds": list(mention_userids)}
    _verdict(
        _post(http, url, payload),
        platform="钉钉",
        throttled=DINGTALK_THROTTLED,
        wait=600,
        throttle_text="每个机器人每分钟最多 20 条，超过后限流 10 分钟",
        config=DINGTALK_CONFIG,
    )
    return f"dingtalk-{ms}"


def message_text(m) -> str:
    link = f"\n{conf.site_url()}{m.url}" if m.url else ""
    body = m.body if m.body.startswith(m.title) else f"{m.title}\n{m.body}"
    return f"{body}{link}"


def combine(rows, *, max_bytes: int = MAX_BYTES) -> list[list]:
    """Split rows (all for one robot) into posts whose joined text fits one message."""
    posts, current, size = [], [], 0
    for m in rows:
        n = len(message_text(m).encode()) + 2
        if current and size + n > max_bytes:
            posts.append(current)
            current, size = [], 0
        current.append(m)
        size += n
    if current:
        posts.append(current)
    return posts


def joined_text(rows) -> str:
    text = "\n\n".join(message_text(m) for m in rows)
    encoded = text.encode()
    if len(encoded) > MAX_BYTES:  # one message alone longer than a post: cut it, the link to the page stays
        link = f"\n{conf.site_url()}{rows[0].url}" if rows[0].url else ""
        room = MAX_BYTES - len(link.encode()) - 3
        text = encoded[:room].decode(errors="ignore") + "…" + link
    return text
