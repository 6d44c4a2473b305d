"""Building blocks for demo data: idempotent get-or-create of organizations, users and memberships."""

from organizations.models import Membership, Organization, User

DEMO_PASSWORD = "demo1234"


def demo_organization(slug: str, name: str, time_zone: str, **extra) -> Organization:
    org, _ = Organization.objects.update_or_create(slug=slug, defaults={"name": name, "time_zone": time_zone, **extra})
    return org


def demo_user(username: str, *, first_name: str = "", last_name: str = "", superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com",
                  "is_staff": superuser, "is_superuser": superuser},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def demo_membership(organization: Organization, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    return membership


def demo_cast(organization: Organization) -> dict[str, User]:
    """The demo logins every demo organization shares: owner, manager, reception."""
    owner = demo_user("owner", first_name="Olivia", last_name="Owner", superuser=True)
    manager = demo_user("manager", first_name="Max", last_name="Manager")
    reception = demo_user("reception", first_name="Rita", last_name="Reception")
    demo_membership(organization, owner, "owner")
    demo_membership(organization, manager, "admin")
    demo_membership(organization, reception, "receptionist")
    return {"owner": owner, "manager": manager, "reception": reception}
