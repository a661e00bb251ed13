"""Fair shares and the seed's random distributions: how many, how long, and when in the day.
The draws take `random_`, the `random` method of the seed's `random.Random`."""

import math

from bench.scale.times import DAY, HOUR


def share(total: int, parts: int, position: int) -> int:
    """The `position`th of `parts` near-equal shares of `total`."""
    return total // parts + (1 if position < total % parts else 0)


def poisson_cdf(mean: float, highest: int) -> list[float]:
    total, term, cdf = 0.0, math.exp(-mean), []
    for k in range(highest):
        total += term
        cdf.append(total)
        term *= mean / (k + 1)
    return cdf


# bisect(POISSON_3, random()) draws from Poisson(3), at most 12.
POISSON_3 = poisson_cdf(3.0, 12)
POISSON_31 = poisson_cdf(3.1, 12)


def spread(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, at least one each (total >= len(weights))."""
    rest, weight = total - len(weights), sum(weights)
    counts = [1 + int(rest * share / weight) for share in weights]
    short = total - sum(counts)
    for index in sorted(range(len(weights)), key=weights.__getitem__, reverse=True)[:short]:
        counts[index] += 1
    return counts


def delay(random_, bands: list[tuple[float, int, int]], longest: int) -> int:
    """A delay from bands of (chance, shortest, longest), else up to `longest`."""
    roll = random_()
    for chance, low, high in bands:
        if roll < chance:
            return low + int(random_() * (high - low))
        roll -= chance
    low = bands[-1][2]
    return low + int(random_() * (longest - low))


def school_hours(moment: int, random_) -> int:
    """Most incidents happen on a school day between 7am and 3:30pm UTC."""
    day = moment // DAY
    weekday = (day + 3) % 7  # 1 January 1970 was a Thursday
    if random_() < 0.9 and weekday >= 5:  # drawn every time: see plan_incidents
        day -= weekday - 4
    if random_() < 0.85:
        return day * DAY + 7 * HOUR + int(random_() * 8.5 * HOUR)
    return day * DAY + int(random_() * DAY)
