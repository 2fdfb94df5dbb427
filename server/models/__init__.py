"""All models, imported so that metadata and migrations see every table."""
from server.models.accounts import ApiToken, LoginThrottle, User, UserSession  # noqa: F401
from server.models.audit import AuditEntry, AuditHead, PublishedHead  # noqa: F401
from server.models.registry import (  # noqa: F401
    Checkpoint, CreditRating, Department, InspectionItem, Inspector, Recusal, Target,
)
from server.models.planning import Draw, DrawRequest, Plan, PlanVersion, Task  # noqa: F401
from server.models.inspections import Inspection, InspectionMember  # noqa: F401
from server.models.approvals import Approval  # noqa: F401
from server.models.fieldwork import (CheckpointAnswer, Finding, LateEvidence, MediaFile, PartyRecord, Photo,  # noqa: F401
                                     PhotoWithdrawal, Signature)
from server.models.sync import MutationLog, Receipt, SyncClient  # noqa: F401
from server.models.followup import (  # noqa: F401
    CreditRecord, InspectionReview, Publication, PublicationRevision, Referral, ReferralEvent, RiskLevelChange,
    Violation,
)
from server.models.quality import QualityFlag  # noqa: F401
from server.models.stats import StatsDirty, StatsTaskCell, StatsTaskDetail  # noqa: F401
