"""Keeping a statement readable and checkable where the site is blocked or distrusted.

- :mod:`.keys`: the network's Ed25519 signing key, kept in the instance folder;
- :mod:`.transparency`: the append-only hash chain of every change to a statement's public list;
- :mod:`.mirror`: the signed, self-contained copy of a published statement, and its check.

It imports models, the public read model and the signing key; never a view.
"""
