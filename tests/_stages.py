"""Moving a contest's stage through its page, as a browser does (not a test module)."""

import re

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def move_stage(client, slug: str, to: str, reason: str = "Рішення комісії"):
    """POST the stage page with every hidden field it carries, its confirmation box ticked
    when it has one, and a reason; the response after redirects."""
    url = f"/manage/contests/{slug}/stage?to={to}"
    page = client.get(url).get_data(as_text=True)
    data = {}
    for tag in HIDDEN.findall(page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    if 'name="confirm"' in page:
        data["confirm"] = "y"
    data["reason"] = reason
    return client.post(url, data=data, follow_redirects=True)
