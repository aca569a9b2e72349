"""Time of the duplicate scan over N contacts, and how it grows from the smallest N.

Generates N contacts per size straight into a temporary SQLite database (bulk_create, one
organisation per size): Bulgarian and English names with a long tail, ~80% with an email,
~50% with a phone, and ~3% planted duplicates of an earlier contact, varied the way people
type them (other script, swapped names, nickname, typo, same email or phone under another
name). Runs `dedupe.find_clusters` in-process and prints seconds, rows/s, the planted pairs
found (recall), and t(N) / t(smallest N): near-linear growth keeps it near N / smallest N.

Run: .venv/bin/python bench/bench_duplicate_scan.py [--sizes 100000,1000000] [--seed 7]
"""

import argparse
import atexit
import functools
import os
import random
import shutil
import sys
import tempfile
import time
from itertools import accumulate

parser = argparse.ArgumentParser()
parser.add_argument("--sizes", default="100000,1000000", help="comma-separated contact counts")
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--duplicates", type=float, default=0.03, help="share of planted copies")
args = parser.parse_args()
sizes = sorted(int(size) for size in args.sizes.split(","))

workdir = tempfile.mkdtemp(prefix="funia-bench-dedupe-")
atexit.register(shutil.rmtree, workdir, ignore_errors=True)
os.environ["FUNIA_VAR_DIR"] = workdir
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "funia.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from funia.core.models import Organization  # noqa: E402
from funia.customers.dedupe import NICKNAMES, find_clusters  # noqa: E402
from funia.customers.models import Contact, ContactPoint  # noqa: E402
from funia.customers.normalize import CYRILLIC_TO_LATIN  # noqa: E402

MALE = "Ivan Georgi Dimitar Petar Nikolay Todor Stoyan Hristo Vasil Atanas Krasimir Yordan "
MALE += "Kiril Mihail Aleksandar Angel Emil Plamen Martin Daniel Valentin Veselin Lyubomir "
MALE += "Boris Bozhidar Kaloyan Radoslav Svetoslav Tsvetan Zhivko Rumen Ognyan Lachezar"
FEMALE = "Maria Elena Ivana Gergana Desislava Teodora Nadezhda Silviya Anna Margarita Tsveta "
FEMALE += "Ekaterina Hristina Zornitsa Viktoria Radostina Yoana Petya Rositsa Milena Galina "
FEMALE += "Svetla Vesela Daniela Kalina Nikol Boryana Dimitrina Stefka Yordanka Snezhana"
ENGLISH = "James John Robert Michael William David Richard Thomas Mary Patricia Jennifer "
ENGLISH += "Linda Elizabeth Susan Jessica Sarah Karen Nancy"
ENGLISH_LAST = "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas "
ENGLISH_LAST += "Moore Martin Jackson White Harris Clark Lewis Walker Young Allen King Wright"
ONSETS = [
    "b",
    "v",
    "g",
    "d",
    "zh",
    "z",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "f",
    "h",
    "ts",
    "ch",
    "sh",
    "st",
    "kr",
    "pr",
    "tr",
    "dr",
    "gr",
    "br",
    "sl",
    "sv",
    "vl",
    "bl",
]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "i", "o"]
CODAS = ["n", "r", "l", "k", "m", "v", "t", "s"] + [""] * 4
LATIN_TO_CYRILLIC = sorted(
    ((latin, cyrillic) for cyrillic, latin in CYRILLIC_TO_LATIN.items() if latin),
    key=lambda pair: -len(pair[0]),
)
NICK_OF = {full.capitalize(): variants for full, variants in NICKNAMES.items()}


def surname_roots(rng: random.Random, count: int) -> list[str]:
    roots = set()
    while len(roots) < count:
        syllables = rng.choice((1, 2, 2, 3))
        root = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)
        )
        roots.add(root.capitalize())
    return sorted(roots)


@functools.cache
def to_cyrillic(text: str) -> str:
    out, i, lower = [], 0, text.lower()
    while i < len(lower):
        for latin, cyrillic in LATIN_TO_CYRILLIC:
            if lower.startswith(latin, i) and latin != "y":
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(lower[i])
            i += 1
    return "".join(out).title()


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word + word[-1]
    i = rng.randrange(2, len(word) - 1)
    if rng.random() < 0.5:  # transpose two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiounrst") + word[i + 1 :]  # substitute one


class People:
    """Names with a long tail: Zipf-like weights over first names and surname roots
    (flatter than a pure Zipf: the commonest Bulgarian first name is ~5% of men)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.roots = surname_roots(rng, 20_000)
        self.root_weights = list(accumulate(1 / (r + 1) ** 0.7 for r in range(20_000)))
        self.male, self.female = MALE.split(), FEMALE.split()
        self.weights = {
            "male": list(accumulate(1 / (r + 1) ** 0.6 for r in range(len(self.male)))),
            "female": list(accumulate(1 / (r + 1) ** 0.6 for r in range(len(self.female)))),
        }

    def person(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.08:
            return rng.choice(ENGLISH.split()), rng.choice(ENGLISH_LAST.split())
        root = rng.choices(self.roots, cum_weights=self.root_weights)[0]
        if rng.random() < 0.5:
            first = rng.choices(self.male, cum_weights=self.weights["male"])[0]
            last = root + rng.choice(("ov", "ev", "ski", "ov", "in"))
        else:
            first = rng.choices(self.female, cum_weights=self.weights["female"])[0]
            last = root + rng.choice(("ova", "eva", "ska", "ova", "ina"))
        if rng.random() < 0.4:
            first, last = to_cyrillic(first), to_cyrillic(last)
        return first, last

    def variant(self, first: str, last: str) -> tuple[str, str, str]:
        """A copy as someone else would type it: (first, last, how)."""
        rng = self.rng
        how = rng.choice(("script", "swap", "nickname", "typo", "email", "phone"))
        if how == "script":
            if any("а" <= ch.lower() <= "я" for ch in first + last):
                from funia.customers.normalize import fold

                return fold(first).title(), fold(last).title(), how
            return to_cyrillic(first), to_cyrillic(last), how
        if how == "swap":
            return last, first, how
        if how == "nickname" and first in NICK_OF:
            return rng.choice(NICK_OF[first]).capitalize(), last, how
        if how in ("nickname", "typo"):
            return first, typo(last, rng), "typo"
        return first, last, how  # "email" / "phone": the same value, see below


def generate(tenant, n: int, rng: random.Random) -> list[tuple[int, int]]:
    """N contacts of `tenant`; returns the planted (original pk, copy pk) pairs."""
    people = People(rng)
    batch, points, planted = [], [], []
    originals: list[tuple[int, str, str, str, str]] = []  # (index, first, last, email, phone)
    rows: list[tuple[str, str, str, str]] = []
    for index in range(n):
        if originals and rng.random() < args.duplicates:
            source, first, last, email, phone = rng.choice(originals)
            first, last, how = people.variant(first, last)
            if how == "email" and email:
                first, last = people.person()  # a new name (married?), the same address
                phone = ""
            elif how == "phone" and phone:
                first, last = to_cyrillic(first), to_cyrillic(last)
                email = ""
            else:
                email = email if rng.random() < 0.3 else ""
                phone = ""
            planted.append((source, index, how))
        else:
            first, last = people.person()
            email = f"u{index}@example{index % 997}.com" if rng.random() < 0.8 else ""
            phone = f"+35988{index:07d}" if rng.random() < 0.5 else ""
            if len(originals) < 200_000:
                originals.append((index, first, last, email, phone))
        rows.append((first, last, email, phone))

    last_pk = Contact.objects.across_tenants().order_by("-pk").values_list("pk", flat=True)
    start_pk = (last_pk.first() or 0) + 1
    for offset in range(0, n, 5000):
        chunk = rows[offset : offset + 5000]
        batch = [
            Contact(pk=start_pk + offset + i, tenant=tenant, first_name=first, last_name=last)
            for i, (first, last, _e, _p) in enumerate(chunk)
        ]
        points = []
        for i, (_f, _l, email, phone) in enumerate(chunk):
            pk = start_pk + offset + i
            if email:
                points.append(ContactPoint(tenant=tenant, contact_id=pk, kind="email", value=email))
            if phone:
                points.append(ContactPoint(tenant=tenant, contact_id=pk, kind="phone", value=phone))
        with transaction.atomic():
            Contact.objects.bulk_create(batch)
            ContactPoint.objects.bulk_create(points)
    return [(start_pk + a, start_pk + b, how) for a, b, how in planted]


def recall(clusters, planted) -> tuple[float, str]:
    """Share of planted pairs in one cluster: overall, and by how the copy was varied."""
    cluster_of = {pk: number for number, c in enumerate(clusters) for pk in c.record_ids}
    found: dict[str, list[int]] = {}
    for a, b, how in planted:
        same = a in cluster_of and cluster_of.get(a) == cluster_of.get(b)
        found.setdefault(how, [0, 0])[0] += same
        found[how][1] += 1
    total = sum(hit for hit, _n in found.values()) / max(1, len(planted))
    by_how = " ".join(f"{how} {hit / n:.0%}" for how, (hit, n) in sorted(found.items()))
    return total, by_how


call_command("migrate", verbosity=0)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA cache_size = -200000")  # 200 MB page cache, like a tuned server
rng = random.Random(args.seed)
results = []
for n in sizes:
    tenant = Organization.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
    started = time.perf_counter()
    planted = generate(tenant, n, rng)
    generated = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    clusters = find_clusters(tenant=tenant, record_type="contact")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    clustered = sum(len(c.record_ids) for c in clusters)
    found, by_how = recall(clusters, planted)
    results.append((n, seconds, cpu))
    print(
        f"N={n:>9,}  generated in {generated:6.1f} s  scan {seconds:7.1f} s (cpu {cpu:.1f} s)  "
        f"{n / seconds:>9,.0f} rows/s  clusters {len(clusters):>7,}  "
        f"in clusters {clustered:>7,}  planted found {found:.1%} ({by_how})",
        flush=True,
    )

base_n, base_seconds, base_cpu = results[0]
for n, seconds, cpu in results[1:]:
    print(
        f"t({n:,}) / t({base_n:,}) = {seconds / base_seconds:.2f} "
        f"(cpu {cpu / base_cpu:.2f}; linear would be {n / base_n:.2f})"
    )
sys.exit(0)
