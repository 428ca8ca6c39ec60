"""What runs on the coordinator's own machine, with the private key: opening a full export,
and re-sealing contacts to a new key. Pure: files in, files out, no app and no database.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from nacl.public import PrivateKey

from portal.safety import keys

RESEAL_FORMAT = "undersigned-sealed-contacts-v1"


@dataclass(frozen=True)
class Opened:
    text: str
    unsealed: int
    unopened: int  # sealed to another key than the one given


def _open_row(private: PrivateKey, row: dict) -> int:
    """Fill ``email`` from ``email_sealed``: 1 opened, -1 not with this key, 0 nothing sealed."""
    sealed = row.get("email_sealed") or ""
    if not sealed:
        return 0
    plain = keys.unseal(private, sealed)
    if plain is None:
        return -1
    row["email"] = plain
    return 1


def unseal_export(private: PrivateKey, text: str) -> Opened:
    """A full export (CSV or JSON, as the workspace gives it) with its sealed emails opened.

    :raises ValueError: neither a CSV nor a JSON full export.
    """
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        results = [_open_row(private, row) for row in data.get("signatories", [])]
        data.setdefault("contacts", {})["sealed"] = results.count(-1)
        out = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "email_sealed" not in reader.fieldnames:
            raise ValueError("not a full export with sealed contacts (no email_sealed column)")
        rows = list(reader)
        results = [_open_row(private, row) for row in rows]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, reader.fieldnames, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        out = buffer.getvalue()
    return Opened(out, results.count(1), results.count(-1))


def reseal(private: PrivateKey, new_public: str, data: dict) -> tuple[dict, int, int]:
    """Open each value of a ``flask contacts reseal export`` file with the old private key
    and seal it to the new public key.

    :returns: the file for ``flask contacts reseal import``, how many were resealed, and how
        many this key could not open (left out).
    :raises ValueError: not such a file.
    """
    if data.get("format") != RESEAL_FORMAT:
        raise ValueError("not a file written by flask contacts reseal export")
    fingerprint = keys.fingerprint(new_public)
    rows, unopened = [], 0
    for row in data.get("rows", []):
        plain = keys.unseal(private, row.get("sealed") or "")
        if plain is None:
            unopened += 1
            continue
        rows.append({"id": row["id"], "was": row["sealed"], "key": fingerprint,
                     "sealed": keys.seal(new_public, plain)})
    return {"format": RESEAL_FORMAT, "key": fingerprint, "rows": rows}, len(rows), unopened
