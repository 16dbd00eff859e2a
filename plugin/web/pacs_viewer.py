"""The "open in viewer" link of a slide, from the `web.viewer_url_template` setting."""

from urllib.parse import quote


def viewer_url(template: str, study: str, series: str) -> str | None:
    """The template with {study} and {series} filled in (URL-quoted), or None when unset."""
    if not template:
        return None
    return template.replace("{study}", quote(study, safe="")).replace(
        "{series}", quote(series, safe="")
    )
