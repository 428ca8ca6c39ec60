"""Statements: the public read model (public) and its documents (outputs), reading and the
time-driven lifecycle steps (reading), authoring and the lifecycle guards (authoring),
translations (translating), Markdown (markdown), exports, statistics, and the site-wide
signing switch (site).

Services here own their transactions and raise :class:`portal.errors.DomainError`s. They may
import the models, the database helpers, the pure rules, ``portal.accounts.audit`` and
``portal.signatures.search``; never ``portal.web`` or ``portal.views``.
"""
