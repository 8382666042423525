"""Models, one module per aggregate. Importing this package registers every table."""
from participation.models.accounts import ApiToken, LoginAttempt, Role, User
from participation.models.drafts import Draft, DraftStatus, DraftVersion, Reading
from participation.models.liaison import LiaisonPoint
from participation.models.provisions import Provision, ProvisionKind

__all__ = [
    "ApiToken", "Draft", "DraftStatus", "DraftVersion", "LiaisonPoint", "LoginAttempt",
    "Provision", "ProvisionKind", "Reading", "Role", "User",
]
