"""Coordinators' second factors: authenticator apps (TOTP), passkeys (WebAuthn), single-use
recovery codes, the administrators' requirement and their reset.

Owns the ``second_factors`` and ``recovery_codes`` tables and the ``second_factor_required``
site setting. Imports models, the audit log and the database helpers; never a view, never
``request``: the web layer hands in the relying party (host and origin) a passkey is bound to.
"""
