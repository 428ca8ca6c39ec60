"""Demo data: three statements in the lifecycle states that matter, with signatures."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app

from portal import instance
from portal.accounts.coordinators import create_coordinator
from portal.commands.demo_people import Generator
from portal.database import write
from portal.models import (
    Signature,
    SignatureState,
    Statement,
    StatementTranslation,
    Visibility,
    new_uid,
    utcnow,
)
from portal.signatures.counts import reconcile
from portal.text import canonical_email, fold, listing_key

FREE_PRESS = {
    "en": ("Release Marta Ilieva now",
           "Press-freedom groups call for the immediate release of the journalist Marta Ilieva.",
           "We, the undersigned organisations, call on the authorities to **release journalist "
           "Marta Ilieva immediately and unconditionally**.\n\nMs Ilieva was detained on 3 November "
           "after reporting on public procurement. She has been held without charge for three "
           "weeks, and her lawyers have been denied access to her.\n\nWe ask the authorities to:\n\n"
           "1. release Marta Ilieva;\n2. drop every charge connected with her reporting;\n"
           "3. guarantee that journalists can work without fear of arrest.\n"),
    "fr": ("Libérez Marta Ilieva maintenant",
           "Des organisations de défense de la liberté de la presse demandent la libération "
           "immédiate de la journaliste Marta Ilieva.",
           "Nous, organisations soussignées, appelons les autorités à **libérer immédiatement et "
           "sans condition la journaliste Marta Ilieva**.\n\nMme Ilieva a été arrêtée le 3 novembre "
           "après des enquêtes sur les marchés publics. Elle est détenue sans inculpation depuis "
           "trois semaines et ses avocats n'ont pas pu la voir.\n\nNous demandons aux autorités :\n\n"
           "1. de libérer Marta Ilieva ;\n2. d'abandonner toutes les poursuites liées à son travail ;\n"
           "3. de garantir que les journalistes puissent travailler sans crainte d'être arrêtés.\n"),
    "es": ("Liberen ya a Marta Ilieva",
           "Organizaciones por la libertad de prensa piden la liberación inmediata de la "
           "periodista Marta Ilieva.",
           "Las organizaciones firmantes pedimos a las autoridades que **liberen de inmediato y sin "
           "condiciones a la periodista Marta Ilieva**.\n\nLa Sra. Ilieva fue detenida el 3 de "
           "noviembre tras informar sobre contratación pública. Lleva tres semanas detenida sin "
           "cargos y sus abogados no han podido verla.\n\nPedimos a las autoridades:\n\n"
           "1. que liberen a Marta Ilieva;\n2. que retiren todos los cargos relacionados con su "
           "trabajo;\n3. que garanticen que los periodistas puedan trabajar sin miedo a ser detenidos.\n"),
    "ar": ("أطلقوا سراح مارتا إيلييفا الآن",
           "منظمات حرية الصحافة تطالب بالإفراج الفوري عن الصحفية مارتا إيلييفا.",
           "نحن المنظمات الموقعة أدناه، ندعو السلطات إلى **الإفراج الفوري وغير المشروط عن الصحفية "
           "مارتا إيلييفا**.\n\nاحتُجزت السيدة إيلييفا في 3 نوفمبر بعد نشرها تقارير عن المشتريات "
           "العامة. وهي محتجزة منذ ثلاثة أسابيع دون توجيه أي تهمة، ومُنع محاموها من زيارتها.\n\n"
           "نطالب السلطات بما يلي:\n\n1. الإفراج عن مارتا إيلييفا؛\n2. إسقاط جميع التهم المتعلقة "
           "بعملها الصحفي؛\n3. ضمان قدرة الصحفيين على العمل دون خوف من الاعتقال.\n"),
    "ru": ("Освободите Марту Илиеву немедленно",
           "Организации, защищающие свободу прессы, требуют немедленно освободить журналистку "
           "Марту Илиеву.",
           "Мы, нижеподписавшиеся организации, призываем власти **немедленно и безоговорочно "
           "освободить журналистку Марту Илиеву**.\n\nГоспожа Илиева задержана 3 ноября после "
           "публикаций о государственных закупках. Уже три недели она находится под стражей без "
           "предъявления обвинений, а её адвокатов к ней не допускают.\n\nМы требуем от властей:\n\n"
           "1. освободить Марту Илиеву;\n2. снять все обвинения, связанные с её работой;\n"
           "3. гарантировать, что журналисты могут работать, не опасаясь ареста.\n"),
}

FOREIGN_AGENTS = {
    "en": ("Withdraw the foreign agents bill",
           "Civil society and individuals urge parliament to reject a bill that would brand "
           "independent groups as foreign agents.",
           "The draft law on \"transparency of foreign influence\" would force any group receiving "
           "funds from abroad to register as a *foreign agent*.\n\nIt would silence independent "
           "media and human-rights defenders. **We urge parliament to withdraw it.**\n"),
    "fr": ("Retirez le projet de loi sur les agents étrangers",
           "La société civile et des particuliers demandent au parlement de rejeter un texte qui "
           "qualifierait les groupes indépendants d'agents étrangers.",
           "Le projet de loi sur la « transparence de l'influence étrangère » obligerait tout groupe "
           "financé depuis l'étranger à s'enregistrer comme *agent étranger*.\n\nIl réduirait au "
           "silence les médias indépendants et les défenseurs des droits humains. **Nous demandons "
           "au parlement de le retirer.**\n"),
}

ARCHIVE = {
    "en": ("Protect journalists covering the elections",
           "A call, now closed, for the safety of reporters during the election campaign.",
           "Journalists covering the campaign were attacked in at least twelve incidents.\n\n"
           "We called on the authorities to investigate every attack and to protect reporters "
           "at polling stations.\n"),
    "es": ("Protejan a los periodistas que cubren las elecciones",
           "Un llamamiento, ya cerrado, por la seguridad de los reporteros durante la campaña.",
           "Periodistas que cubrían la campaña sufrieron al menos doce agresiones.\n\n"
           "Pedimos a las autoridades que investigaran cada ataque y protegieran a los reporteros "
           "en los colegios electorales.\n"),
}

def _statement(session, slug, texts, state, original="en", **fields) -> Statement:
    statement = Statement(slug=slug, original_lang=original, state=state, **fields)
    for lang, (title, summary, body) in texts.items():
        statement.translations.append(StatementTranslation(
            lang=lang, title=title, summary=summary, body_md=body, published=True))
    session.add(statement)
    session.flush()
    return statement


def _signatures(session, statement: Statement, n: int, rng: random.Random,
                individuals: bool = False) -> None:
    people = Generator(rng)
    langs = {t.lang for t in statement.translations}
    # From a day before publication (launch signatories) until closing or now, never later.
    start = (statement.published_at or utcnow()) - timedelta(days=1)
    minutes = max(1, int(((statement.closed_at or utcnow()) - start).total_seconds() // 60))
    for i in range(n):
        if individuals and rng.random() < 0.4:
            kind, (country, name) = "individual", people.individual()
        else:
            kind, (country, name) = "organisation", people.organisation()
        # Signers read the statement in their own language when it has it, else in the original.
        lang = country.lang if country.lang in langs else statement.original_lang
        visibility = rng.choices(list(Visibility), weights=[82, 12, 6])[0]
        state = rng.choices([SignatureState.validated, SignatureState.confirmed,
                             SignatureState.pending], weights=[90, 6, 4])[0]
        email = f"contact{i}@org{i}.example.org"
        moment = start + timedelta(minutes=rng.randint(0, minutes))
        session.add(Signature(
            uid=new_uid(), statement_id=statement.id, kind=kind, name=name,
            signer_name="Demo Signer" if kind == "organisation" else "",
            role="Director" if kind == "organisation" else "", authorised=kind == "organisation",
            country=country.code, visibility=visibility, email=email,
            email_canonical=canonical_email(email), lang=lang, state=state,
            sort_key=listing_key(name, visibility, country.code), search_text=fold(name),
            created_at=moment, confirmed_at=moment if state != "pending" else None,
            launch=statement.published_at is None or moment < statement.published_at,
        ))


def load(seed: int = 7) -> tuple[str, str]:
    """Create the demo statements and a coordinator; return the login."""
    rng = random.Random(seed)
    now = utcnow()
    with write() as session:
        released = _statement(session, "release-marta-ilieva", FREE_PRESS, "published",
                              published_at=now - timedelta(days=5),
                              deadline_at=now + timedelta(days=30))
        _signatures(session, released, 420, rng)
        agents = _statement(session, "foreign-agents-bill", FOREIGN_AGENTS, "collecting",
                            allow_individuals=True, moderation="post",
                            private_key="demo-private-link")
        _signatures(session, agents, 60, rng, individuals=True)
        archive = _statement(session, "elections-safety", ARCHIVE, "closed",
                             published_at=now - timedelta(days=90), closed_at=now - timedelta(days=60))
        _signatures(session, archive, 150, rng)
        session.flush()
        reconcile(session)
        # In the same transaction (a nested write() joins it): all the demo or none of it,
        # so a failed load never leaves statements that make ``--if-empty`` skip for good.
        email, password = "coordinator@undersigned.example", secrets.token_urlsafe(12)
        create_coordinator(email, "Demo Coordinator", password, admin=True)
    instance.write_private(Path(current_app.instance_path, "demo-login.txt"), f"{email}\n{password}\n")
    return email, password
