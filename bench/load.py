"""The load generators: wrk for GETs, and an asyncio client of our own for the signing flow."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk" / "report.lua"
CONNECTIONS = 16


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    statuses: dict[str, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_missing() -> str | None:
    if shutil.which("wrk"):
        return None
    return (
        "wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk "
        "(the benchmark needs it for the GET scenarios)."
    )


def wrk(
    url: str,
    seconds: float,
    etag: str = "",
    expect: tuple[int, ...] = (200,),
    fragment: bool = False,
    reload: bool = False,
    connections: int = CONNECTIONS,
    unique: bool = False,
) -> Result:
    """Run wrk against one URL; responses with a status not in ``expect`` count as errors."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        etag,
        "fragment" if fragment else "page",
        "reload" if reload else "",
        "unique" if unique else "",
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next((ln for ln in output.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures for {url}:\n{output[-2000:]}")
    data = json.loads(line[len("WRKJSON ") :])
    statuses = data["statuses"]
    unexpected = sum(n for status, n in statuses.items() if int(status) not in expect)
    return Result(
        rps=round(data["requests"] / (data["duration_us"] / 1e6), 1),
        p50_ms=round(data["p50_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["socket_errors"] + unexpected,
        requests=data["requests"],
        statuses=statuses,
    )


class Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (reconnects when the server closes)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            found[name.strip().lower()] = value.strip()
        if "content-length" in found:
            payload = await self.reader.readexactly(int(found["content-length"]))
        elif found.get("transfer-encoding") == "chunked":
            payload = b""
            while size := int((await self.reader.readline()).strip(), 16):
                payload += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
        else:
            payload = await self.reader.read()
        if found.get("connection", "").lower() == "close":
            await self.close()
        return status, found, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


TOKEN = re.compile(rb'name="csrf_token" value="([^"]+)"')
STARTED = re.compile(rb'name="started" value="([^"]*)"')


def _form(page: bytes, token: str, email: str) -> bytes:
    started = STARTED.search(page)  # the fill-time stamp, sent back as a browser would
    return urllib.parse.urlencode(
        {
            "csrf_token": token,
            "started": started.group(1).decode() if started else "",
            "comment": "",  # the honeypot, left empty
            "kind": "organisation",
            "name": f"Bench Signers {email.split('@')[0]}",
            "signer_name": "Ana Pérez",
            "role": "Director",
            "website": "",
            "org_type": "ngo",
            "country": "FR",
            "email": email,
            "visibility": "full",
            "authorised": "y",
        }
    ).encode()


async def _signer(base: str, slug: str, run: str, number: int, deadline: float, stats: dict) -> None:
    parsed = urllib.parse.urlsplit(base)
    connection = Connection(parsed.hostname, parsed.port)
    k = 0
    try:
        while time.monotonic() < deadline:
            k += 1
            email = f"sign-{run}-{number}-{k}@example.org"
            try:
                # 1. The form, 2. the POST with its token, 3. the page the 303 leads to.
                status, _h, page = await connection.request("GET", f"/en/s/{slug}")
                match = TOKEN.search(page)
                if status != 200 or not match:
                    stats["errors"] += 1
                    continue
                started = time.monotonic()
                status, headers, _b = await connection.request(
                    "POST",
                    f"/en/s/{slug}/sign",
                    _form(page, match.group(1).decode(), email),
                    {"Origin": base, "Sec-Fetch-Site": "same-origin"},
                )
                stats["post_latency"].append(time.monotonic() - started)
                if status != 303:
                    stats["errors"] += 1
                    stats["statuses"][str(status)] = stats["statuses"].get(str(status), 0) + 1
                    continue
                stats["acknowledged"].append(email)
                status, _h, _b = await connection.request(
                    "GET", urllib.parse.urlsplit(headers["location"]).path
                )
                stats["flow_latency"].append(time.monotonic() - started)
                if status != 200:
                    stats["errors"] += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                stats["errors"] += 1
                await connection.close()
    finally:
        await connection.close()


async def _sign_all(base: str, slug: str, run: str, seconds: float, connections: int) -> dict:
    stats: dict = {"errors": 0, "acknowledged": [], "post_latency": [], "flow_latency": [], "statuses": {}}
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(_signer(base, slug, run, i, deadline, stats) for i in range(connections)))
    return stats


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def signing(base: str, slug: str, run: str, seconds: float, connections: int = CONNECTIONS) -> Result:
    """Whole signing flows for ``seconds``; rps counts acknowledged signatures (303s) per second."""
    started = time.monotonic()
    stats = asyncio.run(_sign_all(base, slug, run, seconds, connections))
    elapsed = time.monotonic() - started
    latency = stats["post_latency"]
    return Result(
        rps=round(len(stats["acknowledged"]) / elapsed, 1),
        p50_ms=round(_percentile(latency, 50) * 1000, 2),
        p99_ms=round(_percentile(latency, 99) * 1000, 2),
        errors=stats["errors"],
        requests=len(latency),
        statuses=stats["statuses"],
        extra={
            "acknowledged": len(stats["acknowledged"]),
            "flow_p50_ms": round(_percentile(stats["flow_latency"], 50) * 1000, 2),
        },
    )


async def _insert_all(base: str, run: str, seconds: float, connections: int) -> dict:
    parsed = urllib.parse.urlsplit(base)
    stats: dict = {"ok": 0, "errors": 0, "latency": []}
    deadline = time.monotonic() + seconds

    async def one(number: int) -> None:
        connection, k = Connection(parsed.hostname, parsed.port), 0
        while time.monotonic() < deadline:
            k += 1
            body = urllib.parse.urlencode(
                {"name": f"Ref {number} {k}", "email": f"ref-{run}-{number}-{k}@example.org"}
            ).encode()
            started = time.monotonic()
            try:
                status, _h, _b = await connection.request("POST", "/sign", body)
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                stats["errors"] += 1
                await connection.close()
                continue
            stats["latency"].append(time.monotonic() - started)
            stats["ok" if status == 303 else "errors"] += 1
        await connection.close()

    await asyncio.gather(*(one(i) for i in range(connections)))
    return stats


def inserts(base: str, run: str, seconds: float, connections: int = CONNECTIONS) -> Result:
    """The signing reference: one POST and one durable insert per request."""
    started = time.monotonic()
    stats = asyncio.run(_insert_all(base, run, seconds, connections))
    elapsed = time.monotonic() - started
    return Result(
        rps=round(stats["ok"] / elapsed, 1),
        p50_ms=round(_percentile(stats["latency"], 50) * 1000, 2),
        p99_ms=round(_percentile(stats["latency"], 99) * 1000, 2),
        errors=stats["errors"],
        requests=len(stats["latency"]),
    )
