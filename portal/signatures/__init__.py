"""Signatures: taking them (signing), what their owners do through their links (signer),
the emails they get (notices), moderation, the exact counts and their reconciliation (counts,
transitions), search, impersonation signals, bulk invalidation and the retention purge.

Services here own their transactions and raise :class:`portal.errors.DomainError`s. They may
import the models, the database helpers, the pure rules (``portal.text``, ``portal.tokens``,
``portal.languages``, ``portal.words``), ``portal.abuse``, ``portal.accounts.audit``,
``portal.mail`` and the public read model (``portal.statements.public``); never ``portal.web``
or ``portal.views``, and never ``flask.request`` or ``g``.
"""
