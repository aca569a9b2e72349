"""Who is acting: the user, in which organisation, with which role, through which token."""

from dataclasses import dataclass

from funia.core.models import ApiToken, Membership, Organization, Role, User


@dataclass(frozen=True)
class Actor:
    tenant: Organization
    user: User
    role: str
    token: ApiToken | None = None

    @classmethod
    def from_membership(cls, membership: Membership, *, token: ApiToken | None = None):
        return cls(
            tenant=membership.tenant, user=membership.user, role=membership.role, token=token
        )

    def __str__(self) -> str:
        # Stable identity for rate limits and logs: one user in one organisation.
        return f"{self.tenant.pk}:{self.user.pk}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.SALES_MANAGER
