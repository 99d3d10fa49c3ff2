"""Pure: when releases are edited after publication, as far as the research knows, and the same
model learned from one source's archive (the ages at which its documents were first seen edited).

The prior is fitted to the two git-scrapes of the State and White House feeds
(../shared/research/remarks-pages.md §5.1): ~8 % (State) and ~10 % (White House) of releases
edited after publication; ages at first edit with a median of 2.2-2.3 h, 30 % under 1 h and
94-96 % under 24 h, which a log-normal of median 2.2 h and sigma 1.5 matches (P<1h 30 %, P<24h
94 %). Those feeds hold an item only ~4 days, so the months-long tail (fact sheets re-edited,
archive migrations, §5.2) is unmeasured: 12 % of edits are put in a log-uniform tail from 2 to
180 days. Some releases are edited twice, some edits are flip-flops reverted within the hour.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
# Age bins (seconds) in which edits are counted and re-check intervals are planned.
BOUNDS = (0.0, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, DAY, 2 * DAY, 4 * DAY, 7 * DAY,
          14 * DAY, 30 * DAY, 60 * DAY, 120 * DAY, 365 * DAY, math.inf)
PRIOR_EDITS = 30        # the prior weighs as much as this many observed edits
PRIOR_DOCUMENTS = 200   # ... and its edited share as much as this many documents


@dataclass(frozen=True)
class EditModel:
    """Edits after publication: who is edited, at what age, and how."""
    edited_share: float = 0.09          # releases edited at least once (State 8 %, White House 10 %)
    median_s: float = 2.2 * HOUR        # log-normal body of the age at first edit
    sigma: float = 1.5
    tail_share: float = 0.12            # edits in the unmeasured long tail ...
    tail_from_s: float = 2 * DAY        # ... log-uniform between these ages
    tail_to_s: float = 180 * DAY
    second_share: float = 0.15          # edited releases edited a second time
    flip_share: float = 0.10            # edits reverted after 5 to 60 minutes (flip-flops)
    declared_share: float = 0.5         # edits that bump the modified time (the rest are silent)

    def cdf(self, age_s: float) -> float:
        """The share of first edits made by `age_s` after publication."""
        if age_s <= 0:
            return 0.0
        if math.isinf(age_s):
            return 1.0
        body = 0.5 * (1 + math.erf(math.log(age_s / self.median_s) / (self.sigma * math.sqrt(2))))
        span = math.log(self.tail_to_s / self.tail_from_s)
        tail = min(1.0, max(0.0, math.log(max(age_s, 1e-9) / self.tail_from_s) / span))
        return (1 - self.tail_share) * body + self.tail_share * tail

    def edits_per_document(self) -> float:
        return self.edited_share * (1 + self.second_share)

    def sample_age(self, rng: random.Random) -> float:
        if rng.random() < self.tail_share:
            return self.tail_from_s * (self.tail_to_s / self.tail_from_s) ** rng.random()
        return self.median_s * math.exp(rng.gauss(0, self.sigma))

    def masses(self) -> tuple[float, ...]:
        """Expected edits per document in each age bin of BOUNDS."""
        per_doc = self.edits_per_document()
        return tuple(per_doc * (self.cdf(hi) - self.cdf(lo)) for lo, hi in zip(BOUNDS, BOUNDS[1:]))


PRIOR = EditModel()


def bin_of(age_s: float) -> int:
    return next(i for i, hi in enumerate(BOUNDS[1:]) if age_s < hi)


@dataclass(frozen=True)
class Learned:
    """A source's edit pattern: expected edits per document in each age bin, and what it rests on."""
    masses: tuple[float, ...]
    edits_seen: int
    documents: int
    edited_share: float


def learn(first_edit_ages: list[float], documents: int, prior: EditModel = PRIOR) -> Learned:
    """Blend the prior with a source's observed ages at first edit (seconds after first seen).

    The share of documents edited is the prior's share weighed as PRIOR_DOCUMENTS documents plus
    the archive's; the spread over ages is the prior's weighed as PRIOR_EDITS edits plus the
    observed ones, so a few edits move it a little and hundreds decide it. A source that never
    edits drifts towards no edits at all; one whose edits come late moves its weight later.
    """
    edited = len(first_edit_ages)
    share = (prior.edited_share * PRIOR_DOCUMENTS + edited) / (PRIOR_DOCUMENTS + max(documents, edited))
    counts = [0] * (len(BOUNDS) - 1)
    for age in first_edit_ages:
        counts[bin_of(max(age, 0.0))] += 1
    shape = [prior.cdf(hi) - prior.cdf(lo) for lo, hi in zip(BOUNDS, BOUNDS[1:])]
    per_doc = share * (1 + prior.second_share)
    masses = tuple(per_doc * (PRIOR_EDITS * p + c) / (PRIOR_EDITS + edited) for p, c in zip(shape, counts))
    return Learned(masses, edited, documents, share)
