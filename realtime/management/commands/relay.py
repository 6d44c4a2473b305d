"""`manage.py relay`: deliver the outbox to the Channels layer and Pusher until stopped (SIGTERM/Ctrl-C)."""

import asyncio
import signal

from django.core.management.base import BaseCommand

from realtime.relay import Relay


class Command(BaseCommand):
    help = "Deliver live events from the outbox to the Channels layer and Pusher, with heartbeats."

    def handle(self, *args, **options):
        relay = Relay()

        async def main():
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, relay.stop)
            await relay.run()

        asyncio.run(main())
        self.stdout.write(f"relay stopped; delivered {relay.sent}")
