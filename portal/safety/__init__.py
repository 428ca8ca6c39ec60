"""Safety for members under threat: contact emails sealed to a key the server never holds
(:mod:`.keys` the pure cryptography, :mod:`.contacts` the one way services store and compare
an address) and the per-country crackdown switch (:mod:`.crackdown`).

May import models, the database helpers, the audit log, the outbox and the signer's notices;
never a view.
"""
