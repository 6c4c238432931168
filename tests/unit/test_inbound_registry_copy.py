"""Inbound parses against a copy of the agency registry read a moment ago, never older, and
never one read before a batch that may have registered an agency."""

from __future__ import annotations

import asyncio
import threading

from services.kafka_runtime.inbound_reads import Registry, RegistryCache

KENT_HUB = {"provider:kent-rj-hub": frozenset({"kent"})}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_reads_within_a_second_share_one_registry_read() -> None:
    reads: list[int] = []
    clock = Clock()
    cache = RegistryCache(lambda: reads.append(1) or {}, max_age=1.0, clock=clock)
    assert await cache.current() == ({}, True)
    clock.now += 0.9
    assert await cache.current() == ({}, False)
    assert len(reads) == 1


async def test_a_copy_older_than_its_age_is_read_again() -> None:
    registries: list[Registry] = [{}, KENT_HUB]
    clock = Clock()
    cache = RegistryCache(lambda: registries.pop(0), max_age=1.0, clock=clock)
    await cache.current()
    clock.now += 1.0
    assert await cache.current() == (KENT_HUB, True)


async def test_a_fresh_read_is_made_when_asked_even_with_a_copy() -> None:
    registries: list[Registry] = [{}, KENT_HUB]
    cache = RegistryCache(lambda: registries.pop(0), max_age=60.0)
    await cache.current()
    assert await cache.current(fresh=True) == (KENT_HUB, True)
    assert await cache.current() == (KENT_HUB, False)


async def test_a_registration_stored_drops_the_copy() -> None:
    registries: list[Registry] = [{}, KENT_HUB]
    cache = RegistryCache(lambda: registries.pop(0), max_age=60.0)
    await cache.current()
    cache.forget()
    assert await cache.current() == (KENT_HUB, True)


async def test_a_read_begun_before_a_registration_was_stored_is_not_kept() -> None:
    """The read under way may have missed the registration: it serves its own parse only."""
    started, release = threading.Event(), threading.Event()
    registries: list[Registry] = [{}, KENT_HUB]

    def slow_read() -> Registry:
        started.set()
        release.wait(5)
        return registries.pop(0)

    cache = RegistryCache(slow_read, max_age=60.0)
    reading = asyncio.ensure_future(cache.current())
    await asyncio.to_thread(started.wait, 5)
    cache.forget()  # the batch that registered the agency has just been stored
    release.set()
    assert await reading == ({}, True)
    assert await cache.current() == (KENT_HUB, True)


async def test_a_failed_read_raises_and_leaves_no_copy() -> None:
    calls: list[int] = []

    def down() -> Registry:
        calls.append(1)
        raise ConnectionError("the store is down")

    cache = RegistryCache(down, max_age=60.0)
    for _ in range(2):
        try:
            await cache.current()
        except ConnectionError:
            pass
        else:
            raise AssertionError("a failed read must raise")
    assert len(calls) == 2
