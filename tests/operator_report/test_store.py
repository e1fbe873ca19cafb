"""The report read from a real tracker store: conversations saved through MaskingSQLTrackerStore (SQLite, as
`make serve` writes them), read back for a period and counted exactly; and the command line's answers.

CONVERSATIONS / EXPECTED are also the data of test_page.py and of the PostgreSQL test in tests/cluster."""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timezone

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Restarted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from operator_report import figures, store
from operator_report.__main__ import period
from storage.tracker_store import MaskingSQLTrackerStore

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SINCE, UNTIL = "2026-11-01", "2026-11-03"
ID_NUMBER = "11010519491231002X"
NAME = "张三丰"
DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n" + "".join(
    f"  {name}:\n    type: text\n    influence_conversation: false\n    mappings:\n    - type: custom\n"
    for name in ("failure_reason", "feedback", "holder_name")))


def at(day, hour=12, minute=0, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc).timestamp()


def said(text, intent, ts, channel):
    return UserUttered(text, {"name": intent, "confidence": 0.93}, timestamp=ts, input_channel=channel)


def start(ts):
    return [ActionExecuted("action_session_start", timestamp=ts), SessionStarted(timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts)]


def conversations():
    """sender → the events of a few customers' conversations, some of them before or after the period."""
    t = at(1, 9)
    web = start(at(31, 23, month=10)) + [
        said("你好", "greet", at(31, 23, 50, month=10), "web"),               # before SINCE
        said("库中无此号", "fail_number_not_found", t, "web"),
        SlotSet("failure_reason", "fail_number_not_found", timestamp=t + 1),
        SlotSet("requested_slot", "doc_number", timestamp=t + 2),
        said(f"我的号码 {ID_NUMBER} 为什么不对", "nlu_fallback", t + 60, "web"),
        SlotSet("requested_slot", "holder_name", timestamp=t + 61),
        said(NAME, "nlu_fallback", t + 120, "web"),
        SlotSet("holder_name", NAME, timestamp=t + 121), SlotSet("requested_slot", None, timestamp=t + 122),
        ActionExecuted("action_explain_failure", timestamp=t + 123),
        BotUttered(f"请核对持有者名称 {NAME}", timestamp=t + 124),
        said("没解决", "feedback_not_solved", t + 180, "web"),
        SlotSet("feedback", "not_solved", timestamp=t + 181),
        said("转人工", "ask_human", t + 240, "web"), ActionExecuted("action_handoff", timestamp=t + 241),
    ]
    t = at(2, 10)
    rest = start(t) + [
        said("证件电子信息核验不合格", "fail_cert_data_check", t + 1, "rest"),
        SlotSet("failure_reason", "fail_cert_data_check", timestamp=t + 2),
        SlotSet("requested_slot", "region", timestamp=t + 3),
        said("中国香港", "inform", t + 60, "rest"), SlotSet("requested_slot", "holder_type", timestamp=t + 61),
        said("个人", "inform", t + 120, "rest"), SlotSet("requested_slot", None, timestamp=t + 121),
        said("解决了", "feedback_solved", t + 180, "rest"), SlotSet("feedback", "solved", timestamp=t + 181),
        said("重新开始", "restart", t + 240, "rest"), ActionExecuted("action_restart", timestamp=t + 241),
        Restarted(timestamp=t + 242),
        said("asdfgh", "nlu_fallback", t + 300, "rest"),
        said("解决了", "feedback_solved", t + 360, "rest"), SlotSet("feedback", "solved", timestamp=t + 361),
    ]
    t = at(3, 8)
    dingtalk = start(t) + [
        said("营业执照刚办三天，提示不在实名库中", "fail_new_cert", t + 1, "dingtalk"),
        SlotSet("failure_reason", "fail_new_cert", timestamp=t + 2),
        said(" asdfgh ", "nlu_fallback", t + 60, "dingtalk"),
    ]
    wecom = start(at(31, 22, month=10)) + [
        said("请上传大小在55 KB~5 MB以内正确格式的文件", "fail_upload_size", at(31, 22, 1, month=10), "wecom"),
        SlotSet("failure_reason", "fail_upload_size", timestamp=at(31, 22, 2, month=10)),  # diagnosed before
        said("没解决", "feedback_not_solved", at(3, 9), "wecom"),
        SlotSet("feedback", "not_solved", timestamp=at(3, 9, 1)),
    ]
    old = start(at(20, month=10)) + [
        said("注册者证件不清晰", "fail_cert_unclear", at(20, 12, 1, month=10), "web"),
        SlotSet("failure_reason", "fail_cert_unclear", timestamp=at(20, 12, 2, month=10)),
        ActionExecuted("action_handoff", timestamp=at(20, 12, 3, month=10)),
    ]
    late = start(at(4, 0, 1)) + [said("asdfgh", "nlu_fallback", at(4, 0, 2), "web")]  # after UNTIL
    return {"web-1": web, "rest-2": rest, "ding-3": dingtalk, "wecom-5": wecom, "old-4": old, "late-6": late}


EXPECTED = {
    "period": {"since": "2026-11-01", "until": "2026-11-03"},
    "conversations": 4,
    "messages": 15,
    "diagnoses": 3,
    "reasons": {"fail_cert_data_check": 1, "fail_new_cert": 1, "fail_number_not_found": 1},
    "feedback": {"solved": 2, "not_solved": 2, "by_reason": {
        "fail_cert_data_check": {"solved": 1, "not_solved": 0},
        "fail_number_not_found": {"solved": 0, "not_solved": 1},
        "fail_upload_size": {"solved": 0, "not_solved": 1},
        "none": {"solved": 1, "not_solved": 0},
    }},
    "solved_share": {"fail_cert_data_check": 1.0, "fail_new_cert": None, "fail_number_not_found": 0.0,
                     "fail_upload_size": 0.0, "none": 1.0},
    "handoffs": 1,
    "handoff_rate": 0.25,
    "fallbacks": 4,
    "fallback_rate": 0.267,
    "questions_per_diagnosis": {"mean": 1.33, "diagnoses": 3},
    "channels": {"dingtalk": 1, "rest": 1, "web": 1, "wecom": 1},
    "not_understood": [{"text": "asdfgh", "count": 2}, {"text": "我的号码 1101********002X 为什么不对", "count": 1},
                       {"text": "＊＊", "count": 1}],
    "days": [
        {"date": "2026-11-01", "conversations": 1, "messages": 5, "fallbacks": 2, "fallback_rate": 0.4,
         "handoffs": 1, "handoff_rate": 1.0},
        {"date": "2026-11-02", "conversations": 1, "messages": 7, "fallbacks": 1, "fallback_rate": 0.143,
         "handoffs": 0, "handoff_rate": 0.0},
        {"date": "2026-11-03", "conversations": 2, "messages": 3, "fallbacks": 1, "fallback_rate": 0.333,
         "handoffs": 0, "handoff_rate": 0.0},
    ],
}


async def fill(made_store, prefix=""):
    for sender, events in conversations().items():
        await made_store.save(DialogueStateTracker.from_events(prefix + sender, events, DOMAIN.slots))


async def sqlite_store(path, filled=True):
    made = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path))
    if filled:
        await fill(made)
    made.engine.dispose()  # as after `make serve` stopped: the WAL written back into the file


def endpoints_for(tmp_path, db):
    path = tmp_path / "endpoints.yml"
    path.write_text("tracker_store:\n  type: storage.tracker_store.MaskingSQLTrackerStore\n"
                    f"  dialect: sqlite\n  db: {db}\n", encoding="utf-8")
    return str(path)


def report(*args, env=None):
    """python -m operator_report …, as `make report` runs it."""
    return subprocess.run([sys.executable, "-m", "operator_report", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": REPO, **(env or {})})


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


async def test_a_filled_store_gives_exactly_the_expected_figures(tmp_path):
    db = tmp_path / "conversations.db"
    await sqlite_store(db)
    url = store.store_url(endpoints_for(tmp_path, db))
    start, end = period(SINCE, UNTIL)
    assert figures.compute(store.read_events(url, start, end), start, end) == EXPECTED


async def test_the_command_writes_the_json_and_the_page_without_id_numbers_or_names(tmp_path):
    db = tmp_path / "conversations.db"
    await sqlite_store(db)
    before = digest(db)
    out = tmp_path / "reports"
    run = report("--endpoints", endpoints_for(tmp_path, db), "--since", SINCE, "--until", UNTIL, "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "已写出" in run.stdout and "4 个对话" in run.stdout
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == EXPECTED
    for name in ("report.json", "report.html"):
        text = (out / name).read_text(encoding="utf-8")
        for secret in (ID_NUMBER, NAME, "web-1", "rest-2"):
            assert secret not in text, (name, secret)
    assert "1101********002X" in (out / "report.html").read_text(encoding="utf-8")
    assert digest(db) == before  # read only
    assert not os.path.exists(str(db) + "-wal") or os.path.getsize(str(db) + "-wal") == 0


async def test_the_query_reads_the_period_and_only_the_context_it_needs(tmp_path):
    db = tmp_path / "conversations.db"
    await sqlite_store(db)
    start, end = period(SINCE, UNTIL)
    events = store.read_events(store.store_url(endpoints_for(tmp_path, db)), start, end)
    outside = [(e["sender_id"], e["event"], e.get("name")) for e in events if not start <= e["timestamp"] < end]
    assert sorted(outside) == sorted([  # the reason current at SINCE and the sessions before it; no texts
        ("web-1", "session_started", None), ("wecom-5", "session_started", None),
        ("wecom-5", "slot", "failure_reason")])
    assert not any(e["event"] == "bot" for e in events) and "old-4" not in {e["sender_id"] for e in events}


def test_without_a_store_yet_the_command_says_so_in_chinese_and_creates_nothing(tmp_path):
    db = tmp_path / "conversations.db"
    run = report("--endpoints", endpoints_for(tmp_path, db), "--out", str(tmp_path / "reports"))
    assert run.returncode == 1
    assert "还没有对话库" in run.stderr and str(db) in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not db.exists() and not (tmp_path / "reports").exists()


async def test_an_empty_store_gives_an_empty_report(tmp_path):
    db = tmp_path / "conversations.db"
    await sqlite_store(db, filled=False)
    out = tmp_path / "reports"
    run = report("--endpoints", endpoints_for(tmp_path, db), "--since", SINCE, "--until", SINCE, "--out", str(out))
    assert run.returncode == 0, run.stderr
    written = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert written == figures.compute([], *period(SINCE, SINCE))
    assert (written["conversations"], written["reasons"], written["questions_per_diagnosis"]["mean"]) == (0, {}, None)


@pytest.mark.parametrize("args, words, code", [
    (["--since", "2026-13-01"], "SINCE 日期无效：'2026-13-01'。请写成 YYYY-MM-DD", 2),
    (["--since", "11/01/2026"], "SINCE 日期无效", 2),
    (["--since", "2026-11-05", "--until", "2026-11-01"], "SINCE（2026-11-05）晚于 UNTIL（2026-11-01）", 2),
    (["--days", "3"], "命令行参数有误", 2),
])
def test_bad_dates_and_options_are_told_in_chinese(tmp_path, args, words, code):
    run = report("--endpoints", endpoints_for(tmp_path, tmp_path / "x.db"), *args, "--out", str(tmp_path / "r"))
    assert run.returncode == code
    assert words in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("content, words", [
    ("action_endpoint:\n  url: http://localhost:5055/webhook\n", "没有配置 SQL 对话库"),
    ("tracker_store:\n  type: redis\n  url: localhost\n", "没有配置 SQL 对话库"),
    ("tracker_store:\n  type: sql\n  dialect: postgresql\n  url: ${REALNAME_NOT_SET_ANYWHERE}\n", "无法读取配置文件"),
    ("tracker_store: [unclosed\n", "无法读取配置文件"),
])
def test_an_endpoints_file_without_a_readable_sql_store_is_told_in_chinese(tmp_path, content, words):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(content, encoding="utf-8")
    run = report("--endpoints", str(endpoints), "--out", str(tmp_path / "r"))
    assert run.returncode == 1
    assert words in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("make, words", [
    (lambda db: db.write_text("not a database", encoding="utf-8"), "无法读取对话库"),
    (lambda db: sqlite3.connect(db).execute("CREATE TABLE other (x)").connection.commit(), "没有 events 表"),
])
def test_a_file_that_is_not_the_assistant_s_store_is_told_in_chinese(tmp_path, make, words):
    db = tmp_path / "conversations.db"
    make(db)
    run = report("--endpoints", endpoints_for(tmp_path, db), "--out", str(tmp_path / "r"))
    assert run.returncode == 1
    assert words in run.stderr and "Traceback" not in run.stderr


def test_the_cluster_s_store_before_the_cluster_ever_ran_is_told_in_chinese(tmp_path):
    env = {"REALNAME_CLUSTER_DIR": str(tmp_path / "cluster"), "REALNAME_PG_HOST": ""}
    run = report("--cluster", "--out", str(tmp_path / "r"), env=env)
    assert run.returncode == 1
    assert "集群还没有运行过" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "cluster").exists()


def test_the_default_period_is_the_last_thirty_days_both_included():
    start, end = period("", "", today=date(2026, 11, 30))
    assert (start, end) == (at(1, 0), at(1, 0, month=12))
    assert figures.period_days(start, end)[0] == "2026-11-01" and len(figures.period_days(start, end)) == 30
