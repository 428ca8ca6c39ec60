"""Abuse control: the per-client and per-statement rate limits and their shared counters
(ratelimits), the client keys and keyed IP hashes (clients), shadow screening of submissions
(screening), the block list (blocklist), and surges: the statement's own limit, the email cap
and launch-event allowances (surges).

It may import the models, the database helpers, the pure rules and ``portal.accounts.audit``;
never ``portal.signatures`` (which uses it), ``portal.web`` or ``portal.views``.
"""
