"""Tenant scoping that fails closed.

Every business model inherits `TenantModel`. Its manager returns querysets that refuse to
run until they are scoped to one organisation with `for_tenant()` (or an explicit
`filter(tenant=...)`, as Django's unique checks do); related managers of a
tenant record (``account.contacts.all()``) are scoped by that record's tenant. System code
that really must cross tenants says so with `across_tenants()`.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class UnscopedTenantQuery(RuntimeError):
    """A query of a tenant model ran without a tenant: a bug, never 'all rows'."""


def _has_soft_delete(model) -> bool:
    return any(field.name == "deleted_at" for field in model._meta.concrete_fields)


class TenantQuerySet(models.QuerySet):
    _tenant_scoped = False

    def _clone(self):
        clone = super()._clone()
        clone._tenant_scoped = self._tenant_scoped
        return clone

    def for_tenant(self, tenant, *, with_deleted: bool = False):
        """Rows of one organisation; soft-deleted rows only when asked for."""
        if tenant is None:
            raise UnscopedTenantQuery(f"{self.model.__name__}: for_tenant(None)")
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        qs = self.filter(tenant_id=tenant_id)
        if not with_deleted and _has_soft_delete(self.model):
            qs = qs.filter(deleted_at__isnull=True)
        qs._tenant_scoped = True
        return qs

    def filter(self, *args, **kwargs):
        # An explicit tenant filter scopes the query too (Django's own unique checks use it).
        qs = super().filter(*args, **kwargs)
        if kwargs.get("tenant_id") is not None or kwargs.get("tenant") is not None:
            qs._tenant_scoped = True
        return qs

    def across_tenants(self):
        """Explicitly unscoped: for system jobs and migrations only."""
        qs = self._chain()
        qs._tenant_scoped = True
        return qs

    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def _add_hints(self, **hints):
        # Related managers hint the instance they hang off: scope to its tenant.
        super()._add_hints(**hints)
        instance = hints.get("instance")
        tenant_id = getattr(instance, "tenant_id", None)
        if tenant_id is not None and not self._tenant_scoped:
            self.query.add_q(Q(tenant_id=tenant_id))
            self._tenant_scoped = True

    def _check_scoped(self):
        if not self._tenant_scoped:
            raise UnscopedTenantQuery(
                f"{self.model.__name__} queried without a tenant; use .for_tenant(tenant)"
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._check_scoped()
        return super().iterator(*args, **kwargs)

    def aiterator(self, *args, **kwargs):
        self._check_scoped()
        return super().aiterator(*args, **kwargs)

    def resolve_expression(self, *args, **kwargs):
        # Used as a subquery (pk__in=Model.objects...): it must be scoped like any query.
        self._check_scoped()
        return super().resolve_expression(*args, **kwargs)

    def count(self):
        self._check_scoped()
        return super().count()

    def exists(self):
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self):
        self._check_scoped()
        return super().delete()

    def in_bulk(self, *args, **kwargs):
        self._check_scoped()
        return super().in_bulk(*args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    pass


def tenant_led_by_indexes() -> models.ForeignKey:
    """The tenant of a model whose own indexes start with it: no index of its own (each
    index costs every insert; the composite ones serve the tenant's lookups)."""
    return models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )


class TenantScoped(models.Model):
    """Any row that belongs to one tenant; queries must be scoped to it."""

    tenant = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, related_name="+", db_index=True
    )

    objects = TenantManager()

    class Meta:
        abstract = True


class TenantModel(TenantScoped):
    """Base of every business record: one tenant, timestamps, a version, soft delete."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Bumped by every write through a service; the API's ETag is built from it.
    version = models.PositiveIntegerField(default=1, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Fields the audit trail never records (bookkeeping, not business data).
    audit_exclude = ("created_at", "updated_at", "version", "deleted_at", "tenant")

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    @classmethod
    def object_type(cls) -> str:
        return cls._meta.label_lower
