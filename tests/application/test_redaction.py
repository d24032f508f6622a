from lukas.application.redaction import REDACTED, Redactor


def test_known_secrets_and_secret_shapes_are_redacted() -> None:
    redact = Redactor(["correct-horse-battery-staple"])
    text = (
        "key correct-horse-battery-staple, openai sk-proj-abcdEFGH12345678, "
        "slack xoxb-1234-5678-abcdefgh and xapp-1-A0-123456789, header Bearer abc.def.ghi123"
    )
    redacted = redact(text)
    assert "correct-horse" not in redacted
    assert "sk-proj" not in redacted
    assert "xoxb-" not in redacted
    assert "xapp-" not in redacted
    assert "abc.def" not in redacted
    assert redacted.count(REDACTED) == 5


def test_ordinary_text_and_short_values_are_left_alone() -> None:
    redact = Redactor(["abc", ""])
    assert redact("a bear named abc likes honey") == "a bear named abc likes honey"
