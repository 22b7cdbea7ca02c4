"""Every focus indicator is visible on every background (WCAG 2.2 SC 1.4.11, issue 16).

In a real Chromium, at 360 and at 1280 pixels wide, the keyboard walks through the blue
header and through forms (the login form with its error summary, the juror's scoresheet
with its quick buttons and sticky bar). For every element that takes the focus, the test
measures the ring as drawn: its width, and the contrast of its colour against the colour
actually behind it, found with ``document.elementsFromPoint`` where the ring is painted
(outside the element, or inside it when the offset is negative) and composited through
every translucent layer down to the page. The ring must be at least 2 px wide with a
contrast of at least 3:1; links inside alerts must keep 4.5:1 as text.
"""

import re

import pytest

from scoring.models import Role

from .._judging import judged_contest, set_sheet
from ..conftest import PASSWORD
from .conftest import accessibility_problems

pytestmark = pytest.mark.browser

# The focused element's ring: colour, width, and the colour behind where it is painted.
RING = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) { return null; }
  const style = getComputedStyle(e);
  const width = parseFloat(style.outlineWidth) || 0;
  const offset = parseFloat(style.outlineOffset) || 0;
  const box = e.getBoundingClientRect();
  // The middle of the ring's stroke, on the left edge (or the top one when the element
  // touches the window's left side), measured from the element's border box.
  const reach = offset + width / 2;
  let x = box.left - reach, y = box.top + box.height / 2;
  if (x < 1) { x = box.left + box.width / 2; y = box.top - reach; }
  const layers = [];
  const under = document.elementsFromPoint(x, y)
    .filter(el => reach < 0 || (el !== e && !e.contains(el)));
  let el = under[0] || document.documentElement;
  for (; el; el = el.parentElement) {
    const bg = getComputedStyle(el).backgroundColor;
    layers.push(bg);
    const alpha = bg.startsWith('rgba') ? parseFloat(bg.split(',')[3]) : 1;
    if (alpha >= 1) { break; }
  }
  return {tag: e.tagName, id: e.id, text: (e.textContent || e.value || '').trim().slice(0, 30),
          name: e.getAttribute('name'), value: e.value || '', outline: style.outlineStyle,
          color: style.outlineColor, width, layers, visible: e.matches(':focus-visible')};
}"""

# Text colour and background of links inside alerts (the error summary among them).
ALERT_LINKS = """() => Array.from(document.querySelectorAll('.alert a:not(.btn)')).map(a => {
  let el = a, bg = 'rgba(0, 0, 0, 0)';
  for (; el; el = el.parentElement) {
    bg = getComputedStyle(el).backgroundColor;
    if (!bg.startsWith('rgba') || parseFloat(bg.split(',')[3]) >= 1) { break; }
  }
  return {text: a.textContent.trim(), color: getComputedStyle(a).color, background: bg};
})"""


def _rgba(text: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in re.findall(r"[\d.]+", text)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _over(top, bottom):
    """``top`` (RGBA) composited over an opaque ``bottom``."""
    alpha = top[3]
    return tuple(top[i] * alpha + bottom[i] * (1 - alpha) for i in range(3)) + (1.0,)


def _luminance(rgb) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, two) -> float:
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _behind(layers: list[str]):
    """The opaque colour the layers (innermost first) paint together, over white."""
    colour = (255.0, 255.0, 255.0, 1.0)
    for layer in reversed(layers):
        colour = _over(_rgba(layer), colour)
    return colour


def walk(page, limit: int = 80) -> list[dict]:
    """Tab from the top of the page to its end (or ``limit``), one ring per stop."""
    # Focus the page itself: a blur alone leaves the browser's starting point of Tab
    # where the page put the focus (the error summary of a form sent back).
    page.evaluate(
        """() => { const body = document.body; body.tabIndex = -1; body.focus();
                   body.removeAttribute('tabindex'); window.scrollTo(0, 0); }"""
    )
    rings, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(RING)
        if ring is None:
            break
        key = (ring["tag"], ring["id"], ring["name"], ring["value"], ring["text"])
        if key in seen:
            break
        seen.add(key)
        rings.append(ring)
    return rings


def ring_problems(rings: list[dict], where: str) -> list[str]:
    problems = []
    for ring in rings:
        label = f"{where}: {ring['tag']} #{ring['id']} «{ring['text']}»"
        ring_colour = _rgba(ring["color"])
        behind = _behind(ring["layers"])
        ratio = contrast(_over(ring_colour, behind), behind)
        if not ring["visible"] or ring["outline"] == "none" or ring["width"] < 2:
            problems.append(f"{label}: no ring ({ring['outline']} {ring['width']}px)")
        elif ratio < 3:
            problems.append(f"{label}: ring {ring['color']} on {behind[:3]} is {ratio:.2f}:1")
    return problems


def _login(page, url: str, email: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/account$"))


@pytest.mark.parametrize("width", [360, 1280])
def test_focus_rings_contrast_in_the_header_and_on_the_login_form(
    app, build, live_server, new_context, width
):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("#email", "nobody@example.org")
    page.fill("#password", "wrong-password-123")
    page.click("main button[type=submit]")  # a wrong login: the form comes back
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    rings = walk(page)
    tags = {(r["tag"], r["id"]) for r in rings}
    assert ("A", "") in tags and ("INPUT", "email") in tags and ("INPUT", "password") in tags
    header = [r for r in rings if r["layers"] and "10, 79, 181" in r["layers"][-1]]
    assert header, "the walk never focused anything in the blue header"
    assert not ring_problems(rings, f"login at {width} px")

    # The skip link sits over the header: its ring is drawn inside its white box.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("Tab")
    skip = page.evaluate(RING)
    assert skip["tag"] == "A" and not ring_problems([skip], "skip link")


@pytest.mark.parametrize("width", [360, 1280])
def test_focus_rings_contrast_on_the_scoresheet_and_the_error_summary(
    app, build, live_server, new_context, width, request
):
    juror = build.user(Role.JUROR, email="juror@example.org")
    judged = judged_contest(app, build, [juror], count=1)
    number = judged.numbers[0]
    set_sheet(app, juror, number)
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    _login(page, live_server.url, "juror@example.org")
    page.goto(f"{live_server.url}{judged.url(number)}")
    rings = walk(page, limit=120)
    kinds = {(r["tag"], r["name"]) for r in rings}
    points = f"points_{judged.criteria['C1']}"
    assert ("INPUT", points) in kinds and ("BUTTON", "quick") in kinds
    assert ("INPUT", "review") in kinds and ("TEXTAREA", "overall_comment") in kinds
    assert not ring_problems(rings, f"scoresheet at {width} px")

    # A value refused without JavaScript brings the error summary: its links read well.
    page.fill(f"#{points}", "77")
    page.evaluate("() => document.getElementById('scoresheet').submit()")
    page.wait_for_selector("#error-summary")
    links = page.evaluate(ALERT_LINKS)
    assert links, "no link in the error summary"
    for link in links:
        ratio = contrast(_rgba(link["color"]), _behind([link["background"]]))
        assert ratio >= 4.5, f"{link['text']}: {ratio:.2f}:1"
    page.focus("#error-summary a")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert not ring_problems([page.evaluate(RING)], "error summary link")
    assert not accessibility_problems(page, "scoresheet with an error", request, widths=(width,))
