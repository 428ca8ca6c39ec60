"""Notifications: the coordinators' digest of what waits for them (:mod:`.digest`, a list of
sections that other areas may add to) and the signer's "your signature is approved" email
(:mod:`.listed`). Emails go through the durable outbox; this package imports services and
models, never views."""
