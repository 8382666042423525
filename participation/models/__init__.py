"""Models, one module per aggregate. Importing this package registers every table."""
from participation.models.accounts import ApiToken, LoginAttempt, LoginSession, LoginUnlock, Role, User
from participation.models.drafts import Draft, DraftStatus, DraftVersion, Reading
from participation.models.liaison import LiaisonPoint
from participation.models.opinions import ModerationMode, ModerationState, Opinion, Stance, SubmitterCategory
from participation.models.provisions import Provision, ProvisionKind

__all__ = [
    "ApiToken", "Draft", "DraftStatus", "DraftVersion", "LiaisonPoint", "LoginAttempt", "LoginSession", "LoginUnlock",
    "ModerationMode", "ModerationState", "Opinion", "Provision", "ProvisionKind", "Reading", "Role",
    "Stance", "SubmitterCategory", "User",
]

# Liaison-point batches (issue 4).
from participation.models.batches import ActivityKind, Batch, BatchSource  # noqa: E402

__all__ += ["ActivityKind", "Batch", "BatchSource"]

# Counts behind the tally, kept by database triggers (participation.tally.upkeep).
from participation.models.tally import (  # noqa: E402
    ProvisionAncestor, TallyCount, TallyDisposition, TallyNode, TallySubmitter, TallyVersion,
)

__all__ += ["ProvisionAncestor", "TallyCount", "TallyDisposition", "TallyNode", "TallySubmitter", "TallyVersion"]

# The feedback loop (issue 15): dispositions' companions, the audit log, the inbox.
from participation.models.audit import AuditEntry  # noqa: E402
from participation.models.feedback import (  # noqa: E402
    WHOLE_DRAFT_KEY, Assignment, FeedbackReport, FeedbackSection, ReplyTemplate,
)
from participation.models.notifications import AnnouncedEvent, Notification  # noqa: E402
from participation.models.opinions import DISPOSITIONS_NEEDING_REASON, Disposition  # noqa: E402

__all__ += ["AuditEntry", "WHOLE_DRAFT_KEY", "Assignment", "FeedbackReport", "FeedbackSection", "ReplyTemplate",
            "Notification", "DISPOSITIONS_NEEDING_REASON", "Disposition"]

# Exports, email and following (issue 16): tracked background jobs, follows, preferences.
from participation.models.jobs import Job, JobState  # noqa: E402
from participation.models.subscriptions import EmailDelivery, Follow, NotificationPreference  # noqa: E402

__all__ += ["Job", "JobState", "EmailDelivery", "Follow", "NotificationPreference", "AnnouncedEvent"]

# Legislative-plan calls (issue 17): calls, proposals, merged groups, the annual plan.
from participation.models.plans import (  # noqa: E402
    CLASSIFICATIONS_NEEDING_REASON, PROJECT_CLASSES, Classification, LegislativePlan, PlanCall, PlanCallStatus,
    PlanProject, Proposal, ProposalAttachment, ProposalGroup, ProposerCategory,
)

__all__ += ["CLASSIFICATIONS_NEEDING_REASON", "PROJECT_CLASSES", "Classification", "LegislativePlan", "PlanCall",
            "PlanCallStatus", "PlanProject", "Proposal", "ProposalAttachment", "ProposalGroup", "ProposerCategory"]

# Personal information (issue 18): the privacy policy's versions.
from participation.models.privacy import PrivacyPolicy  # noqa: E402

__all__ += ["PrivacyPolicy"]
