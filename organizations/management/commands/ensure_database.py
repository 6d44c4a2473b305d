import psycopg
from django.core.management.base import BaseCommand
from django.db import connections
from psycopg import sql


class Command(BaseCommand):
    help = (
        "Create the PostgreSQL database that DATABASE_URL names if it does not exist (the role needs "
        "CREATEDB), so that `make run` works against a fresh server. Nothing to do on SQLite. Idempotent."
    )

    def handle(self, *args, **options):
        settings_dict = connections["default"].settings_dict
        if connections["default"].vendor != "postgresql":
            self.stdout.write(f"{connections['default'].vendor}: the database file is created on first use.")
            return
        name = settings_dict["NAME"]
        params = {
            "dbname": "postgres", "host": settings_dict.get("HOST") or None, "port": settings_dict.get("PORT") or None,
            "user": settings_dict.get("USER") or None, "password": settings_dict.get("PASSWORD") or None,
        }
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as admin:
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                self.stdout.write(f"Database {name!r} exists.")
                return
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.stdout.write(self.style.SUCCESS(f"Created database {name!r}."))
