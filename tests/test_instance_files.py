"""A fresh instance folder is the app's user's alone (issue 11, finding 12): 0700, files 0600.

The folder holds the secret key, the SQLite database with contact emails (and its WAL and
shared-memory files), the rate-limit counters and the demo login. The test runs under a umask
of 0, which would leave every one of them readable and writable by anyone on the host.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager

from portal import create_app
from portal.abuse import ratelimits
from portal.extensions import db

EXPECTED = {"secret_key", "portal.sqlite3", "portal.sqlite3-wal", "portal.sqlite3-shm", "ratelimits.sqlite3",
            "ratelimits.sqlite3-wal", "ratelimits.sqlite3-shm", "demo-login.txt"}


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_fresh_instance_folder_and_every_file_in_it_are_private(tmp_path, monkeypatch):
    folder = tmp_path / "fresh" / "instance"
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(folder))
    with umask(0):
        app = create_app({"TESTING": True, "MAIL_SENDER_THREAD": False, "RATELIMIT_ENABLED": True,
                          "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
        assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'portal.sqlite3'}"
        with app.app_context():
            db.create_all()
            result = app.test_cli_runner().invoke(args=["demo"])
            assert result.exit_code == 0, result.output
            ratelimits.exceeded("SIGN_RATE_LIMIT", "a-client")  # the counters' file is written
            # While connections are open, SQLite keeps each database's -wal and -shm files.
            db.session.execute(db.text("SELECT count(*) FROM signatures")).scalar_one()
            found = {entry.name: mode(entry) for entry in folder.iterdir()}
            folder_mode = mode(folder)
            db.session.remove()
            db.engine.dispose()
    assert folder_mode == 0o700
    assert EXPECTED <= set(found), f"missing: {EXPECTED - set(found)}"
    loose = {name: oct(m) for name, m in found.items() if m & 0o077}
    assert not loose, f"readable by others: {loose}"


def test_a_checked_out_empty_folder_is_made_private(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / ".gitkeep").touch()  # as the repository ships it
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(folder))
    app = create_app({"TESTING": True, "MAIL_SENDER_THREAD": False, "SECRET_KEY": "k" * 32})
    with app.app_context():
        db.engine.dispose()
    assert mode(folder) == 0o700


def test_an_existing_folder_open_to_others_is_reported_not_changed(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "config.py").write_text("LOG_LEVEL = 'WARNING'\n")  # in use: the administrator's
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(folder))
    app = create_app({"TESTING": True, "MAIL_SENDER_THREAD": False, "SECRET_KEY": "k" * 32})
    with app.app_context():
        db.engine.dispose()
    assert mode(folder) == 0o755
    assert "readable by other users: chmod 700 it" in caplog.text
    assert mode(folder / "portal.sqlite3") == 0o600  # a new file in it is still private
