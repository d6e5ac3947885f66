"""report.html: the one page a person reads about a run, a HIL session or a campaign (as
PX4's Flight Review is for a flight log): the outcome, every judged limit with its value,
limit, margin and verdict, the phases, a HIL session's link report and the folder's plots.

The limits are the cases of gnc.junit (run_suites, campaign_suites): the page and a CI's
JUnit file judge alike, and no judging is repeated here.  The page is self-contained: inline
CSS, the folder's PNGs embedded as base64 data: URIs, nothing fetched from elsewhere, so it
opens offline, from an archive or an e-mail; without PNGs (--no-plots) it is the same page
without its figures.  An inline script marks <body data-images-loaded="N"> once the page
has loaded with the number of figures that decoded, so a headless browser can tell.

Standard library only (html, base64, json), besides the package's own reports.
"""
from __future__ import annotations

import base64
import html
import json
from fractions import Fraction
from pathlib import Path

from gnc import junit, programs
from gnc.hil.link_report import LINK_JSON, format_report

REPORT = "report.html"

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329;
       margin: 0 auto; max-width: 1180px; padding: 1.2em 1.6em 3em; background: #fafbfc; }
h1 { font-size: 1.5em; margin: .2em 0 .4em; }
h2 { font-size: 1.15em; margin: 1.8em 0 .5em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
h3 { font-size: 1em; margin: 1.2em 0 .4em; }
.outcome { display: inline-block; font-weight: 700; font-size: 1.2em; padding: .25em .8em; border-radius: 6px;
           color: #fff; letter-spacing: .03em; }
.outcome.pass { background: #1a7f37; } .outcome.fail { background: #cf222e; }
.facts { color: #57606a; margin: .6em 0; }
.facts span { margin-right: 1.4em; white-space: nowrap; }
ul.failures { color: #a40e26; }
table { border-collapse: collapse; margin: .3em 0 1em; background: #fff; }
th, td { border: 1px solid #d0d7de; padding: .3em .65em; text-align: left; vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.verdict { font-weight: 700; white-space: nowrap; }
tr.pass td.verdict { color: #1a7f37; background: #dafbe1; }
tr.fail td.verdict { color: #cf222e; background: #ffebe9; }
tr.error td.verdict { color: #9a6700; background: #fff8c5; }
td.note { color: #57606a; font-size: .92em; max-width: 36em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
pre { background: #fff; border: 1px solid #d0d7de; padding: .8em; overflow-x: auto; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 1em; align-items: start; }
figure { margin: 0 0 .6em; }
figure img { max-width: 100%; height: auto; border: 1px solid #d0d7de; background: #fff; }
figcaption { color: #57606a; font-size: .9em; }
details summary { cursor: pointer; color: #0969da; }
"""

# after the page (and every data: image) has loaded: how many figures decoded, for a headless check
SCRIPT = """
window.addEventListener("load", function () {
  var n = 0;
  for (var i = 0; i < document.images.length; i++) {
    if (document.images[i].complete && document.images[i].naturalWidth > 0) n++;
  }
  document.body.setAttribute("data-images-loaded", String(n));
});
"""

VERDICT = {"pass": "PASS", "fail": "FAIL", "error": "NOT JUDGED"}
COLUMNS = ("limit", "margin", "unit", "result", "note")        # of the limits' tables, after case and value
# a case's properties shown in their own column; the rest go to its note
SHOWN = ("value", "worst", "outcome", "tipped", "limit", "expected", "margin", "unit")


def run_page(result, folder: Path) -> str:
    """The report of one flown run (a program's result: .scenario, .summary, a mission's
    .phases) whose other outputs are in folder: its PNGs and a HIL session's link.json."""
    sc, s = result.scenario, result.summary
    program = programs.get(sc.program)
    link_path = Path(folder) / LINK_JSON
    link = json.loads(link_path.read_text()) if link_path.exists() else None
    command = "gnc hil" if s.get("hil") else "gnc run"
    facts = {"program": sc.program, "scenario": sc.name, "seed": s["seed"],
             "dispersed": "yes" if s.get("dispersed") else None, "overrides": " ".join(sc.overrides) or None}
    facts.update({k: _value(v) for k, v in s.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
                  and k != "seed"})
    body = [_headline(f"{command} {sc.name}", s["outcome"], program.succeeded(s), facts, s.get("failures", [])),
            "<h2>Limits</h2>", _limits(junit.run_suites(result)), _phases(s)]
    if link is not None:
        body.append(_link(link))
    body += [_plots(folder, program),
             _pre(f"Report (as printed by {command})", program.report(s, sc), open_=True),
             _pre("summary.json", json.dumps(s, indent=2, default=str))]
    return _page(f"{command} {sc.name} seed {s['seed']}: {s['outcome']}", body)


def campaign_page(c, folder: Path, min_success: Fraction = Fraction(1)) -> str:
    """The report of a campaign (gnc.montecarlo.Campaign) whose PNGs are in folder, judged
    against min_success (--min-success) as its JUnit file is."""
    sc, program = c.scenario, c.program
    n, rate = len(c.runs), c.success_fraction()
    met = not c.interrupted and rate >= min_success
    outcome = ("interrupted" if c.interrupted else
               f"{100 * float(rate):.1f} % {program.success} ({'met' if met else 'missed'})")
    facts = {"program": sc.program, "scenario": sc.name, "campaign seed": c.seed, "runs": f"{n} of {c.requested}",
             "required": f"{program.success} in >= {100 * float(min_success):.4g} % of runs",
             "flight software": c.fsw, "wall time": f"{c.wall_s:.1f} s",
             "overrides": " ".join(sc.overrides) or None}
    counts: dict[str, int] = {}
    for r in c.runs:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    failed = [r["seed"] for r in c.runs if r["outcome"] != program.success]
    body = [_headline(f"gnc montecarlo {sc.name}", outcome, met, facts, []),
            "<h2>Limits over the campaign</h2>",
            _limits(junit.campaign_suites(c, min_success), "value or worst"),
            "<h2>Outcomes</h2>",
            _table(["outcome", "runs", "fraction"], [[html.escape(k), _num_cell(v), _num_cell(f"{100 * v / n:.1f} %")]
                                                      for k, v in sorted(counts.items())], "outcomes")]
    if failed:
        # the kept ones (gnc.montecarlo.keep_failed) link to their own run's page
        shown = ", ".join(f'<a href="failed/{seed}/{REPORT}">{seed}</a>' if seed in c.kept else str(seed)
                          for seed in failed[:50]) + (" ..." if len(failed) > 50 else "")
        kept = (f" The first {len(c.kept)}, linked, are kept with their telemetry in failed/&lt;seed&gt;/."
                if c.kept else "")
        body.append(f"<p>Runs that did not end {html.escape(program.success)}, by seed: {shown}.{kept} "
                    f"Replay one: <code>gnc run {html.escape(sc.name)} --seed {failed[0]} --disperse</code></p>")
    body += [_plots(folder), _pre("Report (as printed by gnc montecarlo)", program.part("campaign").report(c),
                                      open_=True)]
    return _page(f"gnc montecarlo {sc.name}: {outcome}", body)


# ---------------------------------------------------------------- sections

def _headline(title: str, outcome: str, good: bool, facts: dict, failures: list[str]) -> str:
    shown = "".join(f"<span><b>{html.escape(k)}</b> {html.escape(str(v))}</span>"
                    for k, v in facts.items() if v is not None)
    out = [f"<h1>{html.escape(title)}</h1>",
           f'<div class="outcome {"pass" if good else "fail"}" id="outcome">{html.escape(outcome.upper())}</div>',
           f'<div class="facts">{shown}</div>']
    if failures:
        out.append('<ul class="failures">' + "".join(f"<li>{html.escape(f)}</li>" for f in failures) + "</ul>")
    return "\n".join(out)


def _limits(suites: list[junit.Suite], value: str = "value") -> str:
    """A table per suite, a row per case: value (a campaign's: the worst), limit, margin, unit,
    verdict, and the failure's message or the case's other properties."""
    out = []
    for suite in suites:
        if len(suites) > 1:
            out.append(f"<h3>{html.escape(suite.name)}</h3>")
        rows = []
        for case in suite.cases:
            p = case.properties
            verdict = "fail" if case.failure else "error" if case.error else "pass"
            shown = p.get("value", p.get("worst", p.get("outcome", p.get("tipped", ""))))
            limit = p.get("limit", f"= {p['expected']}" if "expected" in p else "")
            note = (case.failure or case.error or (None, ""))[1] or _note(p)
            rows.append((f'<tr class="{verdict}" data-case="{html.escape(case.name)}">'
                         f"<td><code>{html.escape(case.name)}</code></td>{_num_cell(shown)}{_num_cell(limit)}"
                         f"{_num_cell(p.get('margin', ''))}<td>{html.escape(p.get('unit', ''))}</td>"
                         f'<td class="verdict">{VERDICT[verdict]}</td><td class="note">{html.escape(note)}</td></tr>'))
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ("case", value, *COLUMNS))
        out.append(f'<table class="limits" data-suite="{html.escape(suite.name)}"><thead><tr>{head}</tr></thead>'
                   f'<tbody>{"".join(rows)}</tbody></table>')
    return "\n".join(out)


def _note(p: dict[str, str]) -> str:
    """What a passing case's properties say beyond its value, limit and margin."""
    if "runs_within" in p:          # a campaign's limit
        n = sum(int(p[k]) for k in ("runs_within", "runs_beyond", "runs_not_judged"))
        return (f"within in {p['runs_within']} of {n} runs, beyond in {p['runs_beyond']}, not judged in "
                f"{p['runs_not_judged']}" + (f"; worst at seed {p['worst_seed']}" if "worst_seed" in p else ""))
    return ", ".join(f"{k} {v}" for k, v in p.items() if k not in SHOWN)


def _phases(s: dict) -> str:
    """The phases of the run, or of each leg of a mission."""
    flights = [("", s)] if "phases" in s else [(leg, s[leg]) for leg in junit.LEGS if s.get(leg)]
    out = ["<h2>Phases</h2>"]
    for leg, leg_s in flights:
        if leg:
            out.append(f"<h3>{html.escape(leg)}: {html.escape(leg_s['outcome'])}</h3>")
        rows = [[f"<code>{html.escape(p['name'])}</code>", _num_cell(f"{p['start_s']:.1f}"),
                 _num_cell(f"{p['end_s']:.1f}"), _num_cell(f"{p['end_s'] - p['start_s']:.1f}")]
                for p in leg_s.get("phases", [])]
        out.append(_table(["phase", "start s", "end s", "length s"], rows, "phases"))
    if s.get("timeline_h"):
        out.append("<p>Mission timeline from powered descent initiation: " + html.escape(", ".join(
            f"{k} {v:.2f} h" for k, v in s["timeline_h"].items() if v is not None)) + "</p>")
    return "\n".join(out)


def _link(link: dict) -> str:
    """A HIL session's link: frames and timing per flight, events, and the printed report."""
    board = (link.get("board") or {}).get("name", "?")
    out = ["<h2>Link</h2>",
           f"<p>{html.escape(link['mode'])}, {link['steps']} exchanges with board {html.escape(str(board))}</p>"]
    keys = ("sent", "retransmitted", "received", "on_time", "late", "lost", "corrupted", "duplicate", "stray",
            "held_steps")
    flights = link["phases"] if len(link["phases"]) > 1 else []
    rows = [[html.escape(name)] + [_num_cell(f.get(k, "")) for k in keys]
            for name, f in [("session", link["frames"])] + [(p["name"], p["frames"]) for p in flights]]
    out.append(_table(["frames"] + [k.replace("_", " ") for k in keys], rows, "link-frames"))
    timing = []
    for part in [link] + flights:
        for label, key in (("round trip", "round_trip_s"), ("board step", "board_step_s"),
                           ("loop period", "loop_period_s"), ("period jitter", "period_jitter_s"),
                           ("send late", "send_late_s")):
            d = part.get(key)
            if d:
                timing.append([html.escape(f"{part.get('name', 'session')}: {label}")]
                              + [_num_cell(f"{d[q] * 1e3:.3f}") for q in ("p50", "p99", "max")])
    out.append(_table(["timing", "p50 ms", "p99 ms", "max ms"], timing, "link-timing"))
    if link["events"]:
        out.append("<ul>" + "".join(f"<li>step {e['step']} (t {e['t']:.2f} s): {html.escape(e['event'])}: "
                                    f"{html.escape(e['detail'])}</li>" for e in link["events"]) + "</ul>")
    out.append(_pre("Link report (as printed by gnc hil)", format_report(link), open_=True))
    return "\n".join(out)


def _plots(folder: Path, program=None) -> str:
    """Every PNG of folder embedded, the program's own (a gnc.programs Program's) in its plots'
    order, then the rest."""
    pngs = list(Path(folder).glob("*.png"))
    if not pngs:
        return "<h2>Plots</h2>\n<p>No plots in this folder (drawn without them: --no-plots).</p>"
    order = program.plot_names if program is not None else ()   # only now: it imports the plots' module
    pngs.sort(key=lambda p: (order.index(p.stem) if p.stem in order else len(order), p.name))
    figures = [f'<figure><img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode("ascii")}" '
               f'alt="{html.escape(p.name)}" data-file="{html.escape(p.name)}">'
               f"<figcaption>{html.escape(p.name)}</figcaption></figure>" for p in pngs]
    return "<h2>Plots</h2>\n<div class=\"plots\">\n" + "\n".join(figures) + "\n</div>"


# ---------------------------------------------------------------- pieces

def _page(title: str, body: list[str]) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def _table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    """rows: lists of cells, each already HTML (a <td> or text to wrap in one)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _num_cell(v) -> str:
    return f'<td class="num">{html.escape(str(v))}</td>'


def _value(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _pre(title: str, text: str, open_: bool = False) -> str:
    return (f"<details{' open' if open_ else ''}><summary>{html.escape(title)}</summary>"
            f"<pre>{html.escape(text)}</pre></details>")
