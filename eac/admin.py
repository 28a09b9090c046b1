from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from eac.models import AcceptedDomain, AuditEvent, Mailbox, Membership, Tenant, User


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["tenant"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]  # its stubs want an AbstractUser
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_trainer", "is_active"]
    search_fields = ["email", "display_name"]
    list_filter = ["is_staff", "is_trainer", "is_active", "memberships__tenant"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "display_name", "password")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_trainer",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ["name", "initial_domain", "created_at"]
    search_fields = ["name", "initial_domain"]


@admin.register(AcceptedDomain)
class AcceptedDomainAdmin(admin.ModelAdmin[AcceptedDomain]):
    list_display = ["name", "tenant", "domain_type", "match_subdomains", "is_default"]
    list_filter = ["tenant", "domain_type", "match_subdomains", "is_default"]
    search_fields = ["name", "tenant__name"]
    autocomplete_fields = ["tenant"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "tenant", "role"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["created_at", "tenant", "actor_label", "action", "target_label"]
    list_filter = ["tenant", "action"]
    search_fields = ["actor_label", "target_label", "action"]
    date_hierarchy = "created_at"

    # The trail is evidence: nobody edits or deletes it, not even staff.
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    list_display = ["display_name", "address", "location", "tenant"]
    list_filter = ["tenant", "location"]
    search_fields = ["display_name", "address"]
