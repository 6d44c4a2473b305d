from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "Class bookings"

    def ready(self):
        from django.core.signals import request_finished, request_started
        from django.db.backends.signals import connection_created

        from attendance import plugins
        from bookings import rls
        from bookings.plugins import BookingsPlugin
        from organizations.tenancy import principal_resolved

        plugins.register(BookingsPlugin())
        connection_created.connect(rls.on_connection_created, dispatch_uid="bookings.rls.connection_created")
        principal_resolved.connect(rls.on_principal_resolved, dispatch_uid="bookings.rls.principal_resolved")
        request_started.connect(rls.on_request_boundary, dispatch_uid="bookings.rls.request_started")
        request_finished.connect(rls.on_request_boundary, dispatch_uid="bookings.rls.request_finished")
