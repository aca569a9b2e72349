"""The shell: sign in and out, the home dashboard, organisation switcher, profile."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funia.core.middleware import SESSION_TENANT_KEY
from funia.core.services import user_set_language
from funia.web.dashboard import dashboard_cards
from funia.web.decorators import member_required
from funia.web.forms import ProfileForm


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@member_required
def home(request):
    return render(request, "web/home.html", {"cards": dashboard_cards(request.actor)})


@require_POST
@member_required
def switch_organization(request):
    wanted = request.POST.get("organization")
    if any(str(m.tenant_id) == wanted for m in request.memberships):
        request.session[SESSION_TENANT_KEY] = int(wanted)
    return redirect("home")


@member_required
def profile(request):
    form = ProfileForm(request.POST or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        user_set_language(user=request.user, language=form.cleaned_data["language"])
        messages.success(request, _("Your settings were saved."))
        response = redirect("profile")
        response.delete_cookie("django_language")
        return response
    return render(request, "web/profile.html", {"form": form})


@require_POST
def set_language(request):
    """Switch the interface language; signed-in users keep it as their setting."""
    from django.conf import settings

    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure(),
        )
    return response


def security_txt(request):
    from django.http import HttpResponse

    body = (
        f"Contact: mailto:security@{request.get_host().split(':')[0]}\n"
        "Expires: 2027-12-31T23:59:59Z\n"
        "Preferred-Languages: en, bg\n"
    )
    return HttpResponse(body, content_type="text/plain; charset=utf-8")
