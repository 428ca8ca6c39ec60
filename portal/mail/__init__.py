"""Mail: the durable outbox and its sender (outbox). Services write an email into the outbox
inside their own transaction; the sender delivers it afterwards, with retries, and erases its
body and recipient once sent.

It may import the models and the database helpers only.
"""
