"""A real headless browser for the static HTML reports: does every page load, render and link offline?

`Browser` starts Debian's chromium (``--headless``, a fresh temporary profile) and drives it over
the Chrome DevTools Protocol on a websocket (``websocket-client``). `Browser.open` loads one
``file://`` page in a fresh tab and returns a `PageCheck`: console errors, uncaught exceptions,
failed resource loads, the images and whether they rendered, the links, the element ids and a
PNG screenshot. `PageCheck.problems` turns that into readable problems (broken links are resolved
against the file system; http(s) links are problems because a report must work offline; a blank
screenshot is one). `check_site` crawls every local page reachable from a start page.

Usage::

    with Browser() as browser:
        problems = check_site(browser, Path("results/pbmc3k/beta_vae/report/index.html"))
    assert not any(problems.values()), problems
"""

from __future__ import annotations

import base64
import collections
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import matplotlib.image
import websocket

#: Where chromium is looked for: on PATH first, then Debian's launcher.
CANDIDATES = ("chromium", "/usr/bin/chromium")
#: Headless, no network of its own, no first-run chores; one temporary profile per browser.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--remote-debugging-port=0",
)
DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://\S+)")
#: A screenshot whose RGB pixel values (0..1) vary less than this is blank; one short word passes.
BLANK_STD = 1e-3
#: Schemes a link may use without leaving the report or the file system.
INERT_SCHEMES = {"data", "mailto", "javascript", "blob", "about"}
PAGE_SUFFIXES = {".html", ".htm"}
#: Environment variable that turns a missing browser from a skip into a failure (CI sets it).
REQUIRE_ENV = "DISENTANGLE_REQUIRE_BROWSER"

#: Runs in the page once it has loaded (waiting for that too, whichever load event came first):
#: waits for images still loading (lazy ones made eager),
#: then reports images, links (absolute URLs) and the names a fragment can point to.
PAGE_STATE_JS = """
(async () => {
  if (document.readyState !== 'complete') await new Promise(done => addEventListener('load', done, {once: true}));
  const images = Array.from(document.images);
  images.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
    setTimeout(done, 5000);
  })));
  return {
    images: images.map(img => ({src: img.currentSrc || img.src || img.outerHTML,
                                ok: img.complete && img.naturalWidth > 0})),
    links: Array.from(document.links, a => a.href),
    ids: [...Array.from(document.querySelectorAll('[id]'), e => e.id),
          ...Array.from(document.querySelectorAll('a[name]'), a => a.name)],
  };
})()
"""


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools call failed or timed out."""


# --------------------------------------------------------------------------------------------
# the DevTools connection


class _Connection:
    """One DevTools websocket: numbered calls, and the events that arrive between their answers.

    Parameters
    ----------
    url
        ``ws://`` address of a browser or page target.
    timeout
        Default seconds to wait for the answer to a call.
    """

    def __init__(self, url: str, timeout: float):
        # Chromium refuses websocket clients that send an Origin header it was not told to allow.
        self._ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self._last_id = 0
        self.timeout = timeout
        self.events: list[dict] = []

    def call(self, method: str, timeout: float | None = None, **params) -> dict:
        """Send ``method`` and return its result; events received meanwhile are kept in `events`.

        Raises
        ------
        BrowserError
            If the browser answers with an error, or not within ``timeout`` seconds.
        """
        self._last_id += 1
        ident = self._last_id
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            message = self._receive(deadline, f"the answer to {method}")
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method} failed: {message['error'].get('message', message['error'])}")
                return message.get("result", {})

    def wait_for(self, method: str, timeout: float, since: int = 0) -> dict | None:
        """Parameters of the first event ``method`` at index ``since`` or later of `events`.

        Waits up to ``timeout`` seconds for it; returns None if it does not come.
        """
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event.get("params", {})
            seen = max(seen, len(self.events))
            try:
                self._receive(deadline, method)
            except BrowserError:
                return None

    def _receive(self, deadline: float, waiting_for: str) -> dict:
        """Read one message before ``deadline``; keep it in `events` if it is an event."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError(f"timed out waiting for {waiting_for}")
        self._ws.settimeout(remaining)
        try:
            message = json.loads(self._ws.recv())
        except websocket.WebSocketTimeoutException as error:
            raise BrowserError(f"timed out waiting for {waiting_for}") from error
        if "method" in message:
            self.events.append(message)
        return message

    def close(self) -> None:
        """Close the websocket."""
        self._ws.close()


class _StderrReader:
    """Drains chromium's stderr on a thread (so the pipe never fills), keeping the last lines.

    Sets `url` from the line ``DevTools listening on ws://...``.
    """

    def __init__(self, stream, keep: int = 40):
        self.tail: collections.deque[str] = collections.deque(maxlen=keep)
        self.url: str | None = None
        self._stream = stream
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, name="chromium-stderr", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for raw in self._stream:
            line = raw.decode(errors="replace").rstrip()
            self.tail.append(line)
            if self.url is None and (match := DEVTOOLS_LINE.search(line)):
                self.url = match[1]
                self._ready.set()
        self._ready.set()  # end of the stream: chromium has exited

    def wait(self, timeout: float) -> str | None:
        """The DevTools websocket address, or None if chromium exits or is silent for ``timeout`` s."""
        self._ready.wait(timeout)
        return self.url

    def join(self, timeout: float = 5.0) -> None:
        """Wait for the reader thread to reach the end of the stream."""
        self._thread.join(timeout)


def _stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """Terminate the process group of ``process`` (chromium and its helpers), then kill stragglers.

    Signalling the group once the leader has exited is safe: Linux hands out no pid that is still
    a process group's id, and an empty group answers ProcessLookupError.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------------------------
# what a page check finds


@dataclass
class PageCheck:
    """What loading one page found.

    Attributes
    ----------
    url
        The ``file://`` URL opened.
    path
        The page's resolved path.
    navigation_error
        Why the page itself did not load (``net::ERR_FILE_NOT_FOUND``, no load event), else None.
    console_errors
        ``console.error`` / ``console.assert`` messages and error-level log entries.
    exceptions
        Uncaught JavaScript exceptions.
    failed_requests
        ``"<url>: <net error>"`` for every resource that failed to load.
    external_requests
        Requests for anything but ``file:``/``data:`` URLs (a report must work offline).
    images
        ``(src, rendered)`` per ``<img>``; rendered means ``complete && naturalWidth > 0``.
    links
        Absolute URLs of every ``<a href>`` / ``<area href>``.
    ids
        Element ids and ``<a name>`` names: the fragments a link may point to.
    screenshot
        PNG of the viewport.
    """

    url: str
    path: Path
    navigation_error: str | None
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    images: list[tuple[str, bool]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    screenshot: bytes = b""

    def problems(self, blank_std: float = BLANK_STD) -> list[str]:
        """Human-readable problems of the page; empty when it loaded, rendered and links fine.

        Parameters
        ----------
        blank_std
            A screenshot whose pixel standard deviation is at most this counts as blank.
        """
        problems = [f"page did not load: {self.navigation_error}"] if self.navigation_error else []
        problems += [f"console error: {text}" for text in self.console_errors]
        problems += [f"uncaught exception: {text}" for text in self.exceptions]
        problems += [f"failed to load {request}" for request in self.failed_requests]
        problems += [f"request leaves the report (reports must work offline): {url}" for url in self.external_requests]
        problems += [f"image not rendered: {src}" for src, ok in self.images if not ok]
        problems += [problem for link in self.links if (problem := link_problem(link, self))]
        if not self.navigation_error:
            std = screenshot_std(self.screenshot)
            if std <= blank_std:
                problems.append(f"screenshot is blank (pixel standard deviation {std:.2g} <= {blank_std:g})")
        return problems


def url_path(url: str) -> Path:
    """The file-system path of a ``file://`` URL (query and fragment dropped)."""
    return Path(url2pathname(urlsplit(url).path))


def names_fragment(fragment: str, ids: set[str]) -> bool:
    """Whether a link's ``#fragment`` points into a page with these ids (``#`` and ``#top`` always do)."""
    fragment = unquote(fragment)
    return fragment == "" or fragment.lower() == "top" or fragment in ids


def link_problem(link: str, page: PageCheck) -> str | None:
    """Why the link ``link`` on ``page`` is broken or leaves the report, or None if it is fine.

    A ``file:`` link must name an existing file or folder; a fragment into the same page must name
    one of its ids (fragments into other pages are checked by `check_site`). http(s) and any other
    scheme that needs a network are problems; ``data:``, ``mailto:`` and ``javascript:`` are not.
    """
    parts = urlsplit(link)
    if parts.scheme in INERT_SCHEMES:
        return None
    if parts.scheme != "file":
        return f"link leaves the report (reports must work offline): {link}"
    target = url_path(link)
    if not target.exists():
        return f"broken link: {link} ({target} does not exist)"
    if target.resolve() == page.path and not names_fragment(parts.fragment, page.ids):
        return f"broken link: {link} (no element with id {unquote(parts.fragment)!r} on this page)"
    return None


def screenshot_std(png: bytes) -> float:
    """Standard deviation of the RGB values (0..1) of a PNG; 0.0 for an empty or one-colour image."""
    if not png:
        return 0.0
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")
    return float(pixels[..., :3].std())


# --------------------------------------------------------------------------------------------
# reading DevTools events into a PageCheck


def _console_text(params: dict) -> str:
    """``console.error(...)`` arguments joined, with where it was called."""
    args = [str(arg.get("value", arg.get("description", arg.get("type", "")))) for arg in params.get("args", [])]
    frames = params.get("stackTrace", {}).get("callFrames", [])
    where = f" ({frames[0]['url']}:{frames[0]['lineNumber'] + 1})" if frames else ""
    return " ".join(args) + where


def _exception_text(details: dict) -> str:
    """An uncaught exception's description (message and stack) or, failing that, its text."""
    exception = details.get("exception", {})
    text = exception.get("description") or str(exception.get("value", "")) or details.get("text", "")
    url = details.get("url", "")
    return text if url in text else f"{text} ({url}:{details.get('lineNumber', 0) + 1})"


def _collect_events(check: PageCheck, events: list[dict]) -> None:
    """Fill the console, exception and request fields of ``check`` from DevTools ``events``."""
    requested: dict[str, str] = {}
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            check.console_errors.append(_console_text(params))
        elif method == "Runtime.exceptionThrown":
            check.exceptions.append(_exception_text(params["exceptionDetails"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            if entry.get("source") != "network":  # failed loads are reported by Network.loadingFailed
                check.console_errors.append(entry.get("text", "") + (f" ({entry['url']})" if entry.get("url") else ""))
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            requested[params["requestId"]] = url
            if urlsplit(url).scheme not in ("file", "data", "blob", "about"):
                check.external_requests.append(url)
        elif method == "Network.loadingFailed":
            url = requested.get(params["requestId"], f"request {params['requestId']}")
            canceled = " (canceled)" if params.get("canceled") else ""
            check.failed_requests.append(f"{url}: {params.get('errorText', '?')}{canceled}")


def _inspect(page: _Connection, path: Path, timeout: float) -> PageCheck:
    """Load ``path`` in the tab behind ``page`` and gather a `PageCheck` of it."""
    for domain in ("Runtime", "Log", "Page", "Network"):
        page.call(f"{domain}.enable")
    url = path.as_uri()
    since = len(page.events)
    navigation = page.call("Page.navigate", url=url)
    error = navigation.get("errorText") or None
    if error is None and page.wait_for("Page.loadEventFired", timeout, since=since) is None:
        error = f"no load event within {timeout:g} s"
    state = page.call("Runtime.evaluate", expression=PAGE_STATE_JS, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in state:
        raise BrowserError(f"the page-state script failed on {url}: {_exception_text(state['exceptionDetails'])}")
    shot = page.call("Page.captureScreenshot", format="png", optimizeForSpeed=True)
    value = state["result"].get("value", {})
    check = PageCheck(
        url=url, path=path, navigation_error=error,
        images=[(image["src"], bool(image["ok"])) for image in value.get("images", [])],
        links=list(value.get("links", [])), ids=set(value.get("ids", [])),
        screenshot=base64.b64decode(shot["data"]),
    )
    _collect_events(check, page.events[since:])
    return check


# --------------------------------------------------------------------------------------------
# the browser


class Browser:
    """A headless chromium with a temporary profile, controlled over DevTools; a context manager.

    Parameters
    ----------
    executable
        The chromium to run; default: `find`.
    startup_timeout
        Seconds to wait for chromium to print its DevTools address.
    page_timeout
        Seconds to wait for a page's load event, and for each DevTools answer.
    window_size
        Width and height of the viewport (and of the screenshots) in CSS pixels.

    Examples
    --------
    >>> with Browser() as browser:                                   # doctest: +SKIP
    ...     print(browser.open("report/index.html").problems())
    []
    """

    def __init__(self, executable: str | None = None, *, startup_timeout: float = 30.0,
                 page_timeout: float = 30.0, window_size: tuple[int, int] = (1280, 2000)):
        self.executable = executable
        self.startup_timeout = startup_timeout
        self.page_timeout = page_timeout
        self.window_size = window_size
        self._process: subprocess.Popen | None = None
        self._stderr: _StderrReader | None = None
        self._connection: _Connection | None = None
        self._profile: str | None = None

    @staticmethod
    def find() -> str | None:
        """Path of chromium: on PATH, or Debian's ``/usr/bin/chromium``; None if neither exists."""
        for candidate in CANDIDATES:
            found = shutil.which(candidate)
            if found:
                return found
        return None

    @classmethod
    def available(cls) -> bool:
        """Whether chromium is installed (see `find`)."""
        return cls.find() is not None

    def __enter__(self) -> Browser:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start chromium and connect to its DevTools websocket.

        Raises
        ------
        FileNotFoundError
            If no chromium is installed.
        BrowserError
            If chromium does not print its DevTools address within `startup_timeout` seconds; the
            message ends with the last lines chromium wrote to stderr.
        """
        executable = self.executable or self.find()
        if executable is None:
            raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
        self._profile = tempfile.mkdtemp(prefix="disentangle-chromium-")
        scratch = Path(self._profile, "tmp")  # chromium's own temporary files go with the profile
        scratch.mkdir()
        width, height = self.window_size
        command = [executable, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}", "about:blank"]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, start_new_session=True,
                                         env={**os.environ, "TMPDIR": str(scratch)})
        self._stderr = _StderrReader(self._process.stderr)
        try:
            self._connection = _Connection(self._devtools_url(), self.page_timeout)
        except BaseException:
            self.close()
            raise

    def _devtools_url(self) -> str:
        """The browser's DevTools websocket address, read from its stderr."""
        url = self._stderr.wait(self.startup_timeout)
        if url is None:
            try:
                status = self._process.wait(1)  # its stderr closed: it is exiting
            except subprocess.TimeoutExpired:
                status = None
            state = f"exited with status {status}" if status is not None else f"still silent after {self.startup_timeout:g} s"
            tail = "\n".join(self._stderr.tail) or "(nothing)"
            raise BrowserError(f"chromium printed no 'DevTools listening on ws://...' line ({state}); "
                               f"its last stderr lines:\n{tail}")
        return url

    def close(self) -> None:
        """Close the connection, stop chromium's whole process group and delete the profile."""
        if self._connection is not None:
            self._ask_to_quit()
        if self._process is not None:
            _stop_group(self._process)
            self._stderr.join()
            self._process.stderr.close()
            self._process = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def _ask_to_quit(self, grace: float = 5.0) -> None:
        """Ask chromium to quit over DevTools (it then reaps its helper processes) and close the socket."""
        try:
            self._connection.call("Browser.close", timeout=grace)
        except (BrowserError, websocket.WebSocketException, OSError):
            pass  # it quit before answering, or is stuck: the process group is stopped next
        try:
            self._connection.close()
        finally:
            self._connection = None
        try:
            self._process.wait(grace)
        except subprocess.TimeoutExpired:
            pass

    def open(self, path: str | Path) -> PageCheck:
        """Load ``path`` (a local HTML file) in a fresh tab and check it.

        Returns
        -------
        PageCheck
            What the page logged, loaded, rendered and links to; see `PageCheck.problems`.
        """
        if self._connection is None:
            raise BrowserError("the browser is not started: use `with Browser() as browser:`")
        path = Path(path).resolve()
        target = self._connection.call("Target.createTarget", url="about:blank")["targetId"]
        try:
            page = _Connection(self._page_url(target), self.page_timeout)
            try:
                return _inspect(page, path, self.page_timeout)
            finally:
                page.close()
        finally:
            self._connection.call("Target.closeTarget", targetId=target)

    def _page_url(self, target: str) -> str:
        """DevTools websocket address of a page target (same host and port as the browser's)."""
        parts = urlsplit(self._stderr.url)
        return urlunsplit(parts._replace(path=f"/devtools/page/{target}"))


# --------------------------------------------------------------------------------------------
# a whole report


def local_page(link: str) -> Path | None:
    """The existing local HTML file a link points to, resolved; None for anything else."""
    if urlsplit(link).scheme != "file":
        return None
    target = url_path(link)
    if target.suffix.lower() not in PAGE_SUFFIXES or not target.is_file():
        return None
    return target.resolve()


def check_site(browser: Browser, start: str | Path) -> dict[Path, list[str]]:
    """Open every local page reachable by links from ``start``, once each, and list its problems.

    Links are followed only to existing ``file://`` HTML files (sibling folders included); a
    fragment into another page must name one of that page's ids.

    Parameters
    ----------
    browser
        A started `Browser`.
    start
        The first page, e.g. a report's ``index.html``.

    Returns
    -------
    dict
        Resolved path of every page visited (in visiting order: the keys are the visited pages)
        to its problems (see `PageCheck.problems`); an empty list means the page is fine.
    """
    start = Path(start).resolve()
    pages: dict[Path, PageCheck] = {}
    fragments: list[tuple[Path, str, Path]] = []  # (linking page, link, linked page)
    queue = collections.deque([start])
    while queue:
        path = queue.popleft()
        if path in pages:
            continue
        pages[path] = check = browser.open(path)
        for link in check.links:
            target = local_page(link)
            if target is None:
                continue
            if target != path and urlsplit(link).fragment:
                fragments.append((path, link, target))
            queue.append(target)
    problems = {path: check.problems() for path, check in pages.items()}
    for source, link, target in fragments:
        if not names_fragment(urlsplit(link).fragment, pages[target].ids):
            fragment = unquote(urlsplit(link).fragment)
            problems[source].append(f"broken link: {link} (no element with id {fragment!r} in {target.name})")
    return problems


def require_browser(environ: dict | None = None) -> None:
    """Skip the calling test when chromium is missing, or fail it when `REQUIRE_ENV` is set.

    Parameters
    ----------
    environ
        The environment to read `REQUIRE_ENV` from; default ``os.environ``.
    """
    import pytest

    if Browser.available():
        return
    environ = os.environ if environ is None else environ
    message = "chromium is not installed (`make browser` installs Debian's, as root)"
    if environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{message}, and {REQUIRE_ENV} is set: the browser checks must run")
    pytest.skip(f"{message}; set {REQUIRE_ENV}=1 to make this a failure")
