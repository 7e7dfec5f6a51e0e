from bot.channels.zalo.backoff import Backoff


def test_the_wait_doubles_on_repeated_429s_up_to_the_longest_and_starts_again_after_a_success():
    backoff = Backoff(first=5, longest=30)
    assert [backoff.quota_exceeded() for _ in range(5)] == [5, 10, 20, 30, 30]
    backoff.went_through()
    assert backoff.quota_exceeded() == 5


def test_a_wait_is_at_least_a_whole_second():
    assert Backoff(first=0.2, longest=1).quota_exceeded() == 1
