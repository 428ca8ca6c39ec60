"""The instance folder and its files, readable by the app's own user only.

The folder holds the secret key, the SQLite database (contact emails), the rate-limit
counters and the demo login. It is created 0700 and each file 0600, whatever the umask.
SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the database file, so
creating the (empty) database file 0600 before the first connection covers them too.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_folder(path: str | os.PathLike) -> None:
    """Create the instance folder 0700; warn if an existing one is open to others.

    A folder that holds nothing yet (a fresh checkout's ``instance/`` with its ``.gitkeep``)
    is made 0700 too. One in use keeps the mode its administrator gave it (a group may be
    meant to read it), but the log says so.
    """
    folder = Path(path)
    if not folder.exists():
        folder.mkdir(parents=True, mode=FOLDER_MODE)
        folder.chmod(FOLDER_MODE)  # mkdir's mode is filtered by the umask
    elif stat.S_IMODE(folder.stat().st_mode) & 0o077:
        if {entry.name for entry in folder.iterdir()} <= {".gitkeep"}:
            folder.chmod(FOLDER_MODE)
        elif stat.S_IMODE(folder.stat().st_mode) & 0o007:
            log.warning("the instance folder %s is readable by other users: chmod 700 it", folder)


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; return it.

    :param path: a file that is about to be written, such as a SQLite database.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return path


def write_private(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path``, which is readable by its owner only (created or replaced)."""
    path = private_file(path)
    os.chmod(path, FILE_MODE)
    path.write_text(text)


def private_databases(urls: Iterable[str]) -> None:
    """Create each SQLite file among ``urls`` 0600 before SQLite creates it 0644.

    In-memory databases and other engines are skipped.
    """
    for url in urls:
        if not url or not url.startswith("sqlite"):
            continue
        database = make_url(url).database
        if database and database != ":memory:" and Path(database).parent.is_dir():
            private_file(database)
