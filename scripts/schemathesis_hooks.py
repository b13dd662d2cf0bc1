"""Schemathesis checks for Baton's API (loaded via SCHEMATHESIS_HOOKS)."""
import schemathesis


@schemathesis.check
def problem_json_on_4xx(ctx, response, case):
    """Every 4xx answer is application/problem+json naming what went wrong."""
    if 400 <= response.status_code < 500:
        ctype = response.headers.get("content-type", [""])
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), (
            f"{response.status_code} answered with content-type {ctype!r}"
        )
        body = response.json()
        for key in ("type", "title", "status", "detail"):
            assert key in body, f"problem+json without {key!r}: {body}"
