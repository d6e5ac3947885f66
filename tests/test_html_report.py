"""report.html: the one page of a run, a HIL session and a campaign, read back with
html.parser (a row per JUnit case with the program's verdict, every PNG of the folder
embedded byte for byte, nothing fetched from elsewhere) and loaded offline by a real headless
Chromium (Debian's `chromium`), which must decode every figure."""
import base64
import json
import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gnc import junit
from gnc.cli import main
from gnc.hil.link import LINK_PNG
from gnc.html_report import REPORT
from gnc.scenario import load

CI = os.environ.get("CI") == "true"
SHORT = ["--set", "sim.max_duration_s=4"]        # ends 4 s after powered descent initiation: never judged


class Page(HTMLParser):
    """What a reader of report.html sees: the limit rows ({suite: [(case, verdict)]}), the
    images (data-file -> src), the tables' classes, every attribute value, the body's attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self.images: dict[str, str] = {}
        self.tables: list[str] = []
        self.attributes: list[str] = []
        self.body: dict[str, str] = {}
        self.outcome_class = ""
        self.suite = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attributes += [v for v in a.values() if v]
        if tag == "table":
            self.tables.append(a.get("class", ""))
            self.suite = a.get("data-suite") if "limits" in a.get("class", "") else None
            if self.suite is not None:
                self.rows[self.suite] = []
        elif tag == "tr" and self.suite is not None and "data-case" in a:
            self.rows[self.suite].append((a["data-case"], a["class"]))
        elif tag == "img":
            self.images[a["data-file"]] = a["src"]
        elif tag == "body":
            self.body = a
        elif a.get("id") == "outcome":
            self.outcome_class = a["class"]


def verdicts(suites: list[junit.Suite]) -> dict[str, list[tuple[str, str]]]:
    """The rows the page must show: the JUnit file's cases and verdicts."""
    return {s.name: [(c.name, "fail" if c.failure else "error" if c.error else "pass") for c in s.cases]
            for s in suites}


def offline(text: str) -> None:
    """Nothing on the page is fetched: no http(s) reference anywhere, every src a data: URI."""
    assert "http://" not in text.lower() and "https://" not in text.lower()
    page = Page(text)
    assert all(v.startswith("data:image/png;base64,") for v in page.images.values())
    assert not any(v.startswith(("//", "file:", "ftp:")) for v in page.attributes)


@pytest.fixture(scope="module")
def descent(tmp_path_factory) -> Path:
    """A real descent flown with its plots by `gnc run`."""
    out = tmp_path_factory.mktemp("html") / "descent"
    assert main(["run", "descent", "--out", str(out), "-q"]) == 0
    return out


def test_a_run_page_has_a_row_per_junit_case_and_every_plot(descent):
    text = (descent / REPORT).read_text(encoding="utf-8")
    offline(text)
    page = Page(text)
    summary = json.loads((descent / "summary.json").read_text())
    assert page.rows == verdicts([junit.Suite("descent", junit.descent_cases(summary, load("descent")))])
    assert all(verdict == "pass" for _, verdict in page.rows["descent"]) and "pass" in page.outcome_class
    pngs = sorted(descent.glob("*.png"))
    assert len(pngs) >= 7 and sorted(page.images) == [p.name for p in pngs]
    for p in pngs:         # each figure is the folder's file, byte for byte
        assert base64.b64decode(page.images[p.name].split(",", 1)[1]) == p.read_bytes()
    assert "<th>case</th><th>value</th><th>limit</th><th>margin</th>" in text
    assert "phases" in page.tables and "main_braking" in text


def test_a_page_without_plots_shows_a_failed_limit_in_its_row(tmp_path):
    """--no-plots: the same page without figures; a limit that cannot be met fails its row
    and the outcome, the other limits pass, as the JUnit file says."""
    out = tmp_path / "run"
    assert main(["run", "descent", "--out", str(out), "--no-plots", "-q",
                 "--set", "touchdown.max_vertical_m_s=0.1"]) == 1
    text = (out / REPORT).read_text(encoding="utf-8")
    offline(text)
    page = Page(text)
    summary = json.loads((out / "summary.json").read_text())
    sc = load("descent", ["touchdown.max_vertical_m_s=0.1"])
    assert page.rows == verdicts([junit.Suite("descent", junit.descent_cases(summary, sc))])
    assert dict(page.rows["descent"])["touchdown.max_vertical_m_s"] == "fail"
    assert dict(page.rows["descent"])["touchdown.max_horizontal_m_s"] == "pass"
    assert "fail" in page.outcome_class and not page.images and "No plots" in text


def test_a_hil_session_page_shows_the_link(tmp_path):
    out = tmp_path / "hil"
    main(["hil", "--stub", "descent", "--out", str(out), "-q", *SHORT])
    text = (out / REPORT).read_text(encoding="utf-8")
    offline(text)
    page = Page(text)
    assert {"link-frames", "link-timing"} <= set(page.tables)
    assert LINK_PNG in page.images and sorted(page.images) == sorted(p.name for p in out.glob("*.png"))
    # a flight cut short never reached touchdown: every limit is not judged, never a pass
    assert [v for _, v in page.rows["descent"]] == ["fail"] + ["error"] * (len(junit.TOUCHDOWN) + 1)


def test_a_campaign_page_has_its_success_rate_and_limits(tmp_path):
    out = tmp_path / "mc"
    assert main(["montecarlo", "descent", "-n", "2", "--jobs", "1", "--out", str(out), "-q", "--min-success", "0",
                 *SHORT]) == 0
    text = (out / REPORT).read_text(encoding="utf-8")
    offline(text)
    page = Page(text)
    names = ["campaign.min_success"] + [k for _, _, _, k in junit.TOUCHDOWN] + [junit.TIPPED]
    assert [name for name, _ in page.rows["descent.campaign"]] == names
    # no run reached touchdown: the rate (0 >= 0) passes, no limit held in any run (0 of 2 >= 0) passes too
    assert dict(page.rows["descent.campaign"])["campaign.min_success"] == "pass"
    assert "no_touchdown" in text and "outcomes" in page.tables
    assert sorted(page.images) == sorted(p.name for p in out.glob("*.png"))


# ---------------------------------------------------------------- a real browser

def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium is not installed (Debian: apt-get install chromium)"
        if CI:
            pytest.fail(reason + "; CI=true requires the browser check of report.html")
        pytest.skip(reason)
    return path


def browse(descent: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Chromium headless on the page, offline: every host name fails to resolve."""
    return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", *args,
                           (descent / REPORT).as_uri()], capture_output=True, text=True, timeout=60)


def test_chromium_loads_the_page_offline_and_decodes_every_plot(descent, tmp_path):
    dom = browse(descent, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = Page(dom.stdout)
    pngs = list(descent.glob("*.png"))
    # the page's script counted the images that decoded, once everything had loaded
    assert page.body.get("data-images-loaded") == str(len(pngs)), page.body
    assert len(page.images) == len(pngs)
    assert [name for name, _ in page.rows["descent"]] == [c.name for c in junit.descent_cases(
        json.loads((descent / "summary.json").read_text()), load("descent"))]

    shot = tmp_path / "report.png"
    p = browse(descent, tmp_path / "profile", "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1200,3000")
    assert p.returncode == 0, p.stderr[-2000:]
    head = shot.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (1200, 3000)
