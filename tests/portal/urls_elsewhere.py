"""A second URLconf, as a request may name one (``request.urlconf``): the portal under /elsewhere/."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("portal.urls"))]
