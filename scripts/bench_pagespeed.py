"""Page-speed benchmark: Lighthouse (mobile) on every page of the built site, served as GitHub Pages serves it.

    python -m scripts.bench_pagespeed                    # site/ as scripts/build.py left it
    python -m scripts.bench_pagespeed --mkdocs-build     # a plain `mkdocs build` (no build-time diagrams)
    python -m scripts.bench_pagespeed --pages concepts/ --why

Prints one row per page: the four Lighthouse category scores, LCP, TBT, CLS and bytes transferred,
flagging every page under budget (100 in all four categories) and, with --why, the audits that cost it.
Not a test: Lighthouse scores move a little from run to run (--runs N keeps each page's median run).

Lighthouse's load only ever sees what runs before the reader acts, and this site starts Material's scripts
once the reader has done something and paused (overrides/main.html). So the table also shows what a reader's
first taps cost: a phone-sized page in the same Chromium with the CPU slowed 4x, a tap on the first paragraph
1 s after load and a second one 250 ms later, each tap's Event Timing duration (input to next paint, what INP
is made of; under 16 ms shows as 0) and the blocking time after them. A tap over 200 ms counts as under budget.
`--taps-only` measures the taps without Lighthouse.

Lighthouse is a pinned devDependency in package.json: `make setup` leaves it out, so run `npm ci` once.
It drives the same Chromium as the browser tests (scripts/browser.py). Everything runs on 127.0.0.1; Lighthouse's
own network use (update checks, field data) is switched off, so the benchmark works offline.

Recorded runs, all 29 pages (mean performance; pages at 100 in all four categories; worst TBT; median bytes):
    plain `mkdocs build`, Mermaid drawn in the browser        75.3    0 of 29   1.8 s    -
    + diagrams inlined as SVG at build time, bundle deferred  97.6    3 of 29   333 ms   226 KiB
    + Material's scripts on first interaction, one SVG each  100.0   29 of 29   0 ms     47 KiB
(the last two measured 2026-12-02; the SEO fix for the share link came with the last step)
The first tap on the last of these (2026-12-03, all 29 pages): median 56 ms, at most 96 ms, input to next
paint; then 123-506 ms of blocking as Material's scripts start, which a second quick tap would wait on.
With Material's behaviour from the first paint and the scripts started once the reader pauses (2026-12-04,
29 pages + the print page, on 2 cores shared with other work, load average 2-10):
    Lighthouse: 24 of 30 at 100 x 4; 5 pages at 97-99 performance with TBT 0 (first paint and speed index,
    under load) reached 100 x 4 when run again at load average 1; every guide page is at 100 x 4. The
    one-page print version scores 69 (1.1 MB of HTML: FCP 3.0 s, TBT 800 ms), 100 in the other three.
    taps (after the scripts' start was made to wait for idle input): first median 32 ms, at most 216 ms
    (the print page; every other page under 200 ms); second median 24 ms, at most 56 ms
With the print page's chapters fetched after load and attached hidden=until-found (scripts/print_page.py;
2026-12-04, 38 pages + the print page, load average 1-3 after other work stopped):
    Lighthouse: 37 of 39 at 100 x 4 in one pass; /example/ci/ 99 (first paint 1.4 s) and the print page 96
    (largest paint 2.7 s: its chapter downloads, then started before the load event, counted towards it);
    both at 100 x 4 (median of 3 runs) once the chapters waited for the load event. Before: the print page
    (2.9 MB) scored 68-69 or made Lighthouse time out. Taps: first median 32 ms, at most 88 ms (the print
    page); second median 16 ms, at most 56 ms
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.browser import CHROMIUM_ARGS, NoBrowser, find_chromium
from scripts.serve_site import serve, site_pages

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BUDGET = 100
# Lighthouse starts its own Chromium with these; extensions would skew the scores.
CHROME_FLAGS = [*CHROMIUM_ARGS, "--disable-extensions"]


# ------------------------------------------------------------------------------------------------
# Lighthouse
# ------------------------------------------------------------------------------------------------


@dataclass
class Result:
    page: str
    scores: dict[str, int]
    lcp_ms: float
    tbt_ms: float
    cls: float
    bytes: int
    losses: list[str]  # audits that cost points, "category: audit (score)"
    tap_ms: float = 0.0  # the first tap's slowest event, input to next paint
    tap2_ms: float = 0.0  # the same for a second tap, TAP_GAP_S after the first
    tap_tbt_ms: float = 0.0  # main-thread blocking (long tasks past 50 ms) in the 2 s after the first tap

    @property
    def under_budget(self) -> bool:
        return (any(self.scores.get(c, 0) < BUDGET for c in CATEGORIES)
                or max(self.tap_ms, self.tap2_ms) > TAP_BUDGET_MS)


def lighthouse(url: str, chrome: str, profile_dir: Path) -> dict:
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS + [f'--user-data-dir={profile_dir}'])}",
        # Screenshots feed no score; skipping them saves seconds per page.
        "--skip-audits=full-page-screenshot,screenshot-thumbnails,final-screenshot",
        "--max-wait-for-load=30000",
    ]
    env = dict(os.environ, CHROME_PATH=chrome)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=400)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"lighthouse failed on {url}: {proc.stderr.strip()[-800:]}")
    report = json.loads(proc.stdout)
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse could not load {url}: {report['runtimeError'].get('message')}")
    return report


def summarise(page: str, report: dict) -> Result:
    audits = report["audits"]
    scores = {}
    losses = []
    for name in CATEGORIES:
        category = report["categories"][name]
        scores[name] = round((category["score"] or 0) * 100)
        for ref in category["auditRefs"]:
            audit = audits.get(ref["id"], {})
            score = audit.get("score")
            if ref.get("weight", 0) > 0 and score is not None and score < 1:
                value = audit.get("displayValue") or ""
                losses.append(f"{name}: {ref['id']} ({round(score * 100)}{', ' + value if value else ''})")

    def value(audit_id: str) -> float:
        return float(audits.get(audit_id, {}).get("numericValue") or 0)

    return Result(
        page=page,
        scores=scores,
        lcp_ms=value("largest-contentful-paint"),
        tbt_ms=value("total-blocking-time"),
        cls=value("cumulative-layout-shift"),
        bytes=int(value("total-byte-weight")),
        losses=losses,
    )


# Long tasks and event timings from navigation on; each tap's entries share its interactionId.
_TAP_OBSERVERS = """
window.__longTasks = [];
new PerformanceObserver(list => window.__longTasks.push(...list.getEntries().map(e => [e.startTime, e.duration])))
  .observe({type: "longtask", buffered: true});
window.__events = [];
new PerformanceObserver(list => window.__events.push(...list.getEntries().map(e => [e.startTime, e.duration, e.interactionId || 0])))
  .observe({type: "event", durationThreshold: 16, buffered: true});
"""
_TEXT_SPOTS = """
(() => {
  const spots = [];
  for (const p of document.querySelectorAll("article p")) {
    const box = p.getBoundingClientRect();
    if (box.top < 0 || box.bottom > innerHeight) continue;
    for (let x = box.left + 5; x < box.right - 5 && spots.length < 2; x += 30) {
      const y = box.top + Math.min(box.height / 2, 10);
      const el = document.elementFromPoint(x, y);
      if (el && p.contains(el) && !el.closest("a, button, label, input, summary")) spots.push([x, y]);
    }
    if (spots.length >= 2) break;
  }
  return spots;
})()
"""
TAP_GAP_S = 0.25  # the second tap comes this long after the first, as a reader's quick second tap does
TAP_BUDGET_MS = 200  # "good" INP is 200 ms or less


def taps(base: str, pages: list[str], chrome: str) -> dict[str, tuple[float, float, float]]:
    """Per page: (first tap, second tap, blocking time in the 2 s after the first), in ms.

    A tap's figure is its slowest event (pointerdown, pointerup, click...), input to next paint.
    """
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chrome, args=CHROMIUM_ARGS)
        try:
            for page_path in pages:
                context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
                page = context.new_page()
                context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
                page.add_init_script(_TAP_OBSERVERS)
                page.goto(base + page_path, wait_until="load")
                page.wait_for_timeout(1000)
                # Two spots of plain paragraph text, not a link: a tap there only reads, it never navigates.
                spots = page.evaluate(_TEXT_SPOTS)
                if len(spots) < 2:
                    raise RuntimeError(f"/{page_path} has no paragraph text to tap")
                tapped_at = page.evaluate("performance.now()")
                first = time.monotonic()
                page.touchscreen.tap(*spots[0])
                time.sleep(max(0.0, first + TAP_GAP_S - time.monotonic()))
                page.touchscreen.tap(*spots[1])
                page.wait_for_timeout(2000)
                tasks, events = page.evaluate("[window.__longTasks, window.__events]")
                by_tap: dict[int, float] = {}
                for start, duration, interaction in events:
                    if start >= tapped_at and interaction:
                        by_tap[interaction] = max(by_tap.get(interaction, 0.0), duration)
                durations = [by_tap[k] for k in sorted(by_tap)] + [0.0, 0.0]
                out[page_path] = (
                    durations[0],
                    durations[1],
                    sum(max(0.0, d - 50) for t, d in tasks if t >= tapped_at),
                )
                context.close()
        finally:
            browser.close()
    return out


def print_table(results: list[Result], why: bool) -> None:
    header = f"{'page':<34} {'perf':>4} {'a11y':>4} {'b-p':>4} {'seo':>4} {'LCP ms':>7} {'TBT ms':>7} {'CLS':>6} {'KiB':>7} {'tap1':>5} {'tap2':>5} {'tap TBT':>7}  budget"
    print(header)
    print("-" * len(header))
    for r in results:
        s = r.scores
        flag = "UNDER" if r.under_budget else "ok"
        print(
            f"{'/' + r.page:<34} {s['performance']:>4} {s['accessibility']:>4} {s['best-practices']:>4} {s['seo']:>4} "
            f"{r.lcp_ms:>7.0f} {r.tbt_ms:>7.0f} {r.cls:>6.3f} {r.bytes / 1024:>7.0f} {r.tap_ms:>5.0f} {r.tap2_ms:>5.0f} {r.tap_tbt_ms:>7.0f}  {flag}"
        )
        if why and r.under_budget:
            for loss in r.losses:
                print(f"{'':<36}{loss}")
    if results:
        under = [r for r in results if r.under_budget]
        mean = {c: statistics.mean(r.scores[c] for r in results) for c in CATEGORIES}
        print("-" * len(header))
        print(
            f"{len(results)} pages; mean performance {mean['performance']:.1f}, accessibility {mean['accessibility']:.1f}, "
            f"best practices {mean['best-practices']:.1f}, SEO {mean['seo']:.1f}; "
            f"median LCP {statistics.median(r.lcp_ms for r in results):.0f} ms, "
            f"max TBT {max(r.tbt_ms for r in results):.0f} ms, max CLS {max(r.cls for r in results):.3f}, "
            f"median {statistics.median(r.bytes for r in results) / 1024:.0f} KiB; "
            f"taps: first median {statistics.median(r.tap_ms for r in results):.0f} ms, max {max(r.tap_ms for r in results):.0f} ms; "
            f"second median {statistics.median(r.tap2_ms for r in results):.0f} ms, max {max(r.tap2_ms for r in results):.0f} ms; "
            f"max blocking after them {max(r.tap_tbt_ms for r in results):.0f} ms"
        )
        print(f"under budget (< {BUDGET} in any category, or a tap over {TAP_BUDGET_MS} ms): {len(under)} of {len(results)}"
              + (": " + ", ".join("/" + r.page for r in under) if under else ""))


def mkdocs_build(into: Path) -> Path:
    site = into / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: mkdocs build failed:\n{proc.stderr[-2000:]}")
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--site", type=Path, default=ROOT / "site", help="built site to measure (default: site/)")
    source.add_argument("--mkdocs-build", action="store_true", help="measure a fresh plain `mkdocs build` instead")
    parser.add_argument("--pages", nargs="*", default=[], help="only pages whose URL contains one of these")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page; the median-performance run counts")
    parser.add_argument("--why", action="store_true", help="list the audits that cost points on pages under budget")
    parser.add_argument("--taps-only", action="store_true", help="measure the two taps only, without Lighthouse")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--fail-under-budget", action="store_true", help="exit 1 if any page is under budget")
    args = parser.parse_args(argv)

    if not LIGHTHOUSE.exists() and not args.taps_only:
        print("error: Lighthouse is not installed: run `npm ci` (it is a pinned devDependency in package.json)",
              file=sys.stderr)
        return 2
    try:
        chrome = find_chromium()
    except NoBrowser as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="pagespeed-") as tmp:
        tmp = Path(tmp)
        root = mkdocs_build(tmp) if args.mkdocs_build else args.site.resolve()
        if not (root / "index.html").is_file():
            print(f"error: {root} has no index.html: run `python -m scripts.build --offline` first, "
                  "or pass --site DIR or --mkdocs-build", file=sys.stderr)
            return 2
        pages = [p for p in site_pages(root) if not args.pages or any(f in "/" + p for f in args.pages)]
        server, base = serve(root)
        print(f"Lighthouse (mobile, simulated throttling) on {len(pages)} page(s) of {root}, served gzip at {base}",
              file=sys.stderr)
        results = []
        started = time.monotonic()
        try:
            tapped = taps(base, pages, chrome)
            for page in pages:
                if args.taps_only:
                    results.append(Result(page, {c: BUDGET for c in CATEGORIES}, 0.0, 0.0, 0.0, 0, []))
                    results[-1].tap_ms, results[-1].tap2_ms, results[-1].tap_tbt_ms = tapped[page]
                    continue
                runs = []
                for n in range(args.runs):
                    profile = tmp / f"profile-{len(results)}-{n}"  # a fresh profile: no warm cache between pages
                    runs.append(summarise(page, lighthouse(base + page, chrome, profile)))
                runs.sort(key=lambda r: r.scores["performance"])
                results.append(runs[len(runs) // 2])
                results[-1].tap_ms, results[-1].tap2_ms, results[-1].tap_tbt_ms = tapped[page]
                print(f"  /{page}: {results[-1].scores}", file=sys.stderr)
        finally:
            server.shutdown()
            server.server_close()
        print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)

    print_table(results, args.why)
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2), encoding="utf-8")
    return 1 if args.fail_under_budget and any(r.under_budget for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
