"""Bulk seeding: N validated signatures on one published statement, fast.

The rows carry the same ``sort_key`` and ``search_text`` that :mod:`portal.signatures.signing` writes.
Computing a UCA key with pyuca costs about 60 µs a name (a minute per million), so the keys
are assembled from cached collation elements of each word and digit: names are words joined
by spaces, and a space ends any contraction, so the result is identical (it is checked
against :func:`portal.text.sort_key` on a sample before every load).

SQLite loads with ``executemany`` in one transaction with its secondary indexes and FTS
triggers dropped, then rebuilds them; PostgreSQL loads with ``COPY`` and builds its indexes
afterwards. Both end with ``ANALYZE``.
"""

from __future__ import annotations

import random
import secrets
import struct
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import CountryTally, Signature, Statement, StatementTranslation
from portal.signatures import search
from portal.statements.reading import cursor_for
from portal.text import SORT_KEY_WEIGHTS, collator, fold, name_key, sort_key

SLUG = "bench-statement"
PREFIXES = list(
    "Association,Réseau,Syndicat,Union,Collectif,Fundación,Instituto,Centre,Observatoire,"
    "Press Club,Committee,Forum,Alliance,Fédération,Stowarzyszenie,Vereinigung,Coalition,"
    "Sindicato,Liga,Foundation".split(",")
)
MIDDLES = list(
    "Libre,Independent,des Journalistes,for Press Freedom,de Periodistas,Media,Reporters,"
    "Rights Watch,Voice,Ötzi,Solidarité,Prensa Libre,Öffentlichkeit,Wolne Media,Information,"
    "Écrivains,Investigative,Community Radio,Digital,Ética".split(",")
)
PLACES = list(
    "Bogotá,São Paulo,Kraków,Zürich,Nairobi,Beirut,Tunis,Kyiv,Tbilisi,Manila,Dakar,Québec,"
    "Reykjavík,Lagos,Ankara,Lima,Oslo,Hà Nội,Málaga,Łódź,Montréal,Kampala,Almaty,Yerevan,"
    "Caracas,Jakarta,Accra,Athína,Bruxelles,Córdoba,Skopje,Tirana,Praha,Genève,Dhaka,Harare,"
    "Quito,La Paz,Rabat,Colombo".split(",")
)
COUNTRIES = list(
    "FR,DE,ES,IT,GB,US,CO,BR,PL,CH,KE,LB,TN,UA,GE,PH,SN,CA,IS,NG,TR,PE,NO,VN,MX,UG,KZ,AM,VE,ID,"
    "GH,GR,BE,AR,MK,AL,CZ,BD,ZW,EC,BO,MA,LK,IN,JP".split(",")
)
COLUMNS = tuple(
    "uid,statement_id,kind,name,signer_name,role,website,org_type,authorised,country,"
    "visibility,email,email_canonical,lang,state,launch,ip_hash,confirmation_sends,sort_key,"
    "search_text,created_at,confirmed_at,moderated_at,name_key,screen_reason,proposed,keep_informed".split(",")
)
BODY = "\n\n".join(
    [
        "We, the undersigned organisations, call for the immediate release of the journalists detained "
        "for their work, and for every charge against them to be dropped. **Journalism is not a crime.**"
    ]
    * 6
)


@dataclass(frozen=True)
class Seeded:
    statement_id: int
    slug: str
    n: int
    seconds: float
    search_query: str  # matches a handful of names
    common_query: str  # matches most names
    deep_cursor: str  # keyset cursor 90 % of the way down the list
    phases: dict[str, float]  # seconds per step of the load


class KeyMaker:
    """UCA sort keys from cached per-word collation elements; equal to :func:`portal.text.sort_key`."""

    def __init__(self) -> None:
        self.collator = collator()
        self.cache: dict[str, list] = {}

    def _elements(self, piece: str) -> list:
        found = self.cache.get(piece)
        if found is None:
            found = self.cache[piece] = self.collator.collation_elements(unicodedata.normalize("NFD", piece))
        return found

    def key(self, words: list[str], number: str) -> str:
        elements: list = []
        for word in words:
            elements += self._elements(word)
            elements += self._elements(" ")
        for digit in number:
            elements += self._elements(digit)
        weights = self.collator.sort_key_from_collation_elements(elements)[:SORT_KEY_WEIGHTS]
        if max(weights, default=0) > 0xFFFF:
            return "".join(f"{w:04x}" for w in weights)
        return struct.pack(f">{len(weights)}H", *weights).hex()


def name_parts(i: int, rng: random.Random) -> tuple[list[str], str]:
    words = f"{rng.choice(PREFIXES)} {rng.choice(MIDDLES)} {PLACES[i % len(PLACES)]}".split(" ")
    return words, str(i)


def rows(n: int, statement_id: int = 1) -> Iterator[tuple]:
    """The rows, in :data:`COLUMNS` order; the same on both databases (UTC times, as SQLite stores them)."""
    rng = random.Random(6)
    keys = KeyMaker()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        words, number = name_parts(i, rng)
        name = " ".join(words) + " " + number
        country = COUNTRIES[int(rng.paretovariate(1.2)) % len(COUNTRIES)]
        roll = rng.random()
        visibility = "hidden" if roll < 0.02 else "country" if roll < 0.07 else "full"
        key = "ffff" + country.encode().hex() if visibility == "country" else keys.key(words, number)
        moment = (start + timedelta(seconds=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
        yield (
            secrets.token_urlsafe(12),
            statement_id,
            "organisation",
            name,
            "Signer",
            "Director",
            "",
            "",
            True,
            country,
            visibility,
            f"bench{i}@example.org",
            f"bench{i}@example.org",
            "en",
            "validated",
            False,
            None,
            1,
            key,
            fold(name),
            moment,
            moment,
            moment,
            name_key(name),
            "",
            "",
            False,
        )


def check_keys(sample: int = 500) -> None:
    """The assembled keys equal the application's own, or the load would sort wrongly."""
    rng, keys = random.Random(7), KeyMaker()
    for _ in range(sample):
        words, number = name_parts(rng.randrange(10**7), rng)
        name = " ".join(words) + " " + number
        if keys.key(words, number) != sort_key(name):
            raise AssertionError(f"assembled sort key differs from portal.text.sort_key for {name!r}")


def create_statement(slug: str = SLUG) -> int:
    statement = Statement(
        slug=slug,
        original_lang="en",
        state="published",
        moderation="pre",
        published_at=datetime.now(UTC) - timedelta(days=1),
    )
    for lang, title in (
        ("en", "Free the reporters"),
        ("fr", "Libérez les reporters"),
        ("ar", "أطلقوا سراح الصحفيين"),
    ):
        statement.translations.append(
            StatementTranslation(
                lang=lang, title=title, summary="A call to free them.", body_md=BODY, published=True
            )
        )
    db.session.add(statement)
    db.session.commit()
    return statement.id


def _load_sqlite(engine, data: Iterable[tuple], phases: dict) -> None:
    with engine.begin() as connection:
        for index in Signature.__table__.indexes:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_signatures_prefix")
        search.drop_sqlite_triggers(connection)
    pooled = engine.raw_connection()
    try:
        raw = pooled.driver_connection  # autocommit mode: see portal.database.tune_sqlite
        raw.execute("PRAGMA synchronous=OFF")  # a bulk load that can simply be redone
        raw.execute("PRAGMA cache_size=-1000000")  # 1 GB: the unique indexes take random inserts
        raw.execute("BEGIN")
        placeholders = ", ".join("?" for _ in COLUMNS)
        raw.executemany(f"INSERT INTO signatures ({', '.join(COLUMNS)}) VALUES ({placeholders})", data)
        raw.execute("COMMIT")
        raw.execute("PRAGMA synchronous=FULL")
    finally:
        pooled.close()
    _lap(phases, "insert rows")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size=-1000000")
        for index in Signature.__table__.indexes:
            index.create(connection)
        _lap(phases, "build B-tree indexes")
        search.install(connection)
        _lap(phases, "build FTS5 trigram index")
        connection.exec_driver_sql("ANALYZE")
        _lap(phases, "analyze")


def _load_postgres(engine, data: Iterable[tuple], phases: dict) -> None:
    with engine.begin() as connection:
        _copy_postgres(connection, data, phases)


def _copy_postgres(connection, data: Iterable[tuple], phases: dict) -> None:
    for index in Signature.__table__.indexes:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_signatures_search_trgm, ix_signatures_prefix")
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        with cursor.copy(f"COPY signatures ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
    _lap(phases, "insert rows")
    connection.exec_driver_sql("SET maintenance_work_mem = '512MB'")
    for index in Signature.__table__.indexes:
        index.create(connection)
    _lap(phases, "build B-tree indexes")
    search.install(connection)
    _lap(phases, "build trigram index")
    connection.exec_driver_sql("ANALYZE signatures")
    _lap(phases, "analyze")


def _lap(phases: dict, name: str) -> None:
    now = time.perf_counter()
    phases[name] = round(now - phases.pop("_t"), 2)
    phases["_t"] = now


def _cursor_at(data: list[tuple], fraction: float) -> str:
    """The keyset cursor ``fraction`` of the way down the list, found in memory (ids are 1..n)."""
    key_at, visibility_at = COLUMNS.index("sort_key"), COLUMNS.index("visibility")
    listed = sorted((row[key_at], i) for i, row in enumerate(data, start=1) if row[visibility_at] != "hidden")
    if not listed:
        return ""
    key, ident = listed[min(len(listed) - 1, int(len(listed) * fraction))]
    stored = db.session.execute(select(Signature.sort_key).where(Signature.id == ident)).scalar_one()
    if stored != key:
        raise AssertionError("signature ids are not 1..n: seed() needs an empty database")
    return cursor_for(1, ident)


def generate(n: int) -> list[tuple]:
    """All ``n`` rows, to load into one database or several."""
    check_keys()
    return list(rows(n))


def seed(n: int, slug: str = SLUG, data: list[tuple] | None = None) -> Seeded:
    """Create the schema if needed and one statement with ``n`` validated signatures.

    Call inside an application context, on an empty database (the statement gets id 1).
    :param data: rows from :func:`generate`, when they are shared between databases.
    :returns: what the scenarios need, and the seconds taken (generating the rows included).
    """
    started = time.perf_counter()
    phases: dict[str, float] = {"_t": started}
    data = generate(n) if data is None else data
    _lap(phases, "generate rows")
    db.create_all()
    statement_id = create_statement(slug)
    if statement_id != 1 or len(data) != n:
        raise ValueError("seed() needs an empty database and n rows")
    # Per-country tallies count listed signatures only (portal/counts.py).
    country_at, visibility_at = COLUMNS.index("country"), COLUMNS.index("visibility")
    tally = Counter(row[country_at] for row in data if row[visibility_at] != "hidden")
    dialect = db.engine.dialect.name
    db.session.remove()
    _lap(phases, "schema and statement")
    (_load_sqlite if dialect == "sqlite" else _load_postgres)(db.engine, data, phases)
    with db.engine.begin() as connection:
        connection.execute(
            CountryTally.__table__.insert(),
            [{"statement_id": statement_id, "country": c, "n": k} for c, k in tally.items()],
        )
        connection.execute(
            Statement.__table__.update()
            .where(Statement.id == statement_id)
            .values(
                count_total=n,
                count_organisations=n,
                count_individuals=0,
                count_countries=len(tally),
                version=Statement.version + 1,
            )
        )
    deep_cursor = _cursor_at(data, 0.9)
    _lap(phases, "tallies and probes")
    del phases["_t"]
    probe = max(0, int(n * 0.42))
    words, number = name_parts(probe, random.Random(0))
    seconds = time.perf_counter() - started
    return Seeded(
        statement_id=statement_id,
        slug=slug,
        n=n,
        seconds=seconds,
        search_query=fold(f"{PLACES[probe % len(PLACES)]} {number}"),
        common_query="press",
        deep_cursor=deep_cursor,
        phases=phases,
    )
