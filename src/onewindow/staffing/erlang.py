"""Erlang C: the windows a half-hour slot needs for a service target (issue #15 part 2).

The M/M/c queue of the contact-centre literature (ITU-T E.500 series traffic terms; the same
definitions as pyworkforce's ``queuing.ErlangC``, whose published worked example the tests check):
people arrive at random (Poisson) at ``λ`` per second, each takes an exponential service time with
mean ``S`` seconds, ``c`` windows call from one queue in order.

- Offered load ``A = λ·S`` Erlangs (arrivals per slot × mean service / slot length).
- Erlang B by the recursion ``B(0) = 1``, ``B(k) = A·B(k−1) / (k + A·B(k−1))`` — no factorials, no
  powers, stable for hundreds of windows.
- Erlang C, the probability of waiting: ``C(c, A) = c·B / (c − A·(1 − B))`` for ``c > A``; 1 when
  ``c ≤ A`` (utilisation ``A/c ≥ 1``: the queue grows without bound and everybody waits).
- Share called within ``t`` seconds (service level): ``SL = 1 − C·exp(−(c − A)·t / S)``.
- Mean wait (ASA): ``W = C·S / (c − A)`` seconds.

Pure functions (no database, no settings); the callers (the sizing services) turn :class:`Infeasible`
into the API's refusal, with the slot it happened in (:meth:`Infeasible.at_slot`).
"""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from .plans import SLOT_SECONDS, Target, slot_label

SERVICE_LEVEL = "service_level"
MEAN_WAIT = "mean_wait"

# A search guard only: a sane target is met long before (the share within target rises towards 1
# geometrically in c − A), so this bound is reached only with a target no queue can meet.
_SEARCH_LIMIT = 100_000


class Infeasible(ValueError):
    """The target cannot be met: utilisation ≥ 1 (the queue grows without bound), more windows than
    the center has, an impossible target or impossible input. ``code`` is stable for the API
    (``unstable``, ``too_few_windows``, ``bad_target``, ``bad_input``); ``load`` is the offered load
    in Erlangs and ``servers`` the windows considered (the center's limit where there is one);
    ``slot`` is filled by the caller that knows it (:meth:`at_slot`)."""

    def __init__(
        self,
        message: str,
        slot: int | None = None,
        *,
        load: float | None = None,
        servers: int | None = None,
        code: str = "infeasible",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.slot = slot
        self.load = load
        self.servers = servers
        self.code = code

    def at_slot(self, slot: int) -> Infeasible:
        """The same refusal naming the half-hour it happened in (``slot`` 0..47)."""
        message = _("时段 %(slot)s：%(reason)s") % {"slot": slot_label(slot), "reason": self.message}
        return Infeasible(message, slot, load=self.load, servers=self.servers, code=self.code)


def offered_load(arrivals: float, service_mean: float, slot_seconds: int = SLOT_SECONDS) -> float:
    """Offered load in Erlangs: ``arrivals`` per slot × ``service_mean`` seconds / ``slot_seconds``
    (e.g. 100 people in 30 minutes at 3 minutes each = 10 Erlangs)."""
    if arrivals < 0 or service_mean < 0 or slot_seconds <= 0 or not all(
        math.isfinite(x) for x in (arrivals, service_mean)
    ):
        raise Infeasible(
            _("到达人数与办理时长须为非负数，时段长度须为正数。"), code="bad_input"
        )
    return arrivals * service_mean / slot_seconds


def erlang_b(load: float, servers: int) -> float:
    """Erlang B (blocking probability) by the stable recursion; 1.0 with no servers."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def _c_from_b(load: float, servers: int, b: float) -> float:
    return servers * b / (servers - load * (1 - b))


def erlang_c(load: float, servers: int) -> float:
    """Probability that a person waits, ``C(c, A) = c·B / (c − A(1 − B))``; 1.0 when
    ``servers ≤ load`` (no stable queue), 0.0 with no load."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    return min(1.0, max(0.0, _c_from_b(load, servers, erlang_b(load, servers))))


def _service_level(c_prob: float, load: float, servers: int, service_mean: float, target_seconds: float) -> float:
    return max(0.0, 1 - c_prob * math.exp(-(servers - load) * target_seconds / service_mean))


def service_level(load: float, servers: int, service_mean: float, target_seconds: float) -> float:
    """Share of people called within ``target_seconds``: ``1 − C·exp(−(c − A)·t / S)``; 0.0 when
    ``servers ≤ load`` (the queue grows without bound), 1.0 with no load."""
    if load <= 0:
        return 1.0
    if servers <= load:
        return 0.0
    return _service_level(erlang_c(load, servers), load, servers, service_mean, target_seconds)


def mean_wait(load: float, servers: int, service_mean: float) -> float:
    """Mean wait in seconds (ASA), ``C·S / (c − A)``; ``math.inf`` when ``servers ≤ load``."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return math.inf
    return erlang_c(load, servers) * service_mean / (servers - load)


def predicted(load: float, servers: int, service_mean: float, target: Target) -> float:
    """The measure the target speaks of: the share within ``target.minutes`` (kind service_level)
    or the mean wait in seconds (kind mean_wait) — what a slot's ``SlotNeed.expected`` shows."""
    if target.kind == MEAN_WAIT:
        return mean_wait(load, servers, service_mean)
    return service_level(load, servers, service_mean, target.minutes * 60)


def check_target(target: Target) -> None:
    """Refuse a target no queue with random arrivals can meet, or a malformed one: a share outside
    (0, 1) (100% cannot be promised: somebody may always find every window busy), negative minutes,
    a mean wait of 0 minutes, an unknown kind."""
    if target.kind not in (SERVICE_LEVEL, MEAN_WAIT):
        raise Infeasible(_("未知的服务目标类型。"), code="bad_target")
    if not math.isfinite(target.minutes) or target.minutes < 0:
        raise Infeasible(_("服务目标的等候分钟数不能为负数。"), code="bad_target")
    if target.kind == SERVICE_LEVEL:
        if not math.isfinite(target.share) or target.share <= 0 or target.share >= 1:
            raise Infeasible(
                _("服务目标的比例须大于0且小于1：随机到达时总可能有人遇到所有窗口都忙。"),
                code="bad_target",
            )
    elif target.minutes == 0:
        raise Infeasible(_("平均等候0分钟的目标无法达到：随机到达时总有人需要等候。"), code="bad_target")


def servers_needed(
    arrivals: float,
    service_mean: float,
    target: Target,
    *,
    slot_seconds: int = SLOT_SECONDS,
    max_servers: int | None = None,
) -> int:
    """The smallest number of windows ``c`` that meets ``target`` for ``arrivals`` per slot of
    ``slot_seconds`` with mean service ``service_mean`` seconds (0 when nobody comes).

    Searches upwards from the first stable ``c`` (``⌊A⌋ + 1``), carrying the Erlang B recursion one
    step per window, so a slot costs O(c). Raises :class:`Infeasible` for an impossible target or
    input, and when ``max_servers`` windows cannot meet it — ``unstable`` if even they are loaded to
    utilisation ≥ 1, ``too_few_windows`` otherwise.
    """
    check_target(target)
    load = offered_load(arrivals, service_mean, slot_seconds)
    if arrivals == 0:
        return 0
    if service_mean <= 0:
        raise Infeasible(_("有人到达时办理时长须为正数。"), load=load, code="bad_input")
    if max_servers is not None and load >= max_servers:
        raise Infeasible(
            _(
                "利用率≥1：负荷 %(load).2f 爱尔兰，%(servers)d 个窗口（利用率 %(util).2f），"
                "排队会无限增长。"
            )
            % {"load": load, "servers": max_servers, "util": load / max_servers if max_servers else math.inf},
            load=load,
            servers=max_servers,
            code="unstable",
        )
    limit = max_servers if max_servers is not None else math.floor(load) + _SEARCH_LIMIT
    seconds = target.minutes * 60
    c = math.floor(load) + 1
    b = erlang_b(load, c)
    while c <= limit:
        c_prob = min(1.0, max(0.0, _c_from_b(load, c, b)))
        if target.kind == MEAN_WAIT:
            met = c_prob * service_mean / (c - load) <= seconds
        else:
            met = _service_level(c_prob, load, c, service_mean, seconds) >= target.share
        if met:
            return c
        c += 1
        b = load * b / (c + load * b)
    raise Infeasible(
        _("负荷 %(load).2f 爱尔兰：%(servers)d 个窗口仍达不到服务目标，需要更多窗口。")
        % {"load": load, "servers": limit},
        load=load,
        servers=limit,
        code="too_few_windows",
    )


def staff_needed(windows: int, shrinkage: float) -> int:
    """Clerks to roster for ``windows`` open windows when ``shrinkage`` of rostered time is away
    from the window (breaks, back-office work): ``⌈windows / (1 − shrinkage)⌉`` (as pyworkforce's
    ``positions``); shrinkage must lie in [0, 1)."""
    if not math.isfinite(shrinkage) or shrinkage < 0 or shrinkage >= 1:
        raise Infeasible(_("折损率须在0（含）到1（不含）之间。"), code="bad_input")
    if windows < 0:
        raise Infeasible(_("窗口数不能为负数。"), code="bad_input")
    # round first so 14 / 0.7 = 20.000000000000004 gives 20, not 21
    return math.ceil(round(windows / (1 - shrinkage), 9))
