#!/usr/bin/env python3
"""Independent reference implementation of qiao-placement-1.

Written from docs/placement-spec.md alone (section numbers below refer to
it), in Python 3 with the standard library only, so that a third party can
check a sunshine class placement (阳光分班) without the Go code.

It reads a canonical-form input file (spec §2.4), not spreadsheets.

Single draw:

    placement_ref.py INPUT --classes K [--score 1|0] [--age 1|0]
                     --entropy TEXT [--secret TEXT] [--trace] [--rng N]

Batch (one Python start for many draws; used by placement/spec_test.go):

    placement_ref.py --batch JOBS.json

where JOBS.json is a list of objects
{"input": PATH, "classes": K, "score": bool, "age": bool,
 "entropy": TEXT, "secret": TEXT}.

Output (stdout) is JSON: for a finished draw an object with the algorithm,
input digest, params string, normalised entropy and secret, seed, the
class number of every pupil (roster order), the head teachers of classes
1..K, the output canonical form, the output digest, the balance report
(spec §7; NaN as null) and counters of the paths the draw took; for a
refused input {"error": "refused", "problems": [{"code", "args"}...]};
for an unplaceable one {"error": "unplaceable", "pupil": ID}; for a bad
invocation or invalid canonical form {"error": "invalid", "message": ...}.
In batch mode a list of those objects, in job order. --rng N adds the
first N outputs of the generator right after seeding; --trace writes the
construction steps to stderr.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import re
import sys
import unicodedata

ALGORITHM = "qiao-placement-1"
MAX_ATTEMPTS = 50  # §5.6
PROPOSALS_PER_PUPIL = 100  # §5.12.5
WEIGHT_MEAN = 1.0  # §5.12.3
WEIGHT_SPREAD = 0.25
MIN_GAIN = 1e-12  # §5.12.4

M64 = (1 << 64) - 1

# §1.4: white space, exactly Go's unicode.IsSpace (NOT Python's str.isspace,
# which also counts U+001C..U+001F).
WHITE_SPACE = frozenset(
    chr(c)
    for c in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B))
    + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
)


class Invalid(Exception):
    """An invalid canonical form or argument."""


class Refused(Exception):
    """The input is refused with problems (§8)."""

    def __init__(self, problems):
        super().__init__("refused")
        self.problems = problems


class Unplaceable(Exception):
    """§8.3."""

    def __init__(self, pupil):
        super().__init__("unplaceable")
        self.pupil = pupil


def clean(s):
    """§1.4 clean()."""
    parts, cur = [], []
    for ch in s:
        if ch in WHITE_SPACE:
            if cur:
                parts.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        parts.append("".join(cur))
    return " ".join(parts)


def normalise(s):
    """§3.1 N(s) = clean(NFKC(s)); refuses code points our tables lack."""
    for ch in s:
        if unicodedata.category(ch) == "Cn":
            raise Invalid(
                "code point U+%04X is not assigned in Unicode %s; refusing to normalise"
                % (ord(ch), unicodedata.unidata_version)
            )
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise Invalid("entropy is not valid UTF-8")
    return clean(unicodedata.normalize("NFKC", s))


def sha256_hex(b):
    return hashlib.sha256(b).hexdigest()


def i64(x):
    """§5.12.1: a 64-bit two's-complement integer."""
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def f(x):
    """§5.12.2 f(): 64-bit integer to nearest binary64 (CPython rounds ties to even)."""
    return float(i64(x))


# ---------------------------------------------------------------- §2 input

SCORE_RE = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9][0-9]")
DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
FIXED_RE = re.compile(r"[1-9][0-9]*")
EPOCH = datetime.date(1970, 1, 1).toordinal()


class Pupil:
    __slots__ = ("id", "name", "male", "birth", "score", "together", "apart", "special", "fixed")


def parse_canonical(data):
    """Parses and validates a canonical form (§2.4, §2.5)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid("not UTF-8: %s" % e)
    if text.startswith("\ufeff"):
        raise Invalid("byte order mark")
    if not text.endswith("\n"):
        raise Invalid("the last line does not end with LF")
    lines = text[:-1].split("\n")
    pos = 0

    def line():
        nonlocal pos
        if pos >= len(lines):
            raise Invalid("unexpected end of input")
        pos += 1
        return lines[pos - 1]

    def count(prefix):
        l = line()
        if not l.startswith(prefix + "\t"):
            raise Invalid("line %d: want %r" % (pos, prefix))
        v = l[len(prefix) + 1:]
        if not re.fullmatch(r"0|[1-9][0-9]*", v):
            raise Invalid("line %d: bad count %r" % (pos, v))
        return int(v)

    def text_field(v, what, nonempty):
        if clean(v) != v:
            raise Invalid("line %d: %s %r is not clean" % (pos, what, v))
        if nonempty and v == "":
            raise Invalid("line %d: empty %s" % (pos, what))
        return v

    if line() != "qiao-placement-input-v1":
        raise Invalid("line 1: want qiao-placement-input-v1")
    n = count("pupils")
    pupils = []
    for _ in range(n):
        fields = line().split("\t")
        if len(fields) != 9:
            raise Invalid("line %d: %d fields, want 9" % (pos, len(fields)))
        pid, name, gender, birth, score, together, apart, special, fixed = fields
        p = Pupil()
        p.id = text_field(pid, "ID", True)
        if pupils and not pupils[-1].id.encode() < p.id.encode():
            raise Invalid("line %d: IDs not strictly ascending" % pos)
        p.name = text_field(name, "name", True)
        if gender not in ("M", "F"):
            raise Invalid("line %d: gender %r" % (pos, gender))
        p.male = gender == "M"
        m = DATE_RE.fullmatch(birth)
        if not m:
            raise Invalid("line %d: date %r" % (pos, birth))
        try:
            dt = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise Invalid("line %d: date %r" % (pos, birth))
        if not 1950 <= dt.year <= 2100:
            raise Invalid("line %d: date %r outside 1950-2100" % (pos, birth))
        p.birth = dt.toordinal() - EPOCH
        if score == "":
            p.score = None
        else:
            m = SCORE_RE.fullmatch(score)
            if not m or score == "-0.00" or len(m.group(1)) > 10:
                raise Invalid("line %d: score %r" % (pos, score))
            ip, fp = score.lstrip("-").split(".")
            v = int(ip) * 100 + int(fp)
            p.score = -v if score.startswith("-") else v
        p.together = text_field(together, "Together", False)
        p.apart = text_field(apart, "Apart", False)
        if special not in ("0", "1"):
            raise Invalid("line %d: special %r" % (pos, special))
        p.special = special == "1"
        if fixed == "":
            p.fixed = 0
        elif FIXED_RE.fullmatch(fixed):
            p.fixed = int(fixed)
        else:
            raise Invalid("line %d: fixed %r" % (pos, fixed))
        pupils.append(p)
    t = count("teachers")
    teachers = []
    for _ in range(t):
        name = text_field(line(), "teacher", True)
        if teachers and teachers[-1].encode() > name.encode():
            raise Invalid("line %d: teachers not in order" % pos)
        teachers.append(name)
    if pos != len(lines):
        raise Invalid("line %d: trailing data" % (pos + 1))
    return pupils, teachers


# ---------------------------------------------------------------- §4 PRNG


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class RNG:
    """xoshiro256** (§4)."""

    def __init__(self, seed):
        self.s = [int.from_bytes(seed[8 * i:8 * i + 8], "little") for i in range(4)]
        if self.s == [0, 0, 0, 0]:
            self.s[0] = 1

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def intn(self, m):
        if m < 1:
            raise ValueError("intn of a non-positive number")
        r = (1 << 64) % m
        while True:
            x = self.next()
            if r == 0 or x < (1 << 64) - r:
                return x % m

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.intn(i + 1)
            a[i], a[j] = a[j], a[i]


# ---------------------------------------------------------------- §3 seed


def params_string(k, score, age):
    return "classes=%d;score=%s;age=%s" % (k, "1" if score else "0", "1" if age else "0")


def seed_of(digest, params, entropy_n, secret_n):
    msg = "qiao-placement-seed-v1\n" + digest + "\n" + params + "\n" + entropy_n + "\n" + secret_n + "\n"
    return hashlib.sha256(msg.encode("utf-8")).digest()


# ---------------------------------------------------------------- §5.2 checks


def labels_of(pupils, attr):
    groups = {}
    for i, p in enumerate(pupils):
        label = getattr(p, attr)
        if label != "":
            groups.setdefault(label, []).append(i)
    return [(label, groups[label]) for label in sorted(groups, key=lambda s: s.encode())]


def group_checks(pupils):
    problems = []
    for label, members in labels_of(pupils, "together"):
        fixed, seen_apart = 0, set()
        for i in members:
            p = pupils[i]
            if p.fixed and fixed and p.fixed != fixed:
                problems.append(("together_fixed", [label]))
            if p.fixed:
                fixed = p.fixed
            if p.apart != "" and p.apart in seen_apart:
                problems.append(("together_apart", [label, p.apart]))
            seen_apart.add(p.apart)
    for label, members in labels_of(pupils, "apart"):
        seen = set()
        for i in members:
            p = pupils[i]
            if p.fixed:
                if p.fixed in seen:
                    problems.append(("apart_fixed", [label, p.fixed]))
                seen.add(p.fixed)
    return problems


def class_checks(pupils, teachers, k):
    n = len(pupils)
    if k < 1 or n < k:
        return [("too_few_pupils", [n, k])]
    problems = []
    max_size = (n + k - 1) // k
    per_class = {}
    for p in pupils:
        if p.fixed > k:
            problems.append(("bad_fixed", [p.fixed, k]))
        if p.fixed:
            per_class[p.fixed] = per_class.get(p.fixed, 0) + 1
    for c in sorted(per_class):
        if per_class[c] > max_size:
            problems.append(("fixed_overflow", [c, per_class[c], max_size]))
    for label, members in labels_of(pupils, "together"):
        if len(members) > max_size:
            problems.append(("together_too_large", [label, len(members), max_size]))
    for label, members in labels_of(pupils, "apart"):
        if len(members) > k:
            problems.append(("apart_too_large", [label, len(members), k]))
    if 0 < len(teachers) < k:
        problems.append(("too_few_teachers", [len(teachers), k]))
    return problems


# ---------------------------------------------------------------- §5 the draw


class Unit:
    __slots__ = ("members", "boys", "special", "apart", "fixed")

    def __init__(self):
        self.members, self.boys, self.special, self.apart, self.fixed = [], 0, 0, 0, None

    def male(self):
        return 2 * self.boys >= len(self.members)


class Attempt:
    """The state of one attempt (§5.3-§5.10) and what follows it."""

    def __init__(self, pupils, k, g, counters, trace):
        self.p, self.k, self.n, self.g = pupils, k, len(pupils), g
        self.counters, self.trace = counters, trace
        self.base, self.extra = self.n // k, self.n % k
        self.cls = [None] * self.n
        self.size = [0] * k
        self.boys = [0] * k
        self.spec = [0] * k
        self.n_large = 0
        # §5.3 units, in roster order of their first member.
        self.units, by_label = [], {}
        for i, p in enumerate(pupils):
            if p.together != "" and p.together in by_label:
                u = by_label[p.together]
            else:
                u = Unit()
                self.units.append(u)
                if p.together != "":
                    by_label[p.together] = u
            u.members.append(i)
            u.boys += p.male
            u.special += p.special
            u.apart += p.apart != ""
            if p.fixed:
                u.fixed = p.fixed - 1
        self.single = [False] * self.n
        for u in self.units:
            if len(u.members) == 1 and u.fixed is None:
                self.single[u.members[0]] = True
        # Apart groups.
        self.group = [None] * self.n
        groups = {}
        for i, p in enumerate(pupils):
            if p.apart != "":
                groups.setdefault(p.apart, []).append(i)
        for i, p in enumerate(pupils):
            if p.apart != "":
                self.group[i] = groups[p.apart]

    def unit_name(self, ui):
        return "+".join(self.p[m].id for m in self.units[ui].members)

    def log(self, *a):
        if self.trace:
            print(*a, file=sys.stderr)

    # §5.4
    def check_fixed(self):
        load = [0] * self.k
        for u in self.units:
            if u.fixed is not None:
                load[u.fixed] += len(u.members)
        full, problems = 0, []
        for c in range(self.k):
            if load[c] > self.base:
                full += 1
            if load[c] > self.base + 1 or (load[c] > self.base and full > self.extra):
                problems.append(("fixed_overflow", [c + 1, load[c], self.base + min(1, self.extra)]))
        return problems

    # §5.5
    def limit(self, c):
        if self.size[c] > self.base or self.n_large < self.extra:
            return self.base + 1
        return self.base

    def resize(self, c, delta):
        was = self.size[c] > self.base
        self.size[c] += delta
        now = self.size[c] > self.base
        if now != was:
            self.n_large += 1 if now else -1

    def put(self, u, c):
        for m in u.members:
            self.cls[m] = c
        self.resize(c, len(u.members))
        self.boys[c] += u.boys
        self.spec[c] += u.special

    def move(self, i, a, b):
        self.cls[i] = b
        self.resize(a, -1)
        self.resize(b, 1)
        if self.p[i].male:
            self.boys[a] -= 1
            self.boys[b] += 1
        if self.p[i].special:
            self.spec[a] -= 1
            self.spec[b] += 1

    # §5.3
    def clashes(self, members, c):
        for m in members:
            grp = self.group[m]
            if grp is not None:
                for o in grp:
                    if o != m and self.cls[o] == c:
                        return True
        return False

    # §5.11
    def swap_clashes(self, x, c, y):
        grp = self.group[x]
        if grp is None:
            return False
        for o in grp:
            if o != x and o != y and self.cls[o] == c:
                return True
        return False

    # §5.7
    def construct(self):
        order = list(range(len(self.units)))
        self.g.shuffle(order)
        self.log("  shuffled units: %s" % " ".join(self.unit_name(ui) for ui in order))

        def tier(ui):
            u = self.units[ui]
            return (1 if u.fixed is not None else 0, len(u.members), u.apart, u.special, 1 if u.male() else 0)

        order.sort(key=lambda ui: tuple(-v for v in tier(ui)))  # stable
        self.log("  tier order:     %s" % " ".join(self.unit_name(ui) for ui in order))
        for ui in order:
            u = self.units[ui]
            names = self.unit_name(ui)
            if u.fixed is not None:
                c = u.fixed
                self.log("  unit %s fixed -> internal class %d" % (names, c))
            else:
                c = self.best_class(u)
                if c is None:
                    self.counters["make_room_calls"] += 1
                    c = self.make_room(u)
                    if c is not None:
                        self.counters["make_room_found"] += 1
                self.log("  unit %s -> %s" % (names, "unplaced" if c is None else "internal class %d" % c))
            if c is not None:
                self.put(u, c)

    # §5.8
    def best_class(self, u):
        start = self.g.intn(self.k)
        s = len(u.members)
        male = u.male()
        best, best_key = None, None
        for j in range(self.k):
            c = (start + j) % self.k
            if self.size[c] + s > self.limit(c) or self.clashes(u.members, c):
                continue
            key = (
                self.spec[c] if u.special > 0 else 0,
                self.boys[c] if male else self.size[c] - self.boys[c],
                self.size[c],
            )
            if best is None or key < best_key:
                best, best_key = c, key
        self.log("  bestClass: start %d, choice %s" % (start, best))
        return best

    # §5.9
    def make_room(self, u):
        start = self.g.intn(self.k)
        self.log("  makeRoom start=%d" % start)
        s = len(u.members)
        for j in range(self.k):
            c = (start + j) % self.k
            if self.clashes(u.members, c):
                continue
            done = []
            i = 0
            while i < self.n and self.size[c] + s > self.limit(c):
                if self.cls[i] == c and self.single[i]:
                    for to in range(self.k):
                        if to != c and self.size[to] + 1 <= self.limit(to) and not self.clashes([i], to):
                            self.move(i, c, to)
                            done.append((i, to))
                            break
                i += 1
            if self.size[c] + s <= self.limit(c):
                return c
            for i, to in reversed(done):
                self.move(i, to, c)
        return None

    # §5.11
    def balance_gender(self):
        n, k = self.n, self.k
        nb = sum(1 for p in self.p if p.male)
        members = [[] for _ in range(k)]
        for i in range(n):
            if self.single[i]:
                members[self.cls[i]].append(i)

        def dev(c):
            return self.boys[c] * n - nb * self.size[c]

        for _ in range(n):
            order = sorted(range(k), key=lambda c: -dev(c))  # stable: ties by class
            if not self.swap_some_gender(members, order, dev):
                return

    def swap_some_gender(self, members, order, dev):
        for hi in order:
            for j in range(len(order) - 1, -1, -1):
                lo = order[j]
                if dev(hi) - dev(lo) <= self.n:
                    break
                if self.swap_gender(members, hi, lo):
                    return True
        return False

    def swap_gender(self, members, hi, lo):
        for xi, x in enumerate(members[hi]):
            px = self.p[x]
            if not px.male:
                continue
            for yi, y in enumerate(members[lo]):
                py = self.p[y]
                if py.male or py.special != px.special or self.swap_clashes(x, lo, y) or self.swap_clashes(y, hi, x):
                    continue
                self.move(x, hi, lo)
                self.move(y, lo, hi)
                members[hi][xi], members[lo][yi] = y, x
                members[hi].sort()
                members[lo].sort()
                self.counters["gender_swaps"] += 1
                self.log("  gender swap %s (internal %d) <-> %s (internal %d)" % (px.id, hi, py.id, lo))
                return True
        return False

    # §5.12
    def improve(self, balance_score, balance_age):
        if not balance_score and not balance_age:
            return
        n, k = self.n, self.k
        d0 = min(p.birth for p in self.p)
        score = [p.score for p in self.p]
        age = [p.birth - d0 for p in self.p]

        def add(st, i, sign):
            # st = [nS, sumS, sqS, nA, sumA, sqA], exact integers (wrapped on conversion).
            if score[i] is not None:
                st[0] += sign
                st[1] += sign * score[i]
                st[2] += sign * score[i] * score[i]
            st[3] += sign
            st[4] += sign * age[i]
            st[5] += sign * age[i] * age[i]

        stats = [[0] * 6 for _ in range(k)]
        year = [0] * 6
        for i in range(n):
            add(stats[self.cls[i]], i, 1)
            add(year, i, 1)
        norm_s = mean_sd(year[0], year[1], year[2])
        norm_a = mean_sd(year[3], year[4], year[5])

        def term(cnt, s, sq, norm):
            mu, sigma = norm
            if sigma == 0 or i64(cnt) == 0:
                return 0.0
            m, sd = mean_sd(cnt, s, sq)
            dm = (m - mu) / sigma
            ds = (sd - sigma) / sigma
            return (WEIGHT_MEAN * (dm * dm)) + (WEIGHT_SPREAD * (ds * ds))

        def cost(st):
            c = 0.0
            if balance_score:
                c = c + term(st[0], st[1], st[2], norm_s)
            if balance_age:
                c = c + term(st[3], st[4], st[5], norm_a)
            return c

        movable = [i for i in range(n) if self.single[i]]
        cat = [(2 if p.male else 0) + (1 if p.special else 0) for p in self.p]
        lists = [[[] for _ in range(4)] for _ in range(k)]
        pos = [0] * n
        for i in movable:
            lst = lists[self.cls[i]][cat[i]]
            pos[i] = len(lst)
            lst.append(i)
        if len(movable) < 2 or k < 2:
            return
        costs = [cost(stats[c]) for c in range(k)]
        g = self.g
        self.log("  year norms: score mean %r sd %r; age mean %r sd %r" % (norm_s + norm_a))
        self.log("  class costs: %r" % costs)
        for it in range(PROPOSALS_PER_PUPIL * n):
            x = movable[g.intn(len(movable))]
            a = self.cls[x]
            b = g.intn(k - 1)
            if b >= a:
                b += 1
            other = lists[b][cat[x]]
            if not other:
                continue
            y = other[g.intn(len(other))]
            if self.swap_clashes(x, b, y) or self.swap_clashes(y, a, x):
                continue
            self.counters["proposals_evaluated"] += 1
            sa, sb = stats[a][:], stats[b][:]
            add(sa, x, -1)
            add(sa, y, 1)
            add(sb, y, -1)
            add(sb, x, 1)
            ca, cb = cost(sa), cost(sb)
            delta = (ca + cb) - (costs[a] + costs[b])
            if not delta < -MIN_GAIN:
                continue
            self.counters["swaps_accepted"] += 1
            self.log("  proposal %d: swap %s (internal %d) <-> %s (internal %d), delta %r, costs %r %r"
                     % (it + 1, self.p[x].id, a, self.p[y].id, b, delta, ca, cb))
            stats[a], stats[b], costs[a], costs[b] = sa, sb, ca, cb
            lists[a][cat[x]][pos[x]], lists[b][cat[y]][pos[y]] = y, x
            pos[x], pos[y] = pos[y], pos[x]
            self.cls[x], self.cls[y] = b, a

    # §5.13, §5.14
    def label(self, teachers):
        bound = [False] * self.k
        for u in self.units:
            if u.fixed is not None:
                bound[u.fixed] = True
        free = [c for c in range(self.k) if not bound[c]]
        nums = free[:]
        self.g.shuffle(nums)
        self.log("  free internal classes %s get numbers %s" % (free, [v + 1 for v in nums]))
        number = [c + 1 for c in range(self.k)]
        for i, c in enumerate(free):
            number[c] = nums[i] + 1
        drawn = []
        if teachers:
            idx = list(range(len(teachers)))
            self.g.shuffle(idx)
            self.log("  teacher indexes after shuffle: %s" % idx)
            drawn = [teachers[idx[j]] for j in range(self.k)]
        return [number[c] for c in self.cls], drawn, number


def mean_sd(cnt, s, sq):
    """§5.12.2."""
    if i64(cnt) == 0:
        return 0.0, 0.0
    fn = f(cnt)
    m = f(s) / fn
    v = f(sq) / fn - (m * m)
    if v < 0:
        v = 0.0
    return m, math.sqrt(v)


def output_canonical(pupils, classes, teachers):
    """§6.2."""
    out = ["qiao-placement-output-v1\n"]
    for p, c in zip(pupils, classes):
        out.append("%s\t%d\n" % (p.id, c))
    out.append("teachers\t%d\n" % len(teachers))
    for j, t in enumerate(teachers):
        out.append("%d\t%s\n" % (j + 1, t))
    return "".join(out)


def balance_report(pupils, classes, teachers, k):
    """§7. Floats are returned as Python floats; NaN as None."""
    rows = []
    for c in range(1, k + 1):
        rows.append({"class": c, "teacher": teachers[c - 1] if c - 1 < len(teachers) else "",
                     "size": 0, "boys": 0, "girls": 0, "special": 0, "_st": [0] * 6})
    for p, c in zip(pupils, classes):
        r = rows[c - 1]
        r["size"] += 1
        r["boys" if p.male else "girls"] += 1
        r["special"] += p.special
        st = r["_st"]
        if p.score is not None:
            st[0] += 1
            st[1] += p.score
            st[2] += p.score * p.score
        st[3] += 1
        st[4] += p.birth
        st[5] += p.birth * p.birth
    for r in rows:
        st = r.pop("_st")
        r["mean_birth"], r["sd_birth"] = mean_sd(st[3], st[4], st[5])
        if st[0] == 0:
            r["mean_score"] = r["sd_score"] = math.nan
        else:
            m, sd = mean_sd(st[0], st[1], st[2])
            r["mean_score"], r["sd_score"] = m / 100, sd / 100
    spread = {}
    for key in ("size", "boys", "girls", "special"):
        vals = [r[key] for r in rows]
        spread[key] = max(vals) - min(vals)
    for key in ("mean_birth", "sd_birth", "mean_score", "sd_score"):
        vals = [r[key] for r in rows if not math.isnan(r[key])]
        spread[key] = max(vals) - min(vals) if vals else math.nan

    def nan_to_none(d):
        return {key: (None if isinstance(v, float) and math.isnan(v) else v) for key, v in d.items()}

    return {"classes": [nan_to_none(r) for r in rows], "spread": nan_to_none(spread)}


def draw(data, k, balance_score, balance_age, entropy, secret, rng_outputs=0, trace=False):
    """The whole draw (§5); returns the JSON-ready result."""
    pupils, teachers = parse_canonical(data)
    entropy_n, secret_n = normalise(entropy), normalise(secret)
    problems = group_checks(pupils)
    problems += class_checks(pupils, teachers, k)
    if problems:
        raise Refused(problems)
    digest = sha256_hex(data)
    params = params_string(k, balance_score, balance_age)
    seed = seed_of(digest, params, entropy_n, secret_n)
    g = RNG(seed)
    first = []
    if rng_outputs:
        probe = RNG(seed)
        first = [probe.next() for _ in range(rng_outputs)]
    counters = {"attempts": 0, "make_room_calls": 0, "make_room_found": 0, "gender_swaps": 0,
                "proposals_evaluated": 0, "swaps_accepted": 0}
    for attempt in range(MAX_ATTEMPTS):
        counters["attempts"] += 1
        st = Attempt(pupils, k, g, counters, trace)
        fixed_problems = st.check_fixed()
        if fixed_problems:
            raise Refused(fixed_problems)
        st.log("attempt %d" % (attempt + 1))
        st.construct()
        unplaced = [i for i in range(len(pupils)) if st.cls[i] is None]
        if not unplaced:
            break
        if attempt == MAX_ATTEMPTS - 1:
            raise Unplaceable(pupils[unplaced[0]].id)
    st.log("after construction: internal classes %s" % st.cls)
    st.balance_gender()
    st.improve(balance_score, balance_age)
    st.log("after improvement: internal classes %s" % st.cls)
    classes, drawn, number = st.label(teachers)
    st.log("class numbers of internal classes 0..K-1: %s" % number)
    out = output_canonical(pupils, classes, drawn)
    res = {
        "algorithm": ALGORITHM,
        "input_digest": digest,
        "params": params,
        "entropy": entropy_n,
        "secret": secret_n,
        "seed": seed.hex(),
        "classes": classes,
        "teachers": drawn,
        "output_canonical": out,
        "output_digest": sha256_hex(out.encode("utf-8")),
        "report": balance_report(pupils, classes, drawn, k),
        "counters": counters,
    }
    if rng_outputs:
        res["rng"] = [str(x) for x in first]
    return res


def run(data, k, score, age, entropy, secret, rng_outputs=0, trace=False):
    try:
        return draw(data, k, score, age, entropy, secret, rng_outputs, trace)
    except Refused as e:
        return {"error": "refused", "problems": [{"code": c, "args": a} for c, a in e.problems]}
    except Unplaceable as e:
        return {"error": "unplaceable", "pupil": e.pupil}
    except Invalid as e:
        return {"error": "invalid", "message": str(e)}


def argv_text(s):
    """Command-line text as UTF-8, whatever the locale."""
    try:
        return os.fsencode(s).decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("argument is not valid UTF-8")


def flag(v):
    if v in ("1", "true", "yes"):
        return True
    if v in ("0", "false", "no"):
        return False
    raise argparse.ArgumentTypeError("want 1 or 0")


def main():
    ap = argparse.ArgumentParser(description="qiao-placement-1 reference draw from a canonical-form input")
    ap.add_argument("input", nargs="?", help="canonical-form input file (spec §2.4)")
    ap.add_argument("--classes", type=int, help="number of classes K")
    ap.add_argument("--score", type=flag, default=True, help="balance scores (1/0, default 1)")
    ap.add_argument("--age", type=flag, default=True, help="balance birth dates (1/0, default 1)")
    ap.add_argument("--entropy", default="", help="public entropy")
    ap.add_argument("--secret", default="", help="revealed secret (commit-reveal), optional")
    ap.add_argument("--rng", type=int, default=0, help="also print the first N generator outputs")
    ap.add_argument("--trace", action="store_true", help="trace the construction on stderr")
    ap.add_argument("--batch", help="JSON list of jobs; prints a JSON list of results")
    a = ap.parse_args()
    if a.batch:
        with open(a.batch, "rb") as fh:
            jobs = json.load(fh)
        out = []
        for job in jobs:
            with open(job["input"], "rb") as fh:
                data = fh.read()
            out.append(run(data, int(job["classes"]), bool(job.get("score", True)), bool(job.get("age", True)),
                           job.get("entropy", ""), job.get("secret", "")))
        json.dump(out, sys.stdout, ensure_ascii=False)
        print()
        return 0
    if a.input is None or a.classes is None:
        ap.error("INPUT and --classes are required (or --batch)")
    with open(a.input, "rb") as fh:
        data = fh.read()
    try:
        entropy, secret = argv_text(a.entropy), argv_text(a.secret)
    except Invalid as e:
        res = {"error": "invalid", "message": str(e)}
    else:
        res = run(data, a.classes, a.score, a.age, entropy, secret, a.rng, a.trace)
    json.dump(res, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0 if "error" not in res else 1


if __name__ == "__main__":
    sys.exit(main())
