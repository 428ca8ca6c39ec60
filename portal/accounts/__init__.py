"""Accounts: coordinators and their passwords, invitations and reset links (coordinators),
the server-side workspace sessions (sessions), and the audit log (audit).

It may import the models, the database helpers, ``portal.mail`` and the pure rules; never
``portal.web`` or ``portal.views``. Logging in a request's session is ``portal.web.auth``'s.
"""
