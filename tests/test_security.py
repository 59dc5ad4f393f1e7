"""Security and data protection (issue 14): cases 13 and 15 to 22 in ``../shared/cases``.

Each test names its case folder and checks the right result its README gives. Case 14's
browser half (every page in Chromium with hostile text) is ``tests/e2e/test_hostile_text.py``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tomllib
from datetime import date

import pytest
import sqlite_utils
from sqlalchemy import text

from monitoring import auth, cli, config, db, demo, files, migrations, services, tabular, worklists
from monitoring.importer import prepare
from monitoring.ui import navigation, widgets
from monitoring.ui.text import WORD_JOINER, bidi_visible, md
from tests.conftest import ANCHOR, ROOT, SHARED, make_app

CASES = SHARED / "cases"
ADMIN = "admin@northbridge.example"
BOARD = "board@northbridge.example"
POLICE = "police.lead@northbridge.example"
CSC = "csc.lead@northbridge.example"
VIEWER = "viewer@northbridge.example"


def case_readme(folder: str) -> str:
    """The case's README (the test fails if the case folder is missing)."""
    return (CASES / folder / "README.md").read_text(encoding="utf-8")


def rows(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).mappings().all()


def user(engine, email):
    return dict(rows(engine, "select * from app_user where email = :e", e=email)[0])


def actor(engine, email):
    return services.Actor.from_user(user(engine, email))


def police_action(engine) -> tuple[services.Actor, dict]:
    """The police lead and the first action their agency leads (``id``, ``version``)."""
    lead = actor(engine, POLICE)
    action = rows(
        engine,
        "select id, version from action where lead_agency_id = :a order by id limit 1",
        a=lead.agency_id,
    )[0]
    return lead, dict(action)


def attach_file(engine, lead, action, name: str, content: bytes) -> dict:
    """The police lead attaches a file to ``action`` (at its version): the evidence row."""
    return services.attach_evidence(
        engine, lead, action["id"], version=action["version"], file_name=name, content=content
    )


def streamlit_config() -> dict:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        return tomllib.load(f)


def sign_in(at, email, password):
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return at.run()


def sign_out(at):
    """Click the sidebar's "Sign out" (``dashboard.py`` draws it around every page it runs
    through ``st.navigation``)."""
    at.switch_page("app_pages/overview.py")
    at.run()
    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    return at.run()


# --- 13: publication -----------------------------------------------------------------------------

CASE_13 = "13-publish-includes-unpublished"
TRACKER = b"Item,What we will do,Owner,By\n1,Train staff,Police,31/03/2026\n"


def publish_cli(engine, out, monkeypatch) -> sqlite_utils.Database:
    monkeypatch.setenv("MONITORING_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    db.dispose_engines()
    assert cli.main(["publish", "--out", str(out)]) == 0
    return sqlite_utils.Database(out)


def test_13_imports_never_publish_and_the_register_holds_what_an_admin_published(
    engine, tmp_path, monkeypatch
):
    assert "only reviews with a publication date" in case_readme(CASE_13)
    system = services.Actor.system("test")
    plan, _ = prepare(
        TRACKER,
        "plan.csv",
        review_ref="SCR-2026-01",
        review_title="A review",
        overrides={"action": "What we will do", "due_on": "By"},
    )
    services.import_tracker(engine, system, plan)
    pfd_rows = (SHARED / "realdata" / "pfd" / "pfd_recipient_statuses.csv").read_bytes()
    pfd_head = b"\n".join(pfd_rows.splitlines()[:30]) + b"\n"
    pfd_plan, _ = prepare(pfd_head, "pfd.csv", preset="pfd")
    services.import_tracker(engine, system, pfd_plan)
    imported = rows(engine, "select id, ref, published_on, status from review order by ref")
    assert len(imported) > 1
    assert all(r["published_on"] is None for r in imported)  # an import never publishes

    register = publish_cli(engine, tmp_path / "public.db", monkeypatch)
    assert register["reviews"].count == 0 and register["recommendations"].count == 0

    review_id = next(r["id"] for r in imported if r["ref"] == "SCR-2026-01")
    admin = services.Actor.system("admin@test.example")
    with pytest.raises(services.PermissionDenied):
        services.set_review_publication(
            engine, services.Actor(email="b@x.org", role="board"), review_id, date(2026, 5, 1)
        )
    services.set_review_publication(engine, admin, review_id, date(2026, 5, 1))
    register = publish_cli(engine, tmp_path / "public2.db", monkeypatch)
    assert [(r["ref"], r["published_on"]) for r in register["reviews"].rows] == [
        ("SCR-2026-01", "2026-05-01")
    ]
    assert register["recommendations"].count == 1
    audit = rows(
        engine,
        "select actor, field, old_value, new_value from audit_log"
        " where entity = 'review' and entity_id = :i and field = 'published_on'",
        i=review_id,
    )
    assert [tuple(a.values()) for a in audit] == [
        ("admin@test.example", "published_on", None, "2026-05-01")
    ]

    services.set_review_publication(engine, admin, review_id, None)  # withdrawn
    register = publish_cli(engine, tmp_path / "public3.db", monkeypatch)
    assert register["reviews"].count == 0
    assert (
        rows(
            engine,
            "select count(*) as n from audit_log where entity = 'review' and field = 'published_on'",
        )[0]["n"]
        == 2
    )


def test_13_an_administrator_publishes_and_withdraws_on_the_publication_page(demo_engine, app_env):
    review_id = rows(demo_engine, "select id from review order by ref")[0]["id"]
    services.set_review_publication(demo_engine, actor(demo_engine, ADMIN), review_id, None)
    at = make_app(ADMIN, page="app_pages/publication.py")
    assert not at.exception
    at.selectbox(key="publish_pick").set_value(review_id)
    at.date_input(key="publish_on").set_value(date(2026, 6, 1))
    at.run()
    next(b for b in at.button if b.label == "Publish").click()
    at.run()
    assert not at.exception
    assert (
        rows(demo_engine, "select published_on from review where id = :i", i=review_id)[0][
            "published_on"
        ]
        == "2026-06-01"
    )
    assert any("published on 1 Jun 2026" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Withdraw from the register").click()
    at.run()
    assert (
        rows(demo_engine, "select published_on from review where id = :i", i=review_id)[0][
            "published_on"
        ]
        is None
    )
    board = make_app(BOARD, page="app_pages/publication.py")  # refused: sent to the Overview
    assert "Publication" not in [t.value for t in board.title]
    assert "That page is not open to board members: Publication." in [i.value for i in board.info]
    assert not [b for b in board.button if b.label == "Publish"]


# --- 14: untrusted text is text (the Markdown half; the browser half is in tests/e2e) -----------

CASE_14 = "14-lead-text-fetches-outside-addresses"
HOSTILE = [
    "![z](http:&#47;&#47;example.org&#47;f.png).txt",
    "https://example.org/a)![w](http://example.org/link.png",
    "![r](http://example.org/r.png)",
    "$\\LaTeX$ and $$x^2$$",
    '<img src="http://example.org/i.png"> <a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1)) :red[red] :material/home: :smile: www.example.org a@b.org",
    "\u202eevil\u202c # heading\n- list\n1. one\n    code\n> quote\n| a | b |",
    "x" * 5000,
]


def test_14_escaped_text_holds_no_markdown_construct():
    import markdown_it

    assert "plain text" in case_readme(CASE_14)
    parser = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    for value in HOSTILE:
        escaped = md(value)
        tokens = [t for block in parser.parse(escaped) for t in (block.children or [block])]
        kinds = {t.type for t in tokens}
        assert kinds <= {
            "paragraph_open",
            "paragraph_close",
            "inline",
            "text",
            "softbreak",
            "hardbreak",
        }, (value, kinds)
        shown = "".join(t.content for t in tokens if t.type == "text")
        shown = shown.replace("\u00a0", " ").replace(WORD_JOINER, "")
        assert shown == bidi_visible(value).replace("\n", ""), value
        for raw in ("![", "](", "$\\", "<img", ":red[", "www.", "@b", "://"):
            assert raw not in _unescaped(escaped), raw


def test_14_a_right_to_left_override_is_shown_by_name_not_obeyed():
    """A fresh user's "RTL \u202eevil.exe\u202c test" showed as "RTL exe.live test": the control
    characters are named in the shown text, in the order typed."""
    escaped = md("RTL \u202eevil.exe\u202c test \u2067x\u2069")
    assert not any(ch in escaped for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "U+202E" in escaped and "evil.exe" in escaped.replace("\\", "")
    assert escaped.index("U+202E") < escaped.index("evil") < escaped.index("U+202C")
    assert "U+2067" in escaped and "U+2069" in escaped


def _unescaped(escaped: str) -> str:
    """``escaped`` with every backslash-escaped character dropped: what Markdown could parse."""
    out, i = [], 0
    while i < len(escaped):
        if escaped[i] == "\\" and i + 1 < len(escaped):
            i += 2
            continue
        out.append(escaped[i])
        i += 1
    return "".join(out)


# --- 15: no live formula from any download -------------------------------------------------------

CASE_15 = "15-table-download-keeps-formulas"
FORMULAS = ['=HYPERLINK("http://example.org/x","y")', "@SUM(1,1)", "+1+1", "-2+3"]


def test_15_tables_offer_no_raw_download_and_history_offers_a_safe_one(demo_engine, app_env):
    assert "no download path yields a live formula" in case_readme(CASE_15)
    # The toolbar's own CSV download and cell copy are off for every table.
    assert streamlit_config()["client"]["disableDataExport"] is True
    lead = actor(demo_engine, POLICE)
    action = rows(
        demo_engine,
        "select id, version from action where lead_agency_id = :a and status <> 'completed'"
        " order by id limit 1",
        a=lead.agency_id,
    )[0]
    version = action["version"]
    for note in FORMULAS:
        saved = services.add_progress_update(demo_engine, lead, action["id"], note, version=version)
        version = saved["version"]
    with demo_engine.connect() as conn:
        trail = worklists.audit_trail(conn, "action", action["id"])
    shown = widgets.audit_display(trail)
    assert set(FORMULAS) <= set(shown["Now"])  # the page shows the notes as written
    csv_text = tabular.to_csv_bytes(shown).decode("utf-8-sig")
    for formula in FORMULAS:
        assert f"'{formula}" in csv_text.replace('""', '"')
    at = make_app(BOARD, page="app_pages/history.py", query_params={"action": str(action["id"])})
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "Download CSV" in labels and "Download Excel (XLSX)" in labels


# --- 16: sign-out clears the session -------------------------------------------------------------

CASE_16 = "16-state-survives-sign-out"


def test_16_sign_out_clears_the_whole_session(demo_engine, app_env):
    assert "clears the whole session" in case_readme(CASE_16)
    at = make_app(None)
    at = sign_in(at, ADMIN, demo.DEMO_PASSWORDS[ADMIN][3])
    at.switch_page("app_pages/my_actions.py")
    at.run()
    assert not at.exception
    admin_rows = set(at.session_state["bulk_original"]["id"])
    police = user(demo_engine, POLICE)
    lead_open = {
        r["id"]
        for r in rows(
            demo_engine,
            "select id from action where lead_agency_id = :a"
            " and status in ('not_started', 'in_progress', 'on_hold')",
            a=police["agency_id"],
        )
    }
    assert admin_rows - lead_open  # the admin's table holds other agencies' actions
    at = sign_out(at)
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    for key in ("bulk_original", "user", "user_email", "bulk_editor"):
        assert key not in at.session_state
    at = sign_in(at, POLICE, demo.DEMO_PASSWORDS[POLICE][3])
    at.switch_page("app_pages/my_actions.py")
    at.run()
    assert not at.exception
    assert set(at.session_state["bulk_original"]["id"]) <= lead_open


# --- 17: evidence only to a signed-in reader allowed to see it, built on the click ---------------

CASE_17 = "17-evidence-served-without-session"
PDF = b"%PDF-1.4 evidence of training\n"


def test_17_evidence_download_is_built_on_the_click_for_an_allowed_reader(demo_engine, app_env):
    assert "built on the click" in case_readme(CASE_17)
    lead, action = police_action(demo_engine)
    evidence = attach_file(demo_engine, lead, action, "training.pdf", PDF)
    at = make_app(BOARD, page="app_pages/history.py", query_params={"action": str(action["id"])})
    assert not at.exception
    (button,) = [b for b in at.get("download_button") if b.label.startswith("Download training")]
    assert button.proto.url == ""  # nothing sits at a /media address from the page render
    file_id = button.proto.deferred_file_id
    assert file_id
    # On the click Streamlit runs the button's callable, files.read_evidence for the signed-in
    # reader: the bytes are read then, and the reader checked against the database then.
    assert files.read_evidence(demo_engine, BOARD, evidence["id"]) == PDF
    assert files.read_evidence(demo_engine, POLICE, evidence["id"]) == PDF
    for refused in (CSC, VIEWER, "nobody@northbridge.example"):
        with pytest.raises(files.EvidenceRefused):
            files.read_evidence(demo_engine, refused, evidence["id"])
    services.set_user_active(demo_engine, actor(demo_engine, ADMIN), BOARD, False)
    with pytest.raises(files.EvidenceRefused):  # disabled since the page was drawn
        files.read_evidence(demo_engine, BOARD, evidence["id"])
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "How long a download link lives" in readme


# --- 18: no traceback, no source path ------------------------------------------------------------

CASE_18 = "18-traceback-on-out-of-range-id"


@pytest.mark.parametrize(
    "raw", ["111111111111111111111111111111", "2147483648", "-1", "0", "abc", "²", "9999999"]
)
def test_18_an_out_of_range_or_unknown_id_says_no_such_action(demo_engine, app_env, raw):
    assert '"No such action"' in case_readme(CASE_18)
    at = make_app(BOARD, page="app_pages/history.py", query_params={"action": raw})
    assert not at.exception
    assert any(w.value.startswith("No such action.") for w in at.warning)
    assert navigation.parse_record_id(raw) in (None, 9999999)


def test_18_a_failing_page_shows_a_plain_message_and_logs_no_personal_data(
    demo_engine, app_env, monkeypatch, caplog
):
    assert "page-level guard that logs the error" in case_readme(CASE_18)
    # Whatever path runs a page, Streamlit shows no traceback or exception text.
    assert streamlit_config()["client"]["showErrorDetails"] == "none"
    secret = "Family of Pat Example at 1 High Street"

    def broken(*_args, **_kwargs):
        raise ValueError(secret)

    # data.read finds a read model by its module and name: the broken one stands in for it.
    broken.__module__, broken.__qualname__ = "monitoring.queries", "most_overdue_actions"
    from monitoring import queries

    monkeypatch.setattr(queries, "most_overdue_actions", broken)
    with caplog.at_level(logging.ERROR, logger="monitoring.pages"):
        at = make_app(BOARD)  # dashboard.py runs the Overview page through its guard
    assert not at.exception
    assert [e.value for e in at.error] == [navigation.PAGE_FAILED]
    page_text = " ".join(str(e.value) for e in [*at.markdown, *at.error, *at.caption])
    assert "Traceback" not in page_text and ".py" not in page_text and secret not in page_text
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "page Overview failed: ValueError at" in logged and secret not in logged


# --- 19: owner-only files whatever the umask ----------------------------------------------------

CASE_19 = "19-files-readable-by-everyone"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_19_database_wal_and_evidence_are_owner_only(demo_engine, tmp_path, monkeypatch, umask_022):
    assert "0600 files, 0700 folders" in case_readme(CASE_19)
    path = tmp_path / "new" / "monitoring.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    with engine.connect() as conn:  # a reader keeps the WAL and SHM files open
        conn.execute(text("select count(*) from review")).scalar()
        for suffix in ("", "-wal", "-shm"):
            assert files.mode_of(f"{path}{suffix}") == 0o600, suffix
    engine.dispose()
    assert files.mode_of(path.parent) == 0o700

    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))
    lead, action = police_action(demo_engine)
    row = attach_file(demo_engine, lead, action, "a.txt", b"x")
    stored = config.evidence_dir() / row["file_path"]
    assert files.mode_of(stored) == 0o600
    assert files.mode_of(stored.parent) == 0o700
    assert files.mode_of(config.evidence_dir()) == 0o700


def test_19_init_tightens_an_existing_database_and_evidence(tmp_path, monkeypatch, umask_022):
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("create table t (x)").connection.close()
    os.chmod(path, 0o644)
    evidence = tmp_path / "evidence"
    (evidence / "7").mkdir(parents=True)
    (evidence / "7" / "file.pdf").write_bytes(b"%PDF")
    os.chmod(evidence, 0o755)
    os.chmod(evidence / "7", 0o755)
    os.chmod(evidence / "7" / "file.pdf", 0o644)
    monkeypatch.setenv("MONITORING_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(evidence))
    db.dispose_engines()
    try:
        assert cli.main(["init"]) == 0
    finally:
        db.dispose_engines()
    assert files.mode_of(path) == 0o600
    assert files.mode_of(evidence) == 0o700
    assert files.mode_of(evidence / "7") == 0o700
    assert files.mode_of(evidence / "7" / "file.pdf") == 0o600


# --- 20: sign-ins audited and visible to administrators ------------------------------------------

CASE_20 = "20-sign-ins-not-audited"


def test_20_every_sign_in_refusal_lockout_unlock_and_sign_out_is_audited(demo_engine, app_env):
    assert "the reason, which the user never sees" in case_readme(CASE_20)
    at = make_app(None)
    for _ in range(20):
        at = sign_in(at, POLICE, "wrong password!")
        assert [e.value for e in at.error] == [md(auth.BAD_LOGIN)]  # no reason shown
    at = sign_in(at, POLICE, demo.DEMO_PASSWORDS[POLICE][3])  # locked: refused
    services.unlock_user(demo_engine, actor(demo_engine, ADMIN), POLICE)
    at = sign_in(at, POLICE, demo.DEMO_PASSWORDS[POLICE][3])
    assert not at.exception and at.title[0].value != "Safeguarding learning monitor"
    at = sign_out(at)
    at = sign_in(at, "nobody@northbridge.example", "whatever it is")

    with demo_engine.connect() as conn:
        log = auth.sign_in_log(conn)
    events = list(reversed(list(zip(log["Account"], log["Event"], strict=True))))
    wrong = auth.REFUSED_PASSWORD
    locked = f"{auth.REFUSED_PASSWORD}; {auth.LOCKED_NOW}"
    assert events[:4] == [(POLICE, wrong)] * 4
    assert events[4][0] == POLICE and events[4][1].startswith("locked until")
    assert events[5] == (POLICE, locked)
    assert events[6:21] == [(POLICE, auth.REFUSED_LOCKED)] * 15
    assert events[21] == (POLICE, auth.REFUSED_LOCKED)  # the right password while locked
    assert events[22] == (POLICE, "unlocked")
    assert events[23:] == [
        (POLICE, auth.SIGNED_IN),
        (POLICE, auth.SIGNED_OUT),
        ("nobody@northbridge.example", auth.REFUSED_NO_ACCOUNT),
    ]
    assert all(log["When (UTC)"].str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$"))

    admin = make_app(ADMIN, page="app_pages/users.py")
    assert not admin.exception
    assert "Sign-in log" in [s.value for s in admin.subheader]
    shown = admin.dataframe[-1].value
    # Shown in UK time (case 09); the stored log keeps UTC.
    assert list(shown.columns) == ["When (UK time)", *auth.SIGN_IN_LOG_COLUMNS[1:]]
    assert auth.REFUSED_PASSWORD in set(shown["Event"])
    lead = make_app(POLICE, page="app_pages/users.py")  # refused: sent to the Overview
    assert "Sign-in log" not in [s.value for s in lead.subheader]
    assert "That page is not open to agency leads: Users." in [i.value for i in lead.info]


def test_20_single_sign_on_sign_ins_are_audited_once_per_session(demo_engine, app_env):
    at = make_app(BOARD)
    at.run()
    make_app("stranger@other.example")
    with demo_engine.connect() as conn:
        log = auth.sign_in_log(conn)
    events = list(zip(log["Account"], log["Event"], strict=True))
    assert events.count((BOARD, auth.SIGNED_IN_SSO)) == 1
    assert ("stranger@other.example", auth.REFUSED_SSO_NO_ACCOUNT) in events


# --- 21: NCSC-style password policy --------------------------------------------------------------

CASE_21 = "21-weak-passwords-accepted"
WEAK = {
    " " * 12: "only spaces",
    "password1234": "commonly used",
    "\x00" * 12: "only spaces or invisible",
    "\t\n\r \u200b\u00a0" * 2: "only spaces or invisible",
    "short-1": "at least 12",
    "aaaaaaaaaaaaaaaa": "too easy to guess",
    "new.person@northbridge.example": "e-mail address",
    "NEW.PERSON@northbridge.example ": "e-mail address",
}


@pytest.mark.parametrize(("password", "why"), list(WEAK.items()))
def test_21_weak_passwords_are_refused_saying_why(demo_engine, password, why):
    assert "not the e-mail address" in case_readme(CASE_21)
    admin = actor(demo_engine, ADMIN)
    email = "new.person@northbridge.example"
    with pytest.raises(services.ValidationError, match="password: refused because") as refusal:
        services.create_user(demo_engine, admin, email, "New Person", "board", password=password)
    assert why in str(refusal.value)
    assert not rows(demo_engine, "select id from app_user where email = :e", e=email)
    own = password.replace("new.person", "police.lead").replace("NEW.PERSON", "POLICE.LEAD")
    with pytest.raises(services.ValidationError, match=why):
        services.set_user_password(demo_engine, admin, POLICE, own)


def test_21_a_good_password_is_accepted_by_the_command_and_the_users_page(
    demo_engine, app_env, monkeypatch, capsys
):
    monkeypatch.setenv("NEW_PASSWORD", "password1234")
    assert cli.main(["user", "add", "a@northbridge.example", "--name", "A", "--role", "board",
                     "--password-env", "NEW_PASSWORD"]) == 1  # fmt: skip
    assert "commonly used passwords" in capsys.readouterr().err
    monkeypatch.setenv("NEW_PASSWORD", "violet kettle harbour")
    assert cli.main(["user", "add", "a@northbridge.example", "--name", "A", "--role", "board",
                     "--password-env", "NEW_PASSWORD"]) == 0  # fmt: skip
    assert auth.authenticate(demo_engine, "a@northbridge.example", "violet kettle harbour")
    monkeypatch.setenv("NEW_PASSWORD", " " * 12)
    assert cli.main(["user", "password", "a@northbridge.example",
                     "--password-env", "NEW_PASSWORD"]) == 1  # fmt: skip
    assert "only spaces" in capsys.readouterr().err

    at = make_app(ADMIN, page="app_pages/users.py")
    form = [t for t in at.text_input if t.label == "E-mail address"][0]
    form.input("b@northbridge.example")
    [t for t in at.text_input if t.label == "Name"][0].input("B")
    [t for t in at.text_input if t.label.startswith("Password")][0].input("qwertyuiopas")
    next(b for b in at.button if b.label == "Add account").click()
    at.run()
    assert not at.exception
    assert any("too easy to guess" in e.value for e in at.error)
    assert not rows(demo_engine, "select id from app_user where email = 'b@northbridge.example'")


# --- 22: one upload limit, one unit --------------------------------------------------------------

CASE_22 = "22-upload-limit-units"


def test_22_one_limit_in_one_unit_on_the_page_in_the_service_and_in_the_readme(
    demo_engine, app_env
):
    assert "one limit, one unit" in case_readme(CASE_22).lower()
    # Streamlit's browser counts server.maxUploadSize megabytes of 1,000,000 bytes (1,048,576
    # only on Windows), its server 1,048,576: the service takes the smaller.
    megabytes = streamlit_config()["server"]["maxUploadSize"]
    assert services.MAX_EVIDENCE_BYTES == megabytes * 1_000_000 == 10_000_000
    assert widgets.UPLOAD_LIMIT == "10 MB (10,000,000 bytes)"
    lead, action = police_action(demo_engine)
    exactly = attach_file(demo_engine, lead, action, "exact.txt", b"x" * 10_000_000)
    assert exactly["size_bytes"] == 10_000_000
    with pytest.raises(services.ValidationError, match=r"the limit is 10 MB \(10,000,000 bytes\)"):
        services.attach_evidence(
            demo_engine,
            lead,
            action["id"],
            version=None,
            file_name="over.txt",
            content=b"x" * (services.MAX_EVIDENCE_BYTES + 1),
        )
    at = make_app(POLICE, page="app_pages/my_actions.py")
    helps = [u.proto.help for u in at.get("file_uploader")]
    assert helps and all(widgets.UPLOAD_LIMIT in h for h in helps)
    assert widgets.UPLOAD_LIMIT in (ROOT / "README.md").read_text(encoding="utf-8")
