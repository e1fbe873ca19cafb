"""The public port against real servers: Rasa's HTTP API is closed without the token, bodies over
the limit are refused before they are read, and the rate limits answer 429 in Chinese while the
limited conversation is unharmed.

`stack` is served as `make serve` serves it (no REALNAME_API_TOKEN: API off); `locked_stack` as an
operator with the API on (REALNAME_API_TOKEN) behind a trusted proxy, with low limits
(credentials.limits.yml).
"""
import concurrent.futures
import io
import time
import uuid

import pytest
import requests
from PIL import Image

API_ROUTES = [
    ("GET", "/version"),
    ("GET", "/status"),
    ("GET", "/domain"),
    ("GET", "/conversations/victim/tracker"),
    ("GET", "/conversations/victim/story"),
    ("POST", "/conversations/victim/tracker/events"),
    ("PUT", "/conversations/victim/tracker/events"),
    ("POST", "/conversations/victim/trigger_intent"),
    ("POST", "/conversations/victim/execute"),
    ("POST", "/conversations/victim/predict"),
    ("POST", "/conversations/victim/messages"),
    ("POST", "/model/parse"),
    ("POST", "/model/train"),
    ("POST", "/model/test/stories"),
    ("POST", "/model/test/intents"),
    ("POST", "/model/predict"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
]


def rest(url, sender, text, address=None, timeout=60):
    headers = {"X-Forwarded-For": address} if address else {}
    return requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         headers=headers, timeout=timeout)


def text_of(response):
    return " ".join(m.get("text") or "" for m in response.json())


def new_sender():
    return "pp-" + uuid.uuid4().hex[:12]


def victim_conversation(url, address=None):
    """A conversation in the middle of the questions (form active), for checking nothing was changed."""
    sender = new_sender()
    first = rest(url, sender, "库中无此号", address)
    assert first.status_code == 200 and "库中无此号" in text_of(first)
    return sender, text_of(first)


# ------------------------------------------------------------------------------------------ API off

@pytest.mark.parametrize("method,path", API_ROUTES)
def test_without_a_token_every_api_route_is_closed(stack, method, path):
    r = requests.request(method, stack.url + path, json={"name": "greet", "text": "hi"}, timeout=10)
    assert r.status_code in (401, 403, 404), (method, path, r.status_code, r.text[:200])
    assert "Rasa" not in r.text and "version" not in r.text.lower()


def test_an_anonymous_delete_model_changes_nothing(stack):
    assert requests.delete(stack.url + "/model", timeout=10).status_code == 404
    sender = new_sender()
    assert text_of(rest(stack.url, sender, "库中无此号")).startswith("【库中无此号")


def test_the_channels_and_the_help_page_stay_public(stack):
    assert requests.get(stack.url + "/", timeout=10).status_code == 200
    page = requests.get(stack.url + "/webhooks/web/", timeout=10)
    assert page.status_code == 200 and "实名认证" in page.text
    assert requests.get(stack.url + "/webhooks/web/static/app.js", timeout=10).status_code == 200
    assert requests.get(stack.url + "/webhooks/rest/", timeout=10).json() == {"status": "ok"}


# ------------------------------------------------------------------------------------------ API on

@pytest.mark.parametrize("method,path", API_ROUTES)
def test_with_the_api_on_anonymous_and_forged_tokens_are_refused(locked_stack, method, path):
    for params in ({}, {"token": "wrong"}, {"token": locked_stack.token[:-1]}):
        r = requests.request(method, locked_stack.url + path, params=params, json={"name": "greet"}, timeout=10)
        assert r.status_code in (401, 403), (method, path, params, r.status_code, r.text[:200])
    forged = requests.request(method, locked_stack.url + path, json={"name": "greet"}, timeout=10,
                              headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjp7InJvbGUiOiJhZG1pbiJ9fQ.x"})
    assert forged.status_code in (401, 403)


def test_anonymous_calls_change_no_conversation(locked_stack):
    sender, _ = victim_conversation(locked_stack.url, "198.51.100.20")
    base = f"{locked_stack.url}/conversations/{sender}"
    assert requests.post(base + "/trigger_intent", json={"name": "restart"}, timeout=10).status_code in (401, 403)
    assert requests.put(base + "/tracker/events", json=[], timeout=10).status_code in (401, 403)
    assert requests.delete(locked_stack.url + "/model", timeout=10).status_code in (401, 403)
    tracker = requests.get(base + "/tracker", params={"token": locked_stack.token}, timeout=10).json()
    assert tracker["active_loop"].get("name") == "diagnosis_form"  # still in the questions
    assert [e["event"] for e in tracker["events"]].count("user") == 1


def test_with_the_token_the_api_works(locked_stack):
    token = {"token": locked_stack.token}
    status = requests.get(locked_stack.url + "/status", params=token, timeout=10)
    assert status.status_code == 200 and status.json()["model_file"]
    assert requests.get(locked_stack.url + "/version", params=token, timeout=10).status_code == 200
    parsed = requests.post(locked_stack.url + "/model/parse", params=token, json={"text": "库中无此号"}, timeout=30)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"].startswith("fail_")
    sender = new_sender()
    r = requests.post(f"{locked_stack.url}/conversations/{sender}/messages", params=token,
                      json={"text": "你好", "sender": "user"}, timeout=30)
    assert r.status_code == 200 and r.json()["sender_id"] == sender


# ------------------------------------------------------------------------------------------ bodies

@pytest.mark.parametrize("path", ["/webhooks/rest/webhook", "/webhooks/web/webhook", "/webhooks/dingtalk/webhook",
                                  "/webhooks/wecom/webhook", "/webhooks/web/upload"])
def test_a_40_mb_body_is_refused_before_it_is_read_and_others_are_still_answered(stack, path):
    body = b"a" * (40 * 1024 * 1024)
    started = time.monotonic()
    r = requests.post(stack.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413 and "过大" in r.json()["error"]
    assert time.monotonic() - started < 5
    assert text_of(rest(stack.url, new_sender(), "库中无此号")).startswith("【库中无此号")


def test_a_chunked_body_is_cut_off_at_the_limit(stack):
    def chunks():
        for _ in range(400):  # 40 MB announced nowhere: the server must stop reading by itself
            yield b"a" * 100_000

    try:
        r = requests.post(stack.url + "/webhooks/rest/webhook", data=chunks(), timeout=30)
        assert r.status_code == 413
    except requests.ConnectionError:
        pass  # the server may close the connection while the client is still sending: refused too
    assert text_of(rest(stack.url, new_sender(), "库中无此号")).startswith("【库中无此号")


def test_a_rest_message_over_the_limit_is_refused_in_chinese(stack):
    r = rest(stack.url, new_sender(), "库中无此号" + "啊" * 5000)
    assert r.status_code == 413 and "消息过长" in text_of(r) and "5000" in text_of(r)


def test_a_web_message_over_the_limit_is_refused_in_chinese(stack):
    r = requests.post(stack.url + "/webhooks/web/webhook", json={"sender": "web-" + uuid.uuid4().hex, "message": "啊" * 5001},
                      timeout=10)
    assert r.status_code == 413 and "消息过长" in r.json()["error"]


def test_an_english_customer_is_refused_in_english(stack):
    r = rest(stack.url, new_sender(), "Certificate number cannot be found. " * 200)
    assert r.status_code == 413 and text_of(r).startswith("The message is too long: 5000 characters at most.")
    # On the web page, a bare number after an English answer is refused in English too.
    sender = "web" + uuid.uuid4().hex
    first = requests.post(stack.url + "/webhooks/web/webhook", json={"sender": sender, "message": "Certificate number "
                          "cannot be found"}, timeout=60)
    assert first.status_code == 200 and first.json()[0]["text"].isascii()
    r = requests.post(stack.url + "/webhooks/web/webhook", json={"sender": sender, "message": "1" * 5001}, timeout=10)
    assert r.status_code == 413 and r.json()["error"].startswith("The message is too long")


# ------------------------------------------------------------------------------------------ rates

def test_a_flooding_sender_gets_429_in_chinese_and_its_conversation_goes_on(locked_stack):
    sender, first = victim_conversation(locked_stack.url, "198.51.100.1")  # 1 of 6
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: rest(locked_stack.url, sender, "你好", f"198.51.100.{10 + i}"), range(12)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(200) == 5 and codes.count(429) == 7, codes
    limited = [r for r in answers if r.status_code == 429][0]
    assert "太频繁" in text_of(limited) and int(limited.headers["Retry-After"]) >= 1
    # Another sender is not affected.
    assert text_of(rest(locked_stack.url, new_sender(), "库中无此号", "198.51.100.99")).startswith("【库中无此号")
    # After the wait, the limited sender carries on where it was: the refused messages did nothing.
    time.sleep(int(limited.headers["Retry-After"]) + 0.5)
    tracker = requests.get(f"{locked_stack.url}/conversations/{sender}/tracker",
                           params={"token": locked_stack.token}, timeout=10).json()
    assert [e["event"] for e in tracker["events"]].count("user") == 6
    assert text_of(rest(locked_stack.url, sender, "跳过", "198.51.100.1"))


def _web(url, sender, text, address):
    return requests.post(f"{url}/webhooks/web/webhook", json={"sender": sender, "message": text},
                         headers={"X-Forwarded-For": address}, timeout=60)


@pytest.mark.parametrize("send,error_of", [
    (lambda url, address: rest(url, new_sender(), "你好", address), text_of),
    (lambda url, address: _web(url, "web" + uuid.uuid4().hex, "你好", address), lambda r: r.json()["error"]),
], ids=["rest", "web"])
def test_one_address_with_many_senders_is_limited(locked_stack, send, error_of):
    address = "203.0.113." + str(uuid.uuid4().int % 200)
    answers = [send(locked_stack.url, address) for _ in range(12)]
    codes = [r.status_code for r in answers]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes
    assert "太频繁" in error_of(answers[-1])
    assert send(locked_stack.url, "203.0.113.250").status_code == 200  # other addresses are not affected


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 180, 160)).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_uploads_are_limited_per_sender(locked_stack):
    sender = "up" + uuid.uuid4().hex
    data = _jpeg()

    def upload():
        return requests.post(f"{locked_stack.url}/webhooks/web/upload", data={"sender": sender},
                             files={"file": ("id.jpg", data, "image/jpeg")},
                             headers={"X-Forwarded-For": "192.0.2.50"}, timeout=60)

    codes = [upload().status_code for _ in range(3)]
    assert codes[:2] != [429, 429] and codes[2] == 429, codes
    assert "上传太频繁" in upload().json()["error"]
    r = requests.post(f"{locked_stack.url}/webhooks/web/webhook", json={"sender": sender, "message": "库中无此号"},
                      headers={"X-Forwarded-For": "192.0.2.51"}, timeout=30)
    assert r.status_code == 200  # messages have their own budget


def test_the_default_sender_limit_is_20_a_minute_whatever_the_forwarded_address(stack):
    # `stack` trusts no proxy, so X-Forwarded-For is ignored; the default per-sender limit holds.
    sender = new_sender()
    codes = [rest(stack.url, sender, "你好", f"10.9.8.{i}").status_code for i in range(22)]
    assert codes.count(429) == 2, codes
