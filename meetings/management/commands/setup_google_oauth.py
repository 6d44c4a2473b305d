"""Authorize read-only access to an organization's Google Meet data and store the credentials."""

import json
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from meetings import conf, services
from organizations.models import Organization


class Command(BaseCommand):
    help = (
        "Run Google's installed-app OAuth flow for the Meet read-only scope "
        f"({conf.MEET_READONLY_SCOPE}) and store the credentials for an organization."
    )

    def add_arguments(self, parser):
        parser.add_argument("--meet", action="store_true", help="Authorize the Google Meet REST API (read-only).")
        parser.add_argument("--org", required=True, help="Slug of the organization the credentials belong to.")
        parser.add_argument("--client-secrets", default="", help="OAuth client JSON (default: GOOGLE_OAUTH_CLIENT_SECRETS_FILE).")
        parser.add_argument("--port", type=int, default=0, help="Local port for Google's redirect (0: any free port).")
        parser.add_argument("--no-browser", action="store_true", help="Print the URL to open instead of opening a browser.")
        parser.add_argument("--from-authorized-user", default="", metavar="FILE",
                            help="Store an existing authorized-user JSON instead of running the flow.")

    def handle(self, *args, **options):
        if not options["meet"]:
            raise CommandError("Say which Google API to authorize: --meet (the only one supported).")
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        if options["from_authorized_user"]:
            with open(options["from_authorized_user"]) as handle:
                info = json.load(handle)
            scopes = info.get("scopes") or []
            if isinstance(scopes, str):
                scopes = scopes.split()
        else:
            info, scopes = self._run_flow(options)
        services.google_credential_store(organization=organization, info=info, scopes=scopes, account_email=info.get("account", ""))
        if conf.MEET_READONLY_SCOPE not in scopes:
            self.stderr.write(self.style.WARNING(f"Stored, but: {conf.NO_SCOPE_MESSAGE} (granted: {', '.join(scopes) or 'none'})."))
            return
        self.stdout.write(self.style.SUCCESS(f"Google Meet access stored for {organization.slug} ({', '.join(scopes)})."))

    def _run_flow(self, options) -> tuple[dict, list[str]]:
        from google_auth_oauthlib.flow import InstalledAppFlow

        # Google lets the user untick a scope; accept the narrower grant and report it below
        # instead of failing inside oauthlib with "Scope has changed".
        os.environ.setdefault("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")

        secrets_file = options["client_secrets"] or settings.GOOGLE_OAUTH_CLIENT_SECRETS_FILE
        if not secrets_file:
            raise CommandError("Give --client-secrets or set GOOGLE_OAUTH_CLIENT_SECRETS_FILE (an OAuth 'Desktop app' client JSON).")
        try:
            flow = InstalledAppFlow.from_client_secrets_file(secrets_file, scopes=[conf.MEET_READONLY_SCOPE])
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the OAuth client file {secrets_file}: {error}") from error
        credentials = flow.run_local_server(
            host="localhost", port=options["port"], open_browser=not options["no_browser"],
            authorization_prompt_message="Open this URL to grant read-only access to Google Meet:\n{url}\n",
            success_message="Google Meet access granted; you can close this tab.",
            access_type="offline", prompt="consent",
        )
        info = json.loads(credentials.to_json())
        scopes = list(credentials.granted_scopes or credentials.scopes or [])
        return info, scopes
