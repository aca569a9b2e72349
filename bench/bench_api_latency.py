"""Server time of the API and list pages on the demo organisation, as ratios to a baseline.

The baseline is GET /api/v1/me (authentication, tenant and middleware only), measured in
the same run, so the ratios hold on a noisy machine. Prints medians in milliseconds.
Run: .venv/bin/python bench/bench_api_latency.py [--requests N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--requests", type=int, default=200)
args = parser.parse_args()

workdir = tempfile.mkdtemp(prefix="funia-bench-")
os.environ["FUNIA_VAR_DIR"] = workdir
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")
os.environ["FUNIA_API_RATE_LIMIT"] = "1000000/m"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from funia.core import services  # noqa: E402
from funia.core.models import Organization, User  # noqa: E402
from funia.demo import demo_email, load_demo  # noqa: E402

call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
load_demo()
org = Organization.objects.get(slug="demo")
admin = User.objects.get(email=demo_email("admin"))
_token, secret = services.token_create(tenant=org, user=admin)
api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}")
web = Client(HTTP_HOST="localhost")
web.force_login(admin)

TARGETS = [
    ("GET /api/v1/me (baseline)", api, "/api/v1/me"),
    ("GET /api/v1/accounts?limit=50", api, "/api/v1/accounts?limit=50"),
    ("GET /api/v1/contacts?limit=50", api, "/api/v1/contacts?limit=50"),
    ("GET /api/v1/accounts?q=a&limit=50", api, "/api/v1/accounts?q=a&limit=50"),
    ("GET /accounts/ (page)", web, "/accounts/"),
    ("GET /contacts/ (page)", web, "/contacts/"),
]


def median_ms(client, url: str) -> float:
    for _ in range(10):  # warm-up
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(args.requests):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


results = [(label, median_ms(client, url)) for label, client, url in TARGETS]
baseline = results[0][1]
print(f"{'request':<38} {'median ms':>10} {'x baseline':>11}")
for label, ms in results:
    print(f"{label:<38} {ms:>10.2f} {ms / baseline:>11.2f}")
sys.exit(0)
