"""Print the credentials the contract stages use against a seeded database, as shell assignments:
a worker's API token (the demo manager, an admin of every demo organization) and a terminal's
device key. Run after `manage.py seed_demo`:  eval "$(python tests/contract/principals.py)"
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from rest_framework.authtoken.models import Token  # noqa: E402

from organizations.models import DeviceKey, DeviceKind, Membership, User  # noqa: E402
from organizations.services import device_key_create  # noqa: E402

worker = User.objects.get(username="manager")
organization = Membership.objects.filter(user=worker).order_by("id").first().organization
token, _ = Token.objects.get_or_create(user=worker)
DeviceKey.objects.filter(organization=organization, name="contract terminal").delete()
_, device_key = device_key_create(organization=organization, actor=None, name="contract terminal", kind=DeviceKind.TERMINAL)
print(f"ORGANIZATION={organization.slug}")
print(f"WORKER_TOKEN={token.key}")
print(f"DEVICE_KEY={device_key}")
