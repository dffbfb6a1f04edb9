"""Pausing the cycle collector for a bounded bulk step (PDF renders, an import's check)."""

import gc
import weakref

import pytest

from common.collector import garbage_collection_paused


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the cycle collector frees it


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after(collector_on):
    with garbage_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_cycles_left_inside_are_collected_at_the_end(collector_on):
    with garbage_collection_paused():
        node = Node()
        left = weakref.ref(node)
        del node
        assert left() is not None  # nothing collects it while paused
    assert left() is None


def test_a_collector_someone_else_turned_off_stays_off(collector_on):
    gc.disable()
    with garbage_collection_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_still_turns_the_collector_back_on(collector_on):
    with pytest.raises(ValueError), garbage_collection_paused():
        raise ValueError
    assert gc.isenabled()
