"""The tenant-scoped admin, driven over HTTP by the cast over every registered model: an owner and an
admin of one organization see, search, open, add and act on its rows only; a receptionist, a staff
worker and a plain member cannot enter; another organization's row answers 404; the superuser sees all."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from attendance.models import Member
from bookings.models import Booking, FitnessClass
from meetings.models import Family, Student
from organizations.admin_scoping import TenantScopedAdmin
from organizations.models import Membership, Role, User
from organizations.tests.admin_rows import tenant_rows
from tests.fixtures import make_user

pytestmark = pytest.mark.django_db


def scoped_models():
    return [m for m in apps.get_models() if admin.site.is_registered(m) and isinstance(admin.site.get_model_admin(m), TenantScopedAdmin)]


def url(model, name, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(org, other_org):
    return {"mine": tenant_rows(org, "alpha"), "theirs": tenant_rows(other_org, "bravo")}


@pytest.fixture
def org_admin(org):
    return make_user("orgadmin", org, Role.ADMIN)


@pytest.fixture(params=["owner", "org_admin"])
def manager(request, owner, org_admin):
    return {"owner": owner, "org_admin": org_admin}[request.param]


def test_every_admin_model_is_scoped_or_for_the_platform_only(rows, manager):
    """A new registered model must either scope itself (and get a row in admin_rows) or stay hidden from managers."""
    client = browser(manager)
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        if model in rows["mine"]:
            continue
        assert not isinstance(admin.site.get_model_admin(model), TenantScopedAdmin), f"add a {model.__name__} row to admin_rows"
        assert client.get(url(model, "changelist")).status_code == 403, model


def test_manager_lists_searches_and_opens_only_their_rows(rows, manager):
    client = browser(manager)
    for model in scoped_models():
        mine, theirs = rows["mine"][model], rows["theirs"][model]
        listing = client.get(url(model, "changelist"))
        assert listing.status_code == 200, model
        html = listing.content.decode()
        assert f'"{url(model, "change", mine.pk)}"' in html, model
        assert f'"{url(model, "change", theirs.pk)}"' not in html, model

        assert 'id="searchbar"' in html, f"{model.__name__}'s list has no search"
        found = client.get(url(model, "changelist"), {"q": "bravo"})
        assert found.status_code == 200, model
        assert f'"{url(model, "change", theirs.pk)}"' not in found.content.decode(), model

        assert client.get(url(model, "change", mine.pk)).status_code == 200, model
        for view in ("change", "history", "delete"):
            assert client.get(url(model, view, theirs.pk)).status_code == 404, (model, view)


def test_manager_cannot_act_on_another_organizations_rows(rows, manager):
    client = browser(manager)
    for model in scoped_models():
        theirs = rows["theirs"][model]
        client.post(url(model, "changelist"), {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"})
        assert model._default_manager.filter(pk=theirs.pk).exists(), model


def test_the_superuser_sees_every_organization(rows):
    client = browser(User.objects.create_superuser("root", password="pw-123456"))
    for model in scoped_models():
        html = client.get(url(model, "changelist")).content.decode()
        for side in ("mine", "theirs"):
            assert f'"{url(model, "change", rows[side][model].pk)}"' in html, (model, side)


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.STAFF, Role.MEMBER])
def test_desk_staff_and_members_cannot_enter(rows, org, role):
    client = browser(make_user(f"someone-{role}", org, role))
    assert client.get(reverse("admin:index")).status_code == 302
    for model in scoped_models():
        response = client.get(url(model, "change", rows["mine"][model].pk))
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), model


def test_the_outsider_sees_only_their_own_organization(rows, outsider):
    client = browser(outsider)
    model = Booking
    html = client.get(url(model, "changelist")).content.decode()
    assert f'"{url(model, "change", rows["theirs"][model].pk)}"' in html
    assert f'"{url(model, "change", rows["mine"][model].pk)}"' not in html
    assert client.get(url(model, "change", rows["mine"][model].pk)).status_code == 404


def test_choices_filters_and_autocompletes_are_scoped(rows, owner):
    client = browser(owner)
    add_class = client.get(url(FitnessClass, "add")).content.decode()
    assert "Yogaalpha" in add_class and "Yogabravo" not in add_class
    assert "Other Club" not in add_class
    assert "Other Club" not in client.get(url(Booking, "changelist")).content.decode()  # organization filter

    found = client.get(reverse("admin:autocomplete"), {
        "app_label": "meetings", "model_name": "student", "field_name": "family", "term": "Family",
    }).json()
    assert [item["text"] for item in found["results"]] == [str(rows["mine"][Family])]

    theirs = rows["theirs"][FitnessClass]
    response = client.post(url(Booking, "add"), {
        "organization": owner.memberships.get().organization_id, "fitness_class": theirs.pk,
        "customer": rows["mine"][Member].pk,
        "status": "registered", "method": "drop_in", "source": "web",
    })
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Booking.objects.filter(fitness_class=theirs, organization=rows["mine"][FitnessClass].organization).exists()


def test_a_manager_of_two_organizations_cannot_mix_their_rows(rows, org, other_org):
    both = make_user("both", org, Role.OWNER)
    Membership.objects.create(organization=other_org, user=both, role=Role.OWNER)
    client = browser(both)
    response = client.post(url(Student, "add"), {
        "organization": org.pk, "first_name": "Mixed", "family": rows["theirs"][Family].pk, "attendance_enabled": "on",
    })
    assert response.status_code == 200
    assert "belongs to another organization" in response.content.decode()
    assert not Student.objects.filter(first_name="Mixed").exists()


def test_an_admin_cannot_make_or_change_owners(rows, org, owner, org_admin):
    client = browser(org_admin)
    owner_membership = Membership.objects.get(user=owner)
    response = client.post(url(Membership, "change", owner_membership.pk), {"organization": org.pk, "user": owner.pk, "role": "receptionist"})
    assert response.status_code == 403
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.OWNER

    receptionist = rows["mine"][Membership]
    response = client.post(url(Membership, "change", receptionist.pk), {"organization": org.pk, "user": receptionist.user_id, "role": "owner"})
    assert "Only an owner of Acme Gym can make someone an owner." in response.content.decode()
    receptionist.refresh_from_db()
    assert receptionist.role == Role.RECEPTIONIST

    response = browser(owner).post(url(Membership, "change", receptionist.pk), {"organization": org.pk, "user": receptionist.user_id, "role": "admin"})
    assert response.status_code == 302
    receptionist.refresh_from_db()
    assert receptionist.role == Role.ADMIN


def test_a_manager_adds_a_person_to_their_organization(rows, org, owner):
    client = browser(owner)
    form = {
        "username": "newdesk", "password1": "Long-pass-2026", "password2": "Long-pass-2026", "usable_password": "true",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "0", "memberships-MIN_NUM_FORMS": "1",
        "memberships-MAX_NUM_FORMS": "1000", "memberships-0-organization": org.pk, "memberships-0-role": "receptionist",
    }
    without = client.post(url(User, "add"), {**form, "memberships-0-organization": "", "memberships-0-role": ""})
    assert without.status_code == 200 and not User.objects.filter(username="newdesk").exists()

    response = client.post(url(User, "add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="newdesk")
    assert list(created.memberships.values_list("organization_id", "role")) == [(org.pk, "receptionist")]
    assert not created.is_staff and not created.is_superuser
    change = client.get(url(User, "change", created.pk)).content.decode()
    assert "is_superuser" not in change and "user_permissions" not in change


def test_platform_actions_are_the_superusers(rows, owner):
    from gamification.models import Gym

    assert "reinstall_schedules" not in browser(owner).get(url(Gym, "changelist")).content.decode()
    root = User.objects.create_superuser("root", password="pw-123456")
    assert "reinstall_schedules" in browser(root).get(url(Gym, "changelist")).content.decode()


def test_the_admin_names_the_product(owner):
    assert "Attendance administration" in browser(owner).get(reverse("admin:index")).content.decode()
