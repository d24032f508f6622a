import pytest

from lukas.domain.conversation_key import ConversationKey, InvalidConversationKeyError


def test_keys_for_each_kind_of_conversation() -> None:
    assert str(ConversationKey.console("s1")) == "console:s1"
    assert str(ConversationKey.slack_dm("D42")) == "slack-dm:D42"
    thread = ConversationKey.slack_thread("C1", "1700000000.000100")
    assert thread.value == "slack-thread:C1:1700000000.000100"
    assert ConversationKey.from_stream_id(thread.stream_id) == thread
    assert ConversationKey.from_stream_id("images:2026-W48") is None


@pytest.mark.parametrize("bad", ["", "console:", "email:x", "console:a b", "x" * 300])
def test_malformed_keys_are_refused_with_the_expected_forms(bad: str) -> None:
    with pytest.raises(InvalidConversationKeyError, match="expected console:SESSION"):
        ConversationKey(bad)
