from django.shortcuts import render


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check, as a page of the site: in the reader's language and within
    its Content-Security-Policy (Django's own page carries an inline style)."""
    return render(request, "403_csrf.html", status=403)


def home(request):
    return render(request, "home.html")


