"""The network around statements: the roster of organisations (with their contact addresses,
read and written only through :mod:`.contacts`), its CSV import and export and merging of
duplicates (:mod:`.roster`, :mod:`.csvfile`), personal invitations per statement with their
tracking board and reminders (:mod:`.invitations`, :mod:`.replies`), and co-initiators with
their recruitment links (:mod:`.initiators`). Services only: they may import models, the
outbox, the audit log and the signature services, never views."""
