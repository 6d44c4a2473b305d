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
            info, scopes = self._read_authorized_user(options["from_authorized_user"])
        else:
            info, scopes = self._run_flow(options)
        services.google_credential_store(organization=organization, info=info, scopes=scopes, account_email=info.get("account", ""))
        if conf.MEET_READONLY_SCOPE not in scopes:
            self.stderr.write(self.style.WARNING(
                f"Stored, but: {conf.NO_SCOPE_MESSAGE} (granted: {', '.join(scopes) or 'none'}). Run "
                f"`{conf.setup_command(organization.slug)}` again and leave the Google Meet permission ticked."
            ))
            return
        self.stdout.write(self.style.SUCCESS(f"Google Meet access stored for {organization.slug} ({', '.join(scopes)})."))

    def _read_authorized_user(self, path: str) -> tuple[dict, list[str]]:
        """The authorized-user JSON at `path` and its scopes; a CommandError saying what to do otherwise."""
        hint = ("Give the authorized-user JSON that Google's tools write (with client_id, client_secret and "
                "refresh_token), or run without --from-authorized-user to sign in through the browser.")
        try:
            with open(path) as handle:
                info = json.load(handle)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}. {hint}") from error
        except ValueError as error:
            raise CommandError(f"{path} is not valid JSON ({error}). {hint}") from error
        if not isinstance(info, dict):
            raise CommandError(f"{path} holds JSON but not an authorized-user object. {hint}")
        missing = [key for key in ("client_id", "client_secret", "refresh_token") if not info.get(key)]
        if missing:
            raise CommandError(f"{path} lacks {', '.join(missing)}. {hint}")
        scopes = info.get("scopes") or []
        return info, scopes.split() if isinstance(scopes, str) else list(scopes)

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
        except OSError as error:
            raise CommandError(
                f"Cannot read the OAuth client file {secrets_file}: {error.strerror or error}. Download the "
                "'Desktop app' OAuth client JSON from the Google Cloud console (APIs & Services > Credentials) "
                "and pass its path with --client-secrets."
            ) from error
        except ValueError as error:
            raise CommandError(
                f"The OAuth client file {secrets_file} is not a Google OAuth client JSON ({error}). Download the "
                "'Desktop app' client JSON from the Google Cloud console (APIs & Services > Credentials)."
            ) from error
        credentials = flow.run_local_server(
            host="localhost", port=options["port"], open_browser=not options["no_browser"],
            authorization_prompt_message="Open this URL to grant read-only access to Google Meet:\n{url}\n",
            success_message="Google Meet access granted; you can close this tab.",
            access_type="offline", prompt="consent",
        )
        info = json.loads(credentials.to_json())
        scopes = list(credentials.granted_scopes or credentials.scopes or [])
        return info, scopes
