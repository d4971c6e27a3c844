"""The bare crowd-report view of ``bench.bigscreen`` (issue #16 "Benchmark": ingest as a ratio to
the bare INSERT view), mounted only in the bench settings profile (onewindow.config.bench_urls).

``POST /bench/bare/crowd-report?source=<id>`` takes the ingest API's body
(``{"area", "bucket_start", "counts": [{"zone", "origin", "present", "arrivals"}]}``) and writes
the rows a first report writes, in raw SQL in one transaction: the zones of the area (one SELECT),
the report row, its revision (the counts as JSON, their SHA-256), the count rows (one
``executemany``) and the area-bucket upsert (``INSERT … ON CONFLICT DO UPDATE``, SQLite ≥ 3.24 and
PostgreSQL alike) with the totals of this report alone. No token check, no validation beyond what
the SQL needs, no ORM: the floor under ``POST /api/v1/bigscreen/crowd/reports``.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare_crowd_report(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body)
    source_id = int(request.GET["source"])
    bucket = datetime.datetime.fromisoformat(body["bucket_start"])
    counts = sorted((c["zone"], c["origin"], int(c["present"]), int(c["arrivals"])) for c in body["counts"])
    canonical = json.dumps(counts, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    by_origin: dict[str, dict[str, int]] = {}
    by_zone: dict[str, dict[str, int]] = {}
    for zone, origin, present, arrivals in counts:
        for key, into in ((origin, by_origin), (zone, by_zone)):
            sums = into.setdefault(key, {"present": 0, "arrivals": 0})
            sums["present"] += present
            sums["arrivals"] += arrivals
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT z.code, z.id, a.id FROM bigscreen_zone z JOIN bigscreen_area a ON a.id = z.area_id "
                       "WHERE a.code = %s", [body["area"]])
        zones = {code: (zone_id, area_id) for code, zone_id, area_id in cursor.fetchall()}
        area_id = next(iter(zones.values()))[1]
        cursor.execute("INSERT INTO bigscreen_crowdreport (source_id, area_id, bucket_start, revision, digest, "
                       "received_at) VALUES (%s, %s, %s, 1, %s, %s) RETURNING id",
                       [source_id, area_id, adapt(bucket), digest, adapt(now)])
        report_id = cursor.fetchone()[0]
        cursor.execute("INSERT INTO bigscreen_crowdrevision (report_id, revision, counts, digest, received_at, via) "
                       "VALUES (%s, 1, %s, %s, %s, 'api')", [report_id, canonical, digest, adapt(now)])
        cursor.executemany("INSERT INTO bigscreen_crowdcount (report_id, zone_id, origin, present, arrivals) "
                           "VALUES (%s, %s, %s, %s, %s)",
                           [(report_id, zones[zone][0], origin, present, arrivals)
                            for zone, origin, present, arrivals in counts])
        cursor.execute(
            "INSERT INTO bigscreen_crowdareabucket (area_id, bucket_start, present, arrivals, by_origin, by_zone, "
            "sources, computed_at) VALUES (%s, %s, %s, %s, %s, %s, 1, %s) ON CONFLICT (area_id, bucket_start) "
            "DO UPDATE SET present = excluded.present, arrivals = excluded.arrivals, by_origin = excluded.by_origin, "
            "by_zone = excluded.by_zone, sources = excluded.sources, computed_at = excluded.computed_at",
            [area_id, adapt(bucket), sum(c[2] for c in counts), sum(c[3] for c in counts), json.dumps(by_origin),
             json.dumps(by_zone), adapt(now)])
    return JsonResponse({"area": body["area"], "bucket_start": body["bucket_start"], "revision": 1,
                         "status": "created"}, status=201)
