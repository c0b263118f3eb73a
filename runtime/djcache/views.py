"""JSON stats for the VS Code Cache Map: staff-only, or a configured bearer token."""
import hmac

from django.http import JsonResponse

from . import backend, conf, stats


def _allowed(request):
    token = conf.get("STATS_TOKEN")
    if token:
        # RFC 7235: credentials = auth-scheme 1*SP token68, the scheme case-insensitive
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = credentials.lstrip(" ")
        else:
            given = request.headers.get("X-Djcache-Token", "")
        if given and hmac.compare_digest(given.encode(), str(token).encode()):
            return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff)


def stats_view(request):
    if not _allowed(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    try:
        data = stats.collect()
    except backend.Failed as exc:
        return JsonResponse({"error": f"cache unavailable: {exc}"}, status=503)
    return JsonResponse(data)
