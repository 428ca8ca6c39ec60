"""What was signed and what came of it: numbered, hashed versions of each translation and the
re-consent a substantive amendment asks for (:mod:`.versions`, :mod:`.amending`), readable diffs
(:mod:`.diffs`), "as delivered" snapshots with their PDF (:mod:`.deliveries`, :mod:`.letter`),
updates on the outcome mailed to those who asked (:mod:`.updates`) and the page's trust facts
(:mod:`.trust`).

Services here own their transactions or run inside the caller's; they import models, mail and
the statements' read model, never views.
"""
