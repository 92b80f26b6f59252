"""Portal views: thin — they call app functions and render templates."""

from django.shortcuts import render


def home(request):
    return render(request, "web/home.html", {})
