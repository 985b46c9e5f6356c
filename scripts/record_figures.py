#!/usr/bin/env python3
"""Print the editorial record's figures, so docs can quote numbers anyone can re-run.

    python3 scripts/record_figures.py                   # the whole record
    python3 scripts/record_figures.py --rows 1-50       # data rows 1 to 50 (1-based, essay order)
    python3 scripts/record_figures.py --list            # also name the rows behind each gap
    python3 scripts/record_figures.py path/to/file.csv

Standard library only. The rules behind each figure are in docs/editorial/record-figures.md;
the lists below are the ones that rule refers to, kept here so a change to them is a reviewed diff.
"""

import argparse
import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "claims/data/hundred-model-war.claims.csv"

DECIDED = ("verified", "disputed", "outdated", "unsupported")
RATINGS = {
    "accurate": "verified",
    "mostly_accurate": "verified",
    "misleading": "disputed",
    "inaccurate": "disputed",
    "false": "disputed",
    "fabricated": "disputed",
    "unfounded": "unsupported",
    "on_hold": "unsupported",
}
# The stance of the link a verdict rests on ("the deciding link"), by status: the first link of
# the first stance listed here that the claim has (editors list the deciding link first). A
# disputed claim rests on its first refuting link, or on its first context link when it has none.
DECIDING_STANCES = {
    "verified": ("supports",),
    "disputed": ("refutes", "context"),
    "outdated": ("refutes",),
    "unsupported": ("context", "refutes", "supports"),
}
# Marker an editor puts in a claim's internal_note when the claim is about a state of affairs
# (a ranking, price, plan, count, who leads, open or closed); outdated claims count as such too.
STATE_OF_AFFAIRS_MARKER = "【状況】"

# Real archives: the only hosts an `archived=` value may point at.
ARCHIVE_HOSTS = ("web.archive.org", "archive.today", "archive.ph", "archive.is", "archive.md")

# A publisher field that says the page is somebody else's text.
COPY_PUBLISHER = re.compile(
    r"\bcopy\b|republish|reprint|repost|\bciting\b|\breporting\b|summar|転載|コピー|引用元",
    re.IGNORECASE,
)
# Hosts that copy, mirror, proxy, aggregate or farm other publishers' texts (a suffix match, so
# "ad-astra.icu" also covers "news.ad-astra.icu"). Never the origin of what they show.
NON_ORIGINAL_HOSTS = (
    # content farms and copy sites seen in this record
    "yourai.pro",
    "beijingleather.com.cn",
    "aisjcy.com",
    "mamardi.com",
    "lcdmedia.net",
    "magzter.com",
    "hacktech.info",
    "primetel.com.cy",
    "meterpreter.org",
    "investmentwaveupdates.com",
    "ad-astra.icu",
    "seductrice.net",
    "svlook.com",
    "menafn.com",
    "newsinstock.com",
    "whatsnewonthenet.com",
    "3quarksdaily.com",
    "zbook.org",
    # document mirrors and renderers
    "giters.com",
    "vdocument.in",
    "studylib.net",
    "docslib.org",
    "academia-assets.com",
    "arxiv-vanity.com",
    "lazybrains.com",
    "videodb.org",
    "nzdl.org",
    "edacafe.com",
    "vercel.app",
    # proxies
    "vuink.com",
    "nikiroo.be",
)
# Odd hosts: a pre-production, staging or origin host, or a name with a trailing dot.
ODD_HOST = re.compile(r"(^|[.-])(pre-?prod|staging|stage|origin-[^.]*|dev)([.-]|$)|\.$")


def split_line(line):
    """Split one evidence line on unescaped `|` (docs/csv.md), undoing `\\|` and `\\\\`."""
    parts, buf, i = [], [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in "|\\":
            buf.append(line[i + 1])
            i += 2
            continue
        if ch == "|":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf).strip())
    return parts


def parse_evidence(cell):
    links = []
    for line in cell.splitlines():
        if not line.strip():
            continue
        parts = split_line(line)
        positional = [p for p in parts if not re.match(r"^(accessed|archived|excerpt)=", p)]
        keyed = dict(p.split("=", 1) for p in parts if re.match(r"^(accessed|archived|excerpt)=", p))
        positional += [""] * (5 - len(positional))
        links.append(
            {
                "stance": positional[0].lower(),
                "url": positional[1],
                "title": positional[2],
                "publisher": positional[3],
                "published": positional[4],
                "accessed": keyed.get("accessed", ""),
                "archived": keyed.get("archived", ""),
                "excerpt": keyed.get("excerpt", ""),
            }
        )
    return links


def host_of(url):
    # urlsplit().hostname drops nothing but the port and lowercases; a trailing dot stays.
    return (urlsplit(url).hostname or "").lower()


def host_matches(host, suffixes):
    host = host.rstrip(".")
    return any(host == s or host.endswith("." + s) for s in suffixes)


def is_archive(url):
    return host_matches(host_of(url), ARCHIVE_HOSTS)


def is_odd_host(url):
    host = host_of(url)
    return bool(ODD_HOST.search(host)) or host_matches(host, ("vuink.com", "nikiroo.be"))


def is_original(link):
    host = host_of(link["url"])
    return not (
        COPY_PUBLISHER.search(link["publisher"]) or host_matches(host, NON_ORIGINAL_HOSTS) or is_odd_host(link["url"])
    )


def deciding_links(status, links):
    for stance in DECIDING_STANCES.get(status, ()):
        chosen = [link for link in links if link["stance"] == stance]
        if chosen:
            return chosen
    return []


def parse_rows(text):
    first, _, last = text.partition("-")
    return int(first), int(last or first)


def figures(path, first=1, last=None):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    last = last or len(rows)
    counts = {"rows": 0, "claims": 0, "decided": 0, "links": 0}
    checks = {}

    def check(name, row_no, ok):
        total, bad = checks.setdefault(name, [0, []])
        checks[name][0] = total + 1
        if not ok:
            bad.append(row_no)

    for n, row in enumerate(rows, 1):
        if not first <= n <= last:
            continue
        counts["rows"] += 1
        links = parse_evidence(row.get("evidence", ""))
        for link in links:
            counts["links"] += 1
            check("links with an excerpt", n, bool(link["excerpt"]))
            check(
                "links whose archived= is a real archive (or empty)",
                n,
                not link["archived"] or is_archive(link["archived"]),
            )
            check(
                "links on a normal host (no trailing dot, pre-prod, proxy)",
                n,
                not is_odd_host(link["url"]) and not (link["archived"] and is_odd_host(link["archived"])),
            )
            check("links on an original publisher", n, is_original(link))
        if row.get("kind") != "claim":
            continue
        counts["claims"] += 1
        status = row.get("status", "")
        if status not in DECIDED:
            continue
        counts["decided"] += 1
        rating = row.get("rating", "")
        check("decided claims rated", n, bool(rating))
        # An outdated claim carries the rating of what it was when written (verified family).
        family = "verified" if status == "outdated" else status
        check("decided claims whose rating fits the status", n, RATINGS.get(rating) == family)
        check("decided claims with as_of", n, bool(row.get("as_of")))
        decisive = deciding_links(status, links)
        check(
            "decided claims whose deciding link is on an original publisher",
            n,
            bool(decisive) and is_original(decisive[0]),
        )
        if status == "outdated" or STATE_OF_AFFAIRS_MARKER in row.get("internal_note", ""):
            check("state-of-affairs claims with recheck_after", n, bool(row.get("recheck_after")))
    return counts, checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--rows", help="data rows A-B (1-based), e.g. 1-50")
    parser.add_argument("--list", action="store_true", help="name the rows behind every gap")
    args = parser.parse_args(argv)
    first, last = parse_rows(args.rows) if args.rows else (1, None)
    counts, checks = figures(args.csv, first, last)
    label = f"rows {args.rows}" if args.rows else "all rows"
    print(f"Editorial record figures: {Path(args.csv).name}, {label}")
    print()
    width = max(len(name) for name in [*counts, *checks]) + 2
    for name, value in counts.items():
        print(f"{name:<{width}}{value:>5}")
    for name, (total, bad) in checks.items():
        good = total - len(bad)
        share = f"{100 * good / total:5.1f}%" if total else "    -"
        print(f"{name:<{width}}{good:>5} of {total:<5}{share}")
        if args.list and bad:
            print(f"{'':<{width}}  not: rows {', '.join(str(b) for b in sorted(set(bad)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
