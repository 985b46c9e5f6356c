#!/usr/bin/env python3
"""CSV import and export of claims, measured on SQLite and PostgreSQL.

    .venv/bin/python bench/csv_bench.py                   # 1,000 / 10,000 / 100,000 claims, both databases
    .venv/bin/python bench/csv_bench.py --sizes 1000 --no-postgres
    .venv/bin/python bench/csv_bench.py --markdown table.md

Each claim has two evidence links and two tags; three in four have a status other than pending,
so the import also writes their history rows. For each size and database it measures, each in a
fresh process on a fresh copy of a database that holds the articles but no claims:

  ours         claims.csv.importing through ClaimResource.import_data: the code path the admin's
               confirm step runs (the preview runs it once more as a dry run) and import_claims runs.
  row-by-row   django-import-export's default row-by-row import of the same file: a ModelResource
               with the library's widgets (article by slug, tags by name) and its defaults (instance
               lookup, savepoint and diff per row); evidence and history rows are created per row
               in after_save_instance, the way a user of the library would add them. No signal
               tells the page cache per row (the services tell it once), which only makes it faster.
  bulk_create  the floor: the same rows parsed with the csv module and written with bare
               bulk_create (claims, evidence, tagged items, history), no checks at all.
  unchanged    ours again on the same file right after importing it: every row unchanged.
  export       export_claims' code path (streamed, .iterator() in chunks) to /dev/null.

Runs of 10,000 claims or fewer of ours and bulk_create are repeated three times and the fastest
kept. Rows per second are claims per second. Peak memory is the growth of the process's resident set
during the measured step (Linux: VmHWM after resetting it through /proc/self/clear_refs).
The row-by-row import of files larger than --row-by-row-max claims (default 10,000) is measured
on their first --row-by-row-sample rows (default 5,000) to keep the run under fifteen minutes;
the table says so where it happened. Its rate barely depends on the file's size.
"""

import argparse
import csv
import datetime
import gc
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SENTENCES_PER_ARTICLE = 1000
TAG_POOL = 20
STATUSES = ["verified", "disputed", "outdated", "pending"]
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/hundredmodels"
REPEATS = 3
REPEAT_UP_TO = 10_000


# ---------------------------------------------------------------------------------------------
# Data


def sentence(article, i):
    return f"記事{article}の第{i}文では、モデル{i % 97}の性能が{i}点だと述べています。"


def article_body(article):
    sentences = [sentence(article, i) for i in range(SENTENCES_PER_ARTICLE)]
    paragraphs = ["".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    sections = [
        f"## 第{i // 10 + 1}節\n\n" + "\n\n".join(paragraphs[i : i + 10]) for i in range(0, len(paragraphs), 10)
    ]
    return "\n\n".join(sections) + "\n"


def claim_row(n):
    article, i = divmod(n, SENTENCES_PER_ARTICLE)
    status = STATUSES[n % len(STATUSES)]
    return {
        "id": "",
        "article": f"bench-{article}",
        "statement": sentence(article, i),
        "kind": "claim",
        "status": status,
        "rating": "",
        "verdict_note": f"判定メモ{n}。出典で確認した。",
        "internal_note": "",
        "as_of": "2023-10-01",
        "recheck_after": "",
        "last_checked": "" if status == "pending" else "2024-01-15",
        "tags": f"タグ{n % TAG_POOL},タグ{(n + 7) % TAG_POOL}",
        "evidence": (
            f"supports | https://example.com/source/{n}/s | 出典{n} 裏付け | Example | 2023-09\n"
            f"refutes | https://example.com/source/{n}/r | 出典{n} 反証 | Example | 2023-09"
        ),
    }


def write_file(path, size):
    from claims.csv import exporting
    from claims.csv import format as csvformat

    rows = ([claim_row(n)[c] for c in csvformat.COLUMNS] for n in range(size))
    with open(path, "w", encoding="utf-8", newline="") as out:
        exporting.write_csv(out, [csvformat.COLUMNS, *rows])


# ---------------------------------------------------------------------------------------------
# Measuring (inside a worker process)


def _status(key):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def measure(function):
    """(seconds, peak resident-set growth in bytes, result) of calling ``function``."""
    import resource

    gc.collect()
    start_rss = _status("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        peak_key = "VmHWM"
    except OSError:
        peak_key = None
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    peak = _status(peak_key) if peak_key else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return seconds, max(0, (peak or 0) - (start_rss or 0)), result


def import_ours(data):
    from claims.admin.importexport import ClaimResource, ClaimsCSV

    dataset = ClaimsCSV().create_dataset(data)
    result = ClaimResource().import_data(dataset, dry_run=False, user=None, file_name="bench.csv")
    if result.has_validation_errors() or result.has_errors():
        raise SystemExit(str(result.claims_report.errors[:5]))
    return result.claims_report.counts


def row_by_row_resource():
    from import_export import fields, resources, widgets
    from taggit.models import Tag

    from claims import text
    from claims.models import Article, Claim, Evidence, StatusChange
    from claims.services import claim_anchor_fields

    class TagNames(widgets.ManyToManyWidget):
        """Tags by name, created when missing (the library's default widget uses ids)."""

        def __init__(self):
            super().__init__(Tag, field="name")

        def clean(self, value, row=None, **kwargs):
            return [name.strip() for name in (value or "").split(",") if name.strip()]

    class Kind(widgets.Widget):
        def clean(self, value, row=None, **kwargs):
            return value == "claim"

    anchors = {}

    class RowByRowClaimResource(resources.ModelResource):
        article = fields.Field(
            attribute="article", column_name="article", widget=widgets.ForeignKeyWidget(Article, "slug")
        )
        kind = fields.Field(attribute="is_claim", column_name="kind", widget=Kind())
        tags = fields.Field(attribute="tags", column_name="tags", widget=TagNames())

        class Meta:
            model = Claim
            fields = [
                "id",
                "article",
                "statement",
                "kind",
                "status",
                "verdict_note",
                "internal_note",
                "as_of",
                "recheck_after",
                "last_checked",
                "tags",
            ]
            import_id_fields = ["id"]

        def before_save_instance(self, instance, row, **kwargs):
            article = instance.article
            if article.pk not in anchors:
                anchors[article.pk] = {s.text: s for s in text.sentences(article.body)}
            for name, value in claim_anchor_fields(article.body, anchors[article.pk][row["statement"]]).items():
                setattr(instance, name, value)

        def after_save_instance(self, instance, row, **kwargs):
            for line in row["evidence"].splitlines():
                stance, url, title, publisher, published = (part.strip() for part in line.split("|"))
                Evidence.objects.create(
                    claim=instance, stance=stance, url=url, title=title, publisher=publisher, published=published
                )
            if instance.status != Claim.Status.PENDING:
                StatusChange.objects.create(
                    claim=instance, from_status="pending", to_status=instance.status, via=StatusChange.Via.IMPORT
                )

    return RowByRowClaimResource()


def import_row_by_row(data):
    from django.db import transaction
    from import_export.formats.base_formats import CSV

    from claims.caching.revision import content_changed

    dataset = CSV(encoding="utf-8-sig").create_dataset(data)
    with transaction.atomic():
        result = row_by_row_resource().import_data(dataset, dry_run=False)
        content_changed()
    if result.has_validation_errors() or result.has_errors():
        raise SystemExit(str(result.base_errors or result.row_errors()[:3] or result.invalid_rows[:3]))
    return result.totals


def import_bulk_create(data):
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from taggit.models import Tag, TaggedItem

    from claims import text
    from claims.caching.revision import content_changed
    from claims.models import Article, Claim, Evidence, StatusChange
    from claims.services import claim_anchor_fields

    def date(value):
        return datetime.date.fromisoformat(value) if value else None

    with transaction.atomic():
        articles = {a.slug: a for a in Article.objects.all()}
        anchors, claims, links, tagged, history = {}, [], [], [], []
        for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")):
            article = articles[row["article"]]
            if article.pk not in anchors:
                anchors[article.pk] = {s.text: s for s in text.sentences(article.body)}
            claim = Claim(
                article=article,
                **claim_anchor_fields(article.body, anchors[article.pk][row["statement"]]),
                is_claim=row["kind"] == "claim",
                status=row["status"],
                verdict_note=row["verdict_note"],
                internal_note=row["internal_note"],
                as_of=date(row["as_of"]),
                recheck_after=date(row["recheck_after"]),
                last_checked=date(row["last_checked"]),
            )
            claims.append(claim)
            for line in row["evidence"].splitlines():
                stance, url, title, publisher, published = (part.strip() for part in line.split("|"))
                links.append(
                    Evidence(claim=claim, stance=stance, url=url, title=title, publisher=publisher, published=published)
                )
            tagged += [(claim, name) for name in row["tags"].split(",")]
            if claim.status != "pending":
                history.append(StatusChange(claim=claim, from_status="pending", to_status=claim.status, via="import"))
        tags = {}
        for name in sorted({name for _claim, name in tagged}):
            tags[name] = Tag.objects.get_or_create(name=name)[0].pk
        Claim.objects.bulk_create(claims, batch_size=1000)
        Evidence.objects.bulk_create(links, batch_size=1000)
        content_type = ContentType.objects.get_for_model(Claim)
        TaggedItem.objects.bulk_create(
            [TaggedItem(content_type=content_type, object_id=c.pk, tag_id=tags[n]) for c, n in tagged], batch_size=1000
        )
        StatusChange.objects.bulk_create(history, batch_size=1000)
        content_changed()
    return len(claims)


def export_ours():
    from claims.csv import exporting

    with open(os.devnull, "w", encoding="utf-8", newline="") as out:
        return exporting.write_csv(out, exporting.claim_rows())


def written():
    from taggit.models import TaggedItem

    from claims.models import Claim, Evidence, StatusChange

    return [Claim.objects.count(), Evidence.objects.count(), TaggedItem.objects.count(), StatusChange.objects.count()]


def warm_up():
    """Load what a running server already has loaded: translations, content types, the ORM's caches."""
    from django.contrib.contenttypes.models import ContentType
    from taggit.models import Tag

    from claims.csv import format as csvformat
    from claims.models import Article, Claim, Evidence, StatusChange

    csvformat.parse_status("pending")
    csvformat.parse_stance("supports")
    ContentType.objects.get_for_model(Claim)
    for model in (Article, Claim, Evidence, StatusChange, Tag):
        model.objects.exists()


def worker(args):
    import django

    django.setup()
    if args.step == "setup":
        from django.core.management import call_command
        from django.utils import timezone

        from claims.models import Article

        call_command("migrate", verbosity=0)
        Article.objects.bulk_create(
            Article(
                slug=f"bench-{a}",
                title=f"ベンチマーク記事{a}",
                body=article_body(a),
                is_published=True,
                published_at=timezone.now(),
            )
            for a in range(args.articles)
        )
        for size in args.sizes:
            write_file(Path(args.work) / f"claims-{size}.csv", size)
        print(json.dumps({"ok": True}))
        return
    data = b""
    if args.file:
        data = Path(args.file).read_bytes()
        if args.rows:
            # The first N rows: cut the text after the header and N records.
            text = data.decode("utf-8-sig")
            records = list(csv.reader(io.StringIO(text, newline="")))[: args.rows + 1]
            out = io.StringIO(newline="")
            csv.writer(out, lineterminator="\r\n").writerows(records)
            data = out.getvalue().encode("utf-8-sig")
    warm_up()
    step = {
        "ours": lambda: import_ours(data),
        "unchanged": lambda: import_ours(data),
        "row-by-row": lambda: import_row_by_row(data),
        "bulk_create": lambda: import_bulk_create(data),
        "export": export_ours,
    }[args.step]
    seconds, peak, result = measure(step)
    print(json.dumps({"seconds": seconds, "peak": peak, "result": str(result), "written": written()}))


# ---------------------------------------------------------------------------------------------
# The driver


class Database:
    def __init__(self, kind, work, pg_url=None):
        self.kind = kind
        self.work = Path(work)
        self.pg_url = pg_url

    def env(self, name):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "hundredmodels.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "CLAIMS_IMPORT_MAX_BYTES": str(1 << 30),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        if self.kind == "sqlite":
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(self.work / f"{name}.sqlite3")
        else:
            env["DATABASE_URL"] = self._url(name)
        return env

    def _url(self, name):
        parts = urlsplit(self.pg_url)
        return urlunsplit(parts._replace(path="/" + self._dbname(name), query=""))

    def _dbname(self, name):
        return f"{urlsplit(self.pg_url).path.lstrip('/') or 'postgres'}_csvbench_{name}"

    def _admin(self, *statements):
        import psycopg

        parts = urlsplit(self.pg_url)
        with psycopg.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=parts.username,
            password=parts.password,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            for statement in statements:
                conn.execute(statement)

    def create_template(self):
        if self.kind == "postgres":
            self._admin(
                f'DROP DATABASE IF EXISTS "{self._dbname("template")}" WITH (FORCE)',
                f'CREATE DATABASE "{self._dbname("template")}"',
            )

    def fresh_copy(self):
        if self.kind == "sqlite":
            shutil.copy(self.work / "template.sqlite3", self.work / "run.sqlite3")
        else:
            self._admin(
                f'DROP DATABASE IF EXISTS "{self._dbname("run")}" WITH (FORCE)',
                f'CREATE DATABASE "{self._dbname("run")}" TEMPLATE "{self._dbname("template")}"',
            )

    def drop(self):
        if self.kind == "postgres":
            self._admin(*(f'DROP DATABASE IF EXISTS "{self._dbname(n)}" WITH (FORCE)' for n in ("run", "template")))


def run_worker(db, name, *args):
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *args]
    done = subprocess.run(command, env=db.env(name), cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"worker failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def benchmark(db, sizes, row_by_row_max, row_by_row_sample, work, log):
    results = []
    articles = -(-max(sizes) // SENTENCES_PER_ARTICLE)
    db.create_template()
    run_worker(db, "template", "setup", "--work", str(work), "--articles", str(articles), "--sizes", *map(str, sizes))
    for size in sizes:
        path = str(Path(work) / f"claims-{size}.csv")
        expected = [size, 2 * size, 2 * size, size * 3 // 4]
        entry = {"database": db.kind, "size": size}
        sample = size if size <= row_by_row_max else min(size, row_by_row_sample)
        # The short runs are repeated and the fastest kept: on a shared machine one run can be unlucky.
        repeats = REPEATS if size <= REPEAT_UP_TO else 1
        for step, rows, times in (("bulk_create", None, repeats), ("row-by-row", sample, 1), ("ours", None, repeats)):
            runs = []
            for _ in range(times):
                db.fresh_copy()
                args = [step, "--file", path] + (["--rows", str(rows)] if rows and rows < size else [])
                measured = run_worker(db, "run", *args)
                want = expected if not rows or rows >= size else [rows, 2 * rows, 2 * rows, rows * 3 // 4]
                if measured["written"] != want:
                    raise SystemExit(f"{db.kind} {size} {step}: wrote {measured['written']}, expected {want}")
                runs.append(measured)
            measured = min(runs, key=lambda m: m["seconds"])
            entry[step] = {**measured, "rows": rows or size, "runs": times}
            log(
                f"{db.kind:8} {size:>7,} {step:12} {(rows or size) / measured['seconds']:>10,.0f} rows/s  "
                f"{measured['peak'] / 2**20:7.1f} MB"
            )
        # On the database "ours" just filled: the same file again, then the export.
        for step in ("unchanged", "export"):
            measured = run_worker(db, "run", step, *(["--file", path] if step == "unchanged" else []))
            entry[step] = {**measured, "rows": size}
            log(
                f"{db.kind:8} {size:>7,} {step:12} {size / measured['seconds']:>10,.0f} rows/s  "
                f"{measured['peak'] / 2**20:7.1f} MB"
            )
        results.append(entry)
    return results


def table(results):
    lines = [
        "| Database | Claims | Ours: import | Row-by-row default | Bare bulk_create | Ours ÷ row-by-row (speed) "
        "| Ours ÷ bulk_create (time) | Ours: unchanged re-import | Export (streamed) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cell(entry, step):
        m = entry[step]
        rate = m["rows"] / m["seconds"]
        note = f" ({m['rows']:,} rows)" if m["rows"] != entry["size"] else ""
        if m.get("runs", 1) > 1:
            note += f" (best of {m['runs']})"
        return f"{rate:,.0f}/s · {m['peak'] / 2**20:,.0f} MB{note}"

    for e in results:
        ours = e["ours"]["rows"] / e["ours"]["seconds"]
        row_by_row = e["row-by-row"]["rows"] / e["row-by-row"]["seconds"]
        bulk = e["bulk_create"]["rows"] / e["bulk_create"]["seconds"]
        name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[e["database"]]
        lines.append(
            f"| {name} | {e['size']:,} | {cell(e, 'ours')} | {cell(e, 'row-by-row')} | {cell(e, 'bulk_create')} "
            f"| {ours / row_by_row:.1f}× | {bulk / ours:.2f}× | {cell(e, 'unchanged')} "
            f"| {cell(e, 'export')} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("step", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--articles", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="+", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--size-list", default="1000,10000,100000", help="Claims per file, comma-separated.")
    parser.add_argument("--row-by-row-max", type=int, default=10_000, help="Largest file imported row by row in full.")
    parser.add_argument(
        "--row-by-row-sample", type=int, default=5_000, help="Rows imported row by row of larger files."
    )
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL") or DEFAULT_PG, help="PostgreSQL URL.")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--markdown", help="Also write the table to this file.")
    args = parser.parse_args()
    if args.worker:
        sys.path.insert(0, str(ROOT))
        return worker(args)

    sizes = [int(size) for size in args.size_list.split(",")]
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as work:
        kinds = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgres"])
        for kind in kinds:
            db = Database(kind, work, args.postgres)
            try:
                results += benchmark(
                    db, sizes, args.row_by_row_max, args.row_by_row_sample, work, lambda line: print(line, flush=True)
                )
            finally:
                db.drop()
    minutes = (time.perf_counter() - started) / 60
    output = table(results)
    print()
    print(output)
    print(f"\n{len(results)} runs in {minutes:.1f} minutes; {os.cpu_count()} CPUs; Python {sys.version.split()[0]}.")
    if args.markdown:
        Path(args.markdown).write_text(output + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
