"""A background job's progress: a fragment htmx polls every second, and the same as a page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from kartoteka.core import jobs
from kartoteka.core.web import signed_in


@login_required
@require_safe
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress bar: the fragment for htmx's polling, a page for a link followed.

    Only the person who started the job sees it; anyone else gets the 404 of a job that does
    not exist. The fragment of a finished job no longer polls.
    """
    job = jobs.run_for(signed_in(request), pk)
    if job is None:
        raise Http404
    polled = request.headers.get("HX-Request") == "true"
    template = "core/_job_progress.html" if polled else "core/job_detail.html"
    response = render(request, template, {"job": job, "section": "settings"})
    patch_vary_headers(response, ("HX-Request",))
    return response
