"""The typed models and their state predicates: no request, no commit.

Grouped by area (:mod:`.statements`, :mod:`.signatures`, :mod:`.accounts`, :mod:`.system`)
over a shared vocabulary (:mod:`.common`); everything is importable from here, so
``from portal.models import Signature`` stays the one way in, and ``create_all`` sees every
table.
"""

from portal.models.accounts import Coordinator, IPHashKey, PasswordReset, WebSession  # noqa: F401
from portal.models.common import (  # noqa: F401
    BlockKind,
    Kind,
    SignatureState,
    StatementState,
    Visibility,
    as_utc,
    enum_check,
    new_uid,
    utcnow,
)
from portal.models.factors import FactorKind, RecoveryCode, SecondFactor  # noqa: F401
from portal.models.network import (  # noqa: F401
    CoInitiator,
    Invitation,
    InvitationState,
    Organisation,
    OrganisationContact,
    SignatureSource,
)
from portal.models.record import (  # noqa: F401
    Delivery,
    DeliveryMember,
    StatementUpdate,
    TextVersion,
    UpdateText,
)
from portal.models.safety import ContactKey  # noqa: F401
from portal.models.signatures import LIVE_STATES, LIVE_WHERE, ModerationEvent, Signature  # noqa: F401
from portal.models.statements import (  # noqa: F401
    CountryTally,
    Statement,
    StatementTranslation,
    statement_coordinators,
)
from portal.models.system import BlockRule, OutboxMail, SiteSetting  # noqa: F401
from portal.models.transparency import TransparencyEntry  # noqa: F401
