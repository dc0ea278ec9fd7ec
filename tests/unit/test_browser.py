"""tests/browser.py in a real headless chromium: a good site passes, and each kind of defect is named."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest

from ..browser import REQUIRE_ENV, Browser, BrowserError, check_site, require_browser, screenshot_std

pytestmark = pytest.mark.browser

PAGE = "<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"


def write_page(path, body, title="report"):
    """Write an HTML page with ``body``; return its resolved path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(title=title, body=body))
    return path.resolve()


def write_png(path):
    """A real 40 x 60 PNG (a colour gradient), written by matplotlib."""
    path.parent.mkdir(parents=True, exist_ok=True)
    matplotlib.image.imsave(path, np.linspace(0, 1, 40 * 60).reshape(40, 60), cmap="viridis")


@pytest.fixture
def good_site(tmp_path):
    """A report index with a figure and a fragment link, and a page in a sibling folder; links both ways."""
    write_png(tmp_path / "model_a" / "report" / "figures" / "dim_0.png")
    index = write_page(tmp_path / "model_a" / "report" / "index.html",
                       "<h1 id='top-heading'>Model A</h1><img src='figures/dim_0.png' alt='dim 0'>"
                       "<p><a href='#top-heading'>up</a> <a href='../../model_b/report/dim_2.html#dim-2'>model B, dim 2</a></p>")
    other = write_page(tmp_path / "model_b" / "report" / "dim_2.html",
                       "<h1 id='dim-2'>Model B, dimension 2</h1><a href='../../model_a/report/index.html'>back</a>")
    return index, other


def test_a_good_site_has_no_problems_and_every_page_is_visited(browser, good_site):
    index, other = good_site
    problems = check_site(browser, index)
    assert list(problems) == [index, other]
    assert problems == {index: [], other: []}


def test_a_page_check_reports_what_the_page_holds(browser, good_site):
    index, other = good_site
    page = browser.open(index)
    assert page.url == index.as_uri()
    assert page.images == [((index.parent / "figures" / "dim_0.png").as_uri(), True)]
    assert page.links == [index.as_uri() + "#top-heading", other.as_uri() + "#dim-2"]
    assert page.ids == {"top-heading"}
    assert page.screenshot.startswith(b"\x89PNG") and screenshot_std(page.screenshot) > 0.01
    assert page.console_errors == page.exceptions == page.failed_requests == page.external_requests == []


DEFECTS = {
    "console error": ("<script>console.error('boom', 42)</script>", ["console error: boom 42"]),
    "uncaught exception": ("<script>throw new Error('kaput')</script>", ["uncaught exception: Error: kaput"]),
    "missing image": ("<img src='figures/missing.png'>",
                      ["failed to load file://", "missing.png: net::ERR_FILE_NOT_FOUND",
                       "image not rendered: file://"]),
    "missing page": ("<a href='dim_9.html'>dim 9</a>", ["broken link: file://", "dim_9.html does not exist"]),
    "missing id": ("<a href='#nowhere'>?</a>", ["broken link: file://", "no element with id 'nowhere' on this page"]),
    "missing id on another page": ("<a href='other.html#nowhere'>?</a>", ["no element with id 'nowhere' in other.html"]),
    "http link": ("<a href='http://example.org/paper'>paper</a>",
                  ["link leaves the report (reports must work offline): http://example.org/paper"]),
    "external script": ("<script src='https://cdn.example.org/lib.js'></script>",
                        ["request leaves the report (reports must work offline): https://cdn.example.org/lib.js"]),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_defect_is_found_and_named(browser, tmp_path, defect):
    body, expected = DEFECTS[defect]
    write_page(tmp_path / "other.html", "<h1>Other</h1>")
    page = write_page(tmp_path / "index.html", f"<h1>Report</h1>{body}")
    problems = check_site(browser, page)[page]
    text = "\n".join(problems)
    for part in expected:
        assert part in text, f"{defect}: {part!r} not among the problems {problems}"
    assert "screenshot is blank" not in text  # the heading is drawn


def test_a_blank_page_is_found(browser, tmp_path):
    page = write_page(tmp_path / "blank.html", "")
    problems = browser.open(page).problems()
    assert len(problems) == 1 and problems[0].startswith("screenshot is blank"), problems


def test_a_page_that_is_not_there(browser, tmp_path):
    missing = (tmp_path / "index.html").resolve()
    problems = check_site(browser, missing)
    assert list(problems) == [missing]
    assert problems[missing][0] == "page did not load: net::ERR_FILE_NOT_FOUND", problems


def test_a_crawl_opens_each_page_once(browser, tmp_path):
    pages = [tmp_path / "report" / f"dim_{i}.html" for i in range(3)]
    links = "".join(f"<a href='dim_{i}.html'>{i}</a> " for i in range(3))
    for page in pages:
        write_page(page, f"<h1>{page.stem}</h1>{links}<a href='../report/dim_0.html'>first</a>")
    problems = check_site(browser, pages[1])
    assert list(problems) == [pages[1].resolve(), pages[0].resolve(), pages[2].resolve()]
    assert not any(problems.values()), problems


def test_chromium_that_never_starts_is_named_with_its_stderr(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'no display here' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(BrowserError, match=r"(?s)exited with status 3.*no display here"):
        with Browser(str(fake), startup_timeout=10):
            pass


def test_a_missing_browser_skips_or_with_the_variable_set_fails(monkeypatch):
    monkeypatch.setattr(Browser, "find", staticmethod(lambda: None))
    with pytest.raises(pytest.skip.Exception, match=REQUIRE_ENV):
        require_browser({})
    with pytest.raises(pytest.skip.Exception):
        require_browser({REQUIRE_ENV: "0"})
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_ENV} is set"):
        require_browser({REQUIRE_ENV: "1"})
