"""The sign-in pages (the site's and the admin's), with the same attempt limits as the token endpoint."""

from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import LoginView
from django.urls import reverse_lazy

from organizations.throttles import sign_in_wait


class SignInView(LoginView):
    """Django's login page; a POST past the per-username or per-address limit answers 429 with
    `Retry-After` and checks no password."""

    def post(self, request, *args, **kwargs):
        wait = sign_in_wait(request)
        if wait is None:
            return super().post(request, *args, **kwargs)
        messages.error(request, f"Too many sign-in attempts. Try again in {wait} seconds.")
        response = self.render_to_response(self.get_context_data(form=self.get_form_class()(request)), status=429)
        response["Retry-After"] = str(wait)
        return response


class AdminSignInView(SignInView):
    """The admin's login page (staff accounts only), limited like the site's."""

    authentication_form = AdminAuthenticationForm
    template_name = "admin/login.html"
    next_page = reverse_lazy("admin:index")

    def get_context_data(self, **kwargs):
        context = {**admin.site.each_context(self.request), "title": "Log in", "app_path": self.request.get_full_path()}
        return {**context, **super().get_context_data(**kwargs)}
