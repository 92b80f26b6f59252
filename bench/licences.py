"""E-licences (电子证照): issuing, verifying and the status lists, side by side in one run.

    .venv/bin/python bench/licences.py                      # PostgreSQL if reachable, else SQLite
    .venv/bin/python bench/licences.py --database sqlite    # or postgres; --rounds N --issues N --pdf N

The database is PostgreSQL ``bench_licences`` at 127.0.0.1:5432 (user postgres, trust auth;
dropped and recreated) when it answers, otherwise a temporary SQLite file. Migrated, the demo
loaded (``load_demo``: departments, licence types, 张三); signing keys and stored PDFs go to a
temporary ``ONETHING_VAR_DIR``. Every round (``--rounds``, the host is shared and noisy) times,
per operation (wall clock; CPU of this thread next to it for the issuing parts):

1. **issuing** 机动车驾驶证 to 张三 by 岳阳市公安局 — ``credentials.sign_credential`` alone on an
   unsaved licence, its parts (``keys.active``, reading the PEM, the JWS with a ready key), the
   whole ``issuing.issue`` (serial counter, two status-list allocations, signing, document
   registration, machine + audit, inbox + outbox, one transaction), and the face PDF as
   ``views.face`` serves it (first download renders with WeasyPrint and stores it; second
   download reads the stored file);
2. **verifying** — ``credentials.verify`` of each credential issued in the round (key and
   licence lookups, status), of its QR payload, and the ed25519 signer's ``verify`` alone;
3. **status lists** — the pure kernel (``kernel.statuslist``): 1,000,000 random distinct
   indices in one 2^20-bit list (the default ``LICENCE_STATUS_LIST_SIZE``) and, as the app
   does it (a new list once half full), 500,000 in each of two lists; 1 % of them revoked;
   ``encodedList`` size, encode and decode time. On the database: ``statuslists.set_bit``
   (load the 128 KiB ``BinaryField``, flip, save; its own transaction), ``issuing.change``
   (revoke: machine, audit, two bits), ``statuslists.credential`` (encode + sign) and
   ``GET /api/v1/licences/status-lists/{id}``.

On PostgreSQL, ``AuditRecord.object_id`` (``varchar(64)``) is too short for a licence
identifier (74 characters), so the bench widens it in its own database first (see
:func:`widen_audit_object_id`). After the rounds, ``--breakdown`` issues are timed part by part
(each part of ``issue`` wrapped with a timer). Figures: the median over all samples and the
range of the per-round medians. Prints a JSON summary and Markdown tables for
docs/performance.md.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import db_version, machine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PG = "postgres://postgres@127.0.0.1:5432"
DB = "bench_licences"
TYPE_NAME = "机动车驾驶证"
ISSUER_CODE = "11430600MB0600046D"  # 岳阳市公安局
HOLDER = "zhangsan"
SIZE = 2**20
TOTAL = 1_000_000
REVOKED_SHARE = 0.01


class _Null:
    def write(self, *_):
        pass

    def flush(self):
        pass


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except Exception:  # any failure means: use SQLite
        return False


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def setup_django(database: str, var_dir: Path) -> None:
    if database == "postgres":
        recreate_database()
        os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ["ONETHING_VAR_DIR"] = str(var_dir)
    os.environ.pop("ONETHING_LICENCE_KEY_DIR", None)
    os.environ.pop("ONETHING_LICENCE_STATUS_LIST_SIZE", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.conf.settings")
    import django

    django.setup()


# ------------------------------------------------------------------------------ sampling


class Samples:
    """Per-operation samples of one measurement, kept per round."""

    def __init__(self, unit: str = "ms") -> None:
        self.unit = unit
        self.rounds: list[list[float]] = []
        self.cpu: list[float] = []

    def new_round(self) -> None:
        self.rounds.append([])

    def add(self, seconds: float, cpu: float | None = None) -> None:
        self.rounds[-1].append(seconds)
        if cpu is not None:
            self.cpu.append(cpu)

    def summary(self) -> dict:
        scale = 1000 if self.unit == "ms" else 1_000_000
        every = [s * scale for r in self.rounds for s in r]
        medians = [statistics.median(r) * scale for r in self.rounds if r]
        out = {
            "unit": self.unit,
            "n": len(every),
            "median": round(statistics.median(every), 3),
            "round_medians": [round(m, 3) for m in medians],
            "range": [round(min(medians), 3), round(max(medians), 3)],
            "p95": round(sorted(every)[min(len(every) - 1, int(0.95 * len(every)))], 3),
        }
        if self.cpu:
            out["cpu_median"] = round(statistics.median(self.cpu) * scale, 3)
        return out


def timed(samples: Samples, fn: Callable[[], object], *, cpu: bool = False) -> object:
    c0, t0 = time.thread_time(), time.perf_counter()
    result = fn()
    t1, c1 = time.perf_counter(), time.thread_time()
    samples.add(t1 - t0, (c1 - c0) if cpu else None)
    return result


# ------------------------------------------------------------------------------ the parts


def request_for(kind, issuer, holder):
    from onething.licences import issuing

    return issuing.Request(
        type=kind,
        issuer=issuer,
        holder_kind="person",
        holder_id=holder.id_number,
        holder_name=holder.real_name,
        fields={"vehicle_class": "C1"},
        source="bench",
    )


def unsaved_copy(licence):
    """An unsaved licence with the same values (what ``issue`` signs before saving)."""
    from onething.licences.models import Licence

    names = [f.attname for f in Licence._meta.concrete_fields if f.attname not in ("id", "credential", "kid")]
    copy = Licence(**{name: getattr(licence, name) for name in names})
    copy.issuer, copy.type = licence.issuer, licence.type
    return copy


def queries_of(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def face_request(holder, identifier: str):
    from django.test import RequestFactory

    request = RequestFactory().get(f"/licences/{identifier}/face.pdf")
    request.user = holder
    return request


def pure_allocate(count: int, lists: int, rng) -> dict:
    """``count`` indices over ``lists`` lists of SIZE bits (filled one after the other), with the
    kernel's allocator and the app's random source; ``ValueError`` (64 draws all taken) is
    counted and retried, as if the app had opened a new list."""
    from onething.kernel import statuslist

    per_list = count // lists
    taken_sets: list[set[int]] = []
    draws = failures = 0
    first_failure_at = None
    t0 = time.perf_counter()
    for _ in range(lists):
        taken: set[int] = set()

        def is_taken(i: int, taken=taken) -> bool:
            nonlocal draws
            draws += 1
            return i in taken

        while len(taken) < per_list:
            try:
                taken.add(statuslist.allocate(is_taken, SIZE, rng))
            except ValueError:
                failures += 1
                if first_failure_at is None:
                    first_failure_at = len(taken)
        taken_sets.append(taken)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "per_allocation_us": seconds / count * 1e6,
        "draws_per_allocation": draws / count,
        "full_errors": failures,
        "first_full_error_at": first_failure_at,
        "sets": taken_sets,
    }


def revoked_lists(taken_sets: list[set[int]], rng: random.Random):
    from onething.kernel import statuslist

    out = []
    for taken in taken_sets:
        bits = statuslist.Bitstring(SIZE)
        for index in rng.sample(sorted(taken), int(len(taken) * REVOKED_SHARE)):
            bits.set(index, True)
        out.append(bits)
    return out


def encode_decode(bits, repeat: int) -> dict:
    from onething.kernel import statuslist

    encodes, decodes, level6 = [], [], []
    encoded = ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        encoded = statuslist.encode(bits)
        t1 = time.perf_counter()
        back = statuslist.decode(encoded)
        t2 = time.perf_counter()
        assert back == bits
        # for comparison, not the kernel's: the same bits at gzip level 6 (the kernel uses 9)
        fast = (
            "u" + base64.urlsafe_b64encode(gzip.compress(bits.to_bytes(), 6, mtime=0)).rstrip(b"=").decode()
        )
        t3 = time.perf_counter()
        assert statuslist.decode(fast) == bits
        encodes.append(t1 - t0)
        decodes.append(t2 - t1)
        level6.append(t3 - t2)
    return {
        "encoded_bytes": len(encoded),
        "encode": encodes,
        "decode": decodes,
        "level6": level6,
        "level6_bytes": len(fast),
        "set_bits": bits.count(),
    }


def widen_audit_object_id() -> str:
    """PostgreSQL only: a licence identifier (74 characters) does not fit ``AuditRecord.object_id``
    (``varchar(64)``), so ``issuing.issue`` fails there with a DataError (SQLite does not check
    lengths). Until the app's own migration fixes it, widen the column in this throw-away
    database; the cost of a write does not depend on the declared length."""
    from django.db import connection

    from onething.audit.models import AuditRecord

    length = AuditRecord._meta.get_field("object_id").max_length
    if connection.vendor != "postgresql" or length >= 120:
        return ""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditrecord ALTER COLUMN object_id TYPE varchar(120)")
    note = f"audit_auditrecord.object_id widened from varchar({length}) to varchar(120) (bench database only)"
    print(f"WORKAROUND: {note}", file=sys.stderr)
    return note


def breakdown(request, n: int) -> dict:
    """Where ``issuing.issue`` spends its wall time: each part wrapped with a timer, ``n`` issues
    (after the rounds; ms per licence, the rest is building the licence and the transaction)."""
    from django.db import connection

    from onething.licences import issuing

    spent: dict[str, float] = {}
    patches = []

    def wrap(owner, attribute: str, label: str) -> None:
        original = getattr(owner, attribute)

        def timed_part(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        patches.append((owner, attribute, original))
        setattr(owner, attribute, timed_part)

    wrap(issuing, "_next_serial", "serial counter (get_or_create FOR UPDATE + save)")
    wrap(issuing.statuslists, "allocate", "status lists: 2 x allocate (lock list, draw, exists, used += 1)")
    wrap(issuing.credentials, "sign_credential", "sign_credential")
    wrap(issuing.documents, "issue", "documents.issue (INSERT)")
    wrap(issuing.engine, "create", "engine.create (licence INSERT + audit record)")
    wrap(issuing, "holders", "holders (users with the id number)")
    wrap(issuing, "notify", "notify (inbox + outbox rows)")
    connection.ensure_connection()
    wrap(connection, "_commit", "COMMIT")
    wrap(connection, "run_and_clear_commit_hooks", "on_commit callbacks (audit linker, outbox kick)")
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            issuing.issue(request)
        total = time.perf_counter() - t0
    finally:
        for owner, attribute, original in reversed(patches):
            setattr(owner, attribute, original)
        del connection._commit, connection.run_and_clear_commit_hooks
    out = {label: round(seconds / n * 1000, 3) for label, seconds in spent.items()}
    out["rest (Licence(...), identifier, BEGIN, savepoints)"] = round(
        (total - sum(spent.values())) / n * 1000, 3
    )
    out["whole issuing.issue"] = round(total / n * 1000, 3)
    return out


def count_queries(request, licence, list_id: int) -> dict:
    from django.db import transaction

    from onething.licences import credentials, issuing, statuslists

    def set_bit():
        with transaction.atomic():
            statuslists.set_bit(list_id, 7, True)

    return {
        "issue": queries_of(lambda: issuing.issue(request)),
        "sign": queries_of(lambda: credentials.sign_credential(unsaved_copy(licence))),
        "verify": queries_of(lambda: credentials.verify(licence.credential)),
        "set_bit (with BEGIN/COMMIT)": queries_of(set_bit),
    }


def wal_lsn() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


# ------------------------------------------------------------------------------ the run


def run(args, database: str) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0)
    workaround = widen_audit_object_id()
    t0 = time.perf_counter()
    call_command("load_demo", verbosity=0, stdout=_Null())
    print(f"demo loaded in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    from onething.accounts.models import User
    from onething.directory.models import Department
    from onething.licences import credentials, issuing, keys, signers, statuslists, views
    from onething.licences.machines import ISSUER
    from onething.licences.models import Licence, LicenceType, SigningKey, StatusList

    kind = LicenceType.objects.get(name=TYPE_NAME)
    issuer = Department.objects.get(code=ISSUER_CODE)
    holder = User.objects.get(username=HOLDER)
    request = request_for(kind, issuer, holder)

    # warm-up: key creation, imports, templates, fonts
    warm = issuing.issue(request)
    credentials.verify(warm.credential)
    views.face(face_request(holder, warm.identifier), warm.identifier)
    key = keys.active()
    signer = signers.get(key.signer)
    pem = keys.private_pem(key.kid)
    from joserfc import jws
    from joserfc.jwk import OKPKey

    ready_key = OKPKey.import_key(pem)
    body = json.dumps(
        credentials.credential_payload(warm), ensure_ascii=False, separators=(",", ":")
    ).encode()

    def jws_only():
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return jws.serialize_compact(
                {"typ": "vc+jwt", "cty": "vc", "kid": key.kid, "alg": "EdDSA"},
                body,
                ready_key,
                algorithms=["EdDSA"],
            )

    names = {
        "sign": "sign only: credentials.sign_credential (unsaved licence)",
        "sign.payload": "  of which: credential_payload + json.dumps",
        "sign.active": "  of which: keys.active() (1 query + stat)",
        "sign.pem": "  of which: keys.private_pem (file read)",
        "sign.import": "  of which: OKPKey.import_key(PEM)",
        "sign.jws": "  of which: JWS with a ready key",
        "issue": "issue: issuing.issue (sign + store, one transaction)",
        "pdf": "face PDF, first download (views.face: WeasyPrint render + store)",
        "pdf.stored": "face PDF, stored (views.face second download)",
        "verify": "credentials.verify(credential)",
        "verify.qr": "credentials.verify(QR payload)",
        "verify.raw": "ed25519 signer.verify(jwk, credential) alone",
        "set_bit": "statuslists.set_bit (own transaction, 128 KiB row)",
        "revoke": "issuing.change(revoke): machine + audit + 2 bits",
        "sl.credential": "statuslists.credential (encode + sign)",
        "sl.http": "GET /api/v1/licences/status-lists/{id}",
    }
    units = {"verify": "us", "verify.qr": "us", "verify.raw": "us"}
    units |= {k: "us" for k in ("sign", "sign.payload", "sign.active", "sign.pem", "sign.import", "sign.jws")}
    samples = {key_: Samples(units.get(key_, "ms")) for key_ in names}
    pure = {"one_list": [], "two_lists": []}
    queries = {}
    wal_per_set_bit = []
    pdf_sizes = []
    client = Client()
    rng = secrets.SystemRandom()
    sample_rng = random.Random(20261202)

    for round_no in range(args.rounds):
        for s in samples.values():
            s.new_round()
        print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr)
        # 1. issuing
        issued = []
        for _ in range(args.issues):
            issued.append(timed(samples["issue"], lambda: issuing.issue(request), cpu=True))
        for licence in issued:
            copy = unsaved_copy(licence)
            timed(samples["sign"], lambda copy=copy: credentials.sign_credential(copy), cpu=True)
            timed(
                samples["sign.payload"],
                lambda copy=copy: json.dumps(
                    credentials.credential_payload(copy), ensure_ascii=False, separators=(",", ":")
                ),
            )
            timed(samples["sign.active"], keys.active)
            timed(samples["sign.pem"], lambda: keys.private_pem(key.kid))
            timed(samples["sign.import"], lambda: OKPKey.import_key(pem))
            timed(samples["sign.jws"], jws_only)
        for licence in issued[: args.pdf]:
            response = timed(
                samples["pdf"],
                lambda licence=licence: views.face(
                    face_request(holder, licence.identifier), licence.identifier
                ),
            )
            pdf_sizes.append(len(response.content))
            timed(
                samples["pdf.stored"],
                lambda licence=licence: views.face(
                    face_request(holder, licence.identifier), licence.identifier
                ),
            )
        # 2. verifying
        jwk = SigningKey.objects.get(kid=key.kid).public_jwk
        for licence in issued:
            outcome = timed(samples["verify"], lambda licence=licence: credentials.verify(licence.credential))
            assert outcome.genuine, outcome.message
            timed(
                samples["verify.raw"], lambda licence=licence, jwk=jwk: signer.verify(jwk, licence.credential)
            )
            qr = credentials.qr_token(licence)
            outcome = timed(samples["verify.qr"], lambda qr=qr: credentials.verify(qr))
            assert outcome.genuine, outcome.message
        # 3. status lists, pure
        one = pure_allocate(TOTAL, 1, rng)
        two = pure_allocate(TOTAL, 2, rng)
        for label, result in (("one_list", one), ("two_lists", two)):
            lists = revoked_lists(result.pop("sets"), sample_rng)
            result["lists"] = [encode_decode(bits, args.encodes) for bits in lists]
            pure[label].append(result)
        # 3. status lists on the database: the revocation list the issues above filled, with
        # a 1 % pattern in its bits (the size of the row does not depend on it)
        target = StatusList.objects.filter(purpose=statuslists.REVOCATION).order_by("-id").first()
        pattern = lists[0].to_bytes()  # two_lists: 5,000 revoked of 500,000
        StatusList.objects.filter(pk=target.pk).update(bits=pattern)
        before = wal_lsn()
        indices = [sample_rng.randrange(SIZE) for _ in range(args.bits)]
        for index in indices:

            def flip(index=index, target=target):
                with transaction.atomic():
                    statuslists.set_bit(target.pk, index, True)

            timed(samples["set_bit"], flip)
        after = wal_lsn()
        if before is not None:
            wal_per_set_bit.append((after - before) / len(indices))
        for licence in issued[-args.revokes :]:
            timed(
                samples["revoke"],
                lambda licence=licence: issuing.change(
                    licence, "revoke", None, reason_code="cancel", reason="bench", roles={ISSUER}
                ),
            )
        row = StatusList.objects.get(pk=target.pk)
        url = reverse("api:licence_status_list", args=[target.pk])
        for _ in range(args.lists):
            timed(samples["sl.credential"], lambda row=row: statuslists.credential(row))
            response = timed(samples["sl.http"], lambda url=url: client.get(url))
            assert response.status_code == 200
        if round_no == 0:
            queries.update(count_queries(request, issued[0], target.pk))

    parts = breakdown(request, args.breakdown) if args.breakdown else {}
    row = StatusList.objects.get(pk=target.pk)
    token = statuslists.credential(row)
    encoded = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    out = {
        "database": database,
        "workaround": workaround,
        "vendor": connection.vendor,
        "db_version": db_version(connection),
        "rounds": args.rounds,
        "issues_per_round": args.issues,
        "pdfs_per_round": args.pdf,
        "licences_in_db": Licence.objects.count(),
        "status_lists_in_db": StatusList.objects.count(),
        "queries": queries,
        "issue_breakdown_ms": parts,
        "pdf_bytes": statistics.median(pdf_sizes),
        "per_operation": {names[k]: s.summary() for k, s in samples.items()},
        "status_list_credential_bytes": len(token),
        "status_list_encoded_in_credential": len(encoded["credentialSubject"]["encodedList"]),
        "wal_bytes_per_set_bit": round(statistics.median(wal_per_set_bit)) if wal_per_set_bit else None,
        "pure": summarise_pure(pure),
    }
    return out


def summarise_pure(pure: dict) -> dict:
    out = {"raw_bytes_per_list": SIZE // 8, "bits_per_list": SIZE}
    for label, runs in pure.items():
        per_round = [r["seconds"] for r in runs]
        lists = [lst for r in runs for lst in r["lists"]]
        out[label] = {
            "allocation_seconds_median": round(statistics.median(per_round), 3),
            "allocation_seconds_range": [round(min(per_round), 3), round(max(per_round), 3)],
            "per_allocation_us_median": round(statistics.median(r["per_allocation_us"] for r in runs), 3),
            "draws_per_allocation": round(statistics.median(r["draws_per_allocation"] for r in runs), 3),
            "full_errors_per_round": [r["full_errors"] for r in runs],
            "first_full_error_at": [r["first_full_error_at"] for r in runs],
            "revoked_bits_per_list": lists[0]["set_bits"],
            "encoded_bytes": [
                min(lst["encoded_bytes"] for lst in lists),
                max(lst["encoded_bytes"] for lst in lists),
            ],
            "encode_ms_median": round(statistics.median(x for lst in lists for x in lst["encode"]) * 1000, 3),
            "encode_ms_range": [
                round(min(x for lst in lists for x in lst["encode"]) * 1000, 3),
                round(max(x for lst in lists for x in lst["encode"]) * 1000, 3),
            ],
            "encode_level6_ms_median": round(
                statistics.median(x for lst in lists for x in lst["level6"]) * 1000, 3
            ),
            "encoded_level6_bytes": [
                min(lst["level6_bytes"] for lst in lists),
                max(lst["level6_bytes"] for lst in lists),
            ],
            "decode_ms_median": round(statistics.median(x for lst in lists for x in lst["decode"]) * 1000, 3),
            "decode_ms_range": [
                round(min(x for lst in lists for x in lst["decode"]) * 1000, 3),
                round(max(x for lst in lists for x in lst["decode"]) * 1000, 3),
            ],
        }
    return out


def fmt(s: dict) -> str:
    unit = "µs" if s["unit"] == "us" else "ms"
    lo, hi = s["range"]
    digits = 0 if s["unit"] == "us" or s["median"] >= 100 else 2
    cpu = f" (CPU {s['cpu_median']:.{digits}f})" if "cpu_median" in s else ""
    return f"{s['median']:.{digits}f} {unit}{cpu} | {lo:.{digits}f}–{hi:.{digits}f} {unit} | {s['n']}"


def markdown(result: dict) -> str:
    lines = ["| operation | median per operation | range of round medians | samples |", "|---|---|---|---|"]
    lines += [f"| {name} | {fmt(s)} |" for name, s in result["per_operation"].items()]
    lines += [
        "",
        f"queries: {result['queries']}; face PDF {result['pdf_bytes'] / 1024:.0f} KiB; "
        f"status list credential {result['status_list_credential_bytes']:,} bytes; "
        f"WAL per set_bit: {result['wal_bytes_per_set_bit']} bytes",
    ]
    if result["issue_breakdown_ms"]:
        lines += ["", "| part of issuing.issue | ms per licence |", "|---|---|"]
        lines += [f"| {label} | {ms:.2f} |" for label, ms in result["issue_breakdown_ms"].items()]
    lines += [
        "",
        "| status list (pure kernel) | one list, 1,000,000 | two lists, 500,000 each |",
        "|---|---|---|",
    ]
    one, two = result["pure"]["one_list"], result["pure"]["two_lists"]

    def row(label, key, f=str):
        lines.append(f"| {label} | {f(one[key])} | {f(two[key])} |")

    def span(v, unit=""):
        return f"{v[0]}–{v[1]}{unit}" if v[0] != v[1] else f"{v[0]}{unit}"

    row("allocation, whole run: median s", "allocation_seconds_median")
    row("allocation, whole run: range s", "allocation_seconds_range", span)
    row("per allocation µs (median)", "per_allocation_us_median")
    row("draws per allocation", "draws_per_allocation")
    row("'list full' errors (64 draws taken) per round", "full_errors_per_round")
    row("first 'list full' at n allocated", "first_full_error_at")
    row("revoked bits per list (1 %)", "revoked_bits_per_list")
    row("encodedList bytes", "encoded_bytes", span)
    row("encode ms (median)", "encode_ms_median")
    row("encode ms (range)", "encode_ms_range", span)
    row("for comparison: gzip level 6 encode ms (median)", "encode_level6_ms_median")
    row("for comparison: gzip level 6 encodedList bytes", "encoded_level6_bytes", span)
    row("decode ms (median)", "decode_ms_median")
    row("decode ms (range)", "decode_ms_range", span)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["auto", "postgres", "sqlite"], default="auto")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--issues", type=int, default=200, help="licences issued (and verified) per round")
    parser.add_argument("--pdf", type=int, default=7, help="face PDFs rendered per round")
    parser.add_argument("--bits", type=int, default=30, help="set_bit round trips per round")
    parser.add_argument("--revokes", type=int, default=10, help="issuing.change(revoke) per round")
    parser.add_argument("--lists", type=int, default=10, help="status list credentials signed per round")
    parser.add_argument(
        "--breakdown", type=int, default=100, help="issues timed part by part after the rounds"
    )
    parser.add_argument("--encodes", type=int, default=3, help="encode/decode repeats per list per round")
    args = parser.parse_args()
    database = args.database
    if database == "auto":
        database = "postgres" if postgres_reachable() else "sqlite"
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="onething-bench-licences-") as var_dir:
        setup_django(database, Path(var_dir))
        result = run(args, database)
    result["machine"] = machine()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(markdown(result))


if __name__ == "__main__":
    main()
