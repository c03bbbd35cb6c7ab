"""The secrecy policy: which names are secret, and how secrets are hidden in any text.

Every text that reaches a record goes through one `SecrecyPolicy`: values under secret names
become ``"***"``, and inside free text (string values, reprs, environment variables, command
lines, exception messages) the passwords of URLs, user-only tokens of code-hosting sites,
``Authorization``/``Bearer`` credentials and ``name=value`` or ``name: value`` pairs with a
secret name are replaced by ``***``.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable, Mapping

__all__ = ["DEFAULT_SECRET_WORDS", "REDACTED", "SecrecyPolicy", "name_words", "secrecy_policy"]

REDACTED = "***"

#: Words of names whose values are hidden; a multi-word entry matches consecutive words.
DEFAULT_SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "pw",
    "token",
    "secret",
    "api_key",
    "access_key",
    "private_key",
    "credential",
    "authorization",
    "bearer",
    "pat",
    "dsn",
    "cookie",
    "session",
    "signature",
)

#: Short command-line options whose value is hidden (``-p secret``, ``-psecret``).
SHORT_SECRET_OPTIONS = frozenset({"p"})

#: Entries at least this long also match the end of a longer word (``dbpassword``, ``mytoken``).
_SUFFIX_MATCH = 5
_KNOWN_LIMIT = 65536
#: Texts whose redaction is remembered (those passed on every call, such as URLs), and the
#: longest such text.
_KNOWN_TEXTS = 4096
_KNOWN_TEXT_LENGTH = 200
#: Shortest value of a secret argument looked for in free text (`SecrecyPolicy.secret_values`).
MIN_SECRET_VALUE = 4
#: Most secret values collected from one call, and the depth of the mappings searched.
_SECRET_VALUES = 64
_SECRET_DEPTH = 8

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_URL_CHARS = r"[^\s'\"<>\\`]"
_URL_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>\\`/?#@:]*:)" + _URL_CHARS + r"*@"
)
_TOKEN_HOSTS = (
    r"github\.com|gitlab\.com|bitbucket\.org|huggingface\.co|dev\.azure\.com|visualstudio\.com"
    r"|githubusercontent\.com|codeberg\.org|gitea\.com|sourceforge\.net"
)
_URL_TOKEN = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s'\"<>\\`/?#@:]+)@"
    r"(?=(?:[A-Za-z0-9-]+\.)*(?:" + _TOKEN_HOSTS + r")(?![A-Za-z0-9.-]))",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\b(?:[Bb]earer|BEARER)\s+)[A-Za-z0-9\-._~+/]+=*")
_SCHEMES = r"(?:basic|bearer|digest|token|negotiate|ntlm)\s+"
#: A name and its separator; the value (`_VALUE`) is read only after a secret name.
_PAIR = re.compile(r"(?P<name>(?<![\w.])[A-Za-z_][\w.-]*)['\"]?\s*[:=]\s*")
_VALUE = re.compile(
    r"'(?:[^'\\]|\\.)*(?:'|\Z)|\"(?:[^\"\\]|\\.)*(?:\"|\Z)"
    r"|(?:(?i:" + _SCHEMES + r"))?[^\s,;&)}\]'\"]+"
)
_LEADING_SCHEME = re.compile(_SCHEMES, re.IGNORECASE)
_KEPT_USERS = frozenset({"git"})


def name_words(name: str) -> list[str]:
    """Split a name into lower-case words at separators, digits and camelCase boundaries.

    ``"DB_PASS"``, ``"db-pass"`` and ``"dbPass"`` all give ``["db", "pass"]``.
    """
    return [word.lower() for word in _WORD.findall(name)]


def _entry_pattern(words: list[str]) -> str:
    """Return the regular expression finding the entry of ``words`` in a name written as
    ``_word_word_`` (its words joined by ``_``, with one more at each end)."""
    patterns = ["_" + "_".join(map(re.escape, words)) + "s?_"]
    joined = re.escape("".join(words))
    if len("".join(words)) >= _SUFFIX_MATCH:
        patterns.append(f"_[a-z0-9]*{joined}s?_")
    elif len(words) > 1:
        patterns.append(f"_{joined}s?_")
    return "|".join(patterns)


class SecrecyPolicy:
    """Decide which names are secret and hide secrets in texts.

    Parameters
    ----------
    words : iterable of str
        Secret words (``password``, ``api_key``). A name is secret when its words (see
        `name_words`) contain those of an entry in a row, the last one maybe plural; an entry
        of 5 letters or more also matches the end of a word (``dbpassword``), and a multi-word
        entry also matches its words joined (``apikey``).

    Attributes
    ----------
    words : tuple of str
        The entries, as words joined by ``_``.
    known : dict of str to bool
        The names decided so far (a bounded number), for callers that look them up first.
    paths : dict of str to bool
        The same for value path texts (`hides_path`).
    """

    def __init__(self, words: Iterable[str]) -> None:
        entries = {}
        for entry in words:
            split = name_words(entry) if isinstance(entry, str) else []
            if split:
                entries["_".join(split)] = split
        self.words = tuple(sorted(entries))
        patterns = [_entry_pattern(split) for _, split in sorted(entries.items())]
        self._regex = re.compile("|".join(patterns)) if patterns else None
        firsts = {split[0] for split in entries.values()} | {"bearer"}
        self._needles = tuple(sorted(word for word in firsts if not any(o in word for o in firsts if o != word)))
        self.known: dict[str, bool] = {}
        self.paths: dict[str, bool] = {}
        self._texts: dict[str, str] = {}

    def __call__(self, name: Any) -> bool:
        """Return True when ``name`` looks secret."""
        if not isinstance(name, str):
            return False
        known = self.known.get(name)
        if known is None:
            if self._regex is None:
                return False
            lowered = name.lower()
            known = any(map(lowered.__contains__, self._needles)) and self.scan_name(name)
            if len(self.known) < _KNOWN_LIMIT:
                self.known[name] = known
        return known

    def scan_name(self, name: str) -> bool:
        """Return True when ``name`` looks secret, by the rule of `__call__` without its quick
        check (the plain path it must equal: an entry found in a name holds its first word,
        which is then in the name written in lower case)."""
        return self._regex is not None and self._regex.search("_" + "_".join(name_words(name)) + "_") is not None

    is_secret = __call__

    def hides_path(self, path: Any) -> bool:
        """Return True when a name along a value path (`ValuePath.names`) looks secret."""
        text = path.text
        hidden = self.paths.get(text)
        if hidden is None:
            hidden = any(self(name) for name in path.names)
            if len(self.paths) < _KNOWN_LIMIT:
                self.paths[text] = hidden
        return hidden

    def redact_text(self, text: str) -> str:
        """Return ``text`` with the secrets found in it replaced by ``***``.

        Hidden: URL passwords (``scheme://user:***@host``, the password running to the last
        ``@``, so it may hold ``/``, ``@`` and ``:``), user-only tokens of code-hosting sites
        (``https://***@github.com/...``), ``Bearer`` (``bearer``, ``BEARER``) credentials, and
        the values of ``name=value`` and ``name: value`` pairs (quoted or not, ``Basic ...``
        credentials included) whose name is secret. Texts without ``=``, ``:``, ``@`` or
        ``Bearer`` are returned at once; the results for short texts are remembered.
        """
        if not ("=" in text or ":" in text or "@" in text or "earer" in text or "EARER" in text):
            return text
        known = self._texts.get(text)
        if known is not None:
            return known
        shown = self._redact(text)
        if len(text) <= _KNOWN_TEXT_LENGTH and len(self._texts) < _KNOWN_TEXTS:
            self._texts[text] = shown
        return shown

    def _redact(self, text: str) -> str:
        if "://" in text and "@" in text:
            text = _URL_PASSWORD.sub(r"\g<head>" + REDACTED + "@", text)
            text = _URL_TOKEN.sub(_hide_url_user, text)
        if not any(map(text.lower().__contains__, self._needles)):
            return text
        return _BEARER.sub(r"\g<head>" + REDACTED, self._hide_pairs(text))

    def scan(self, text: str) -> str:
        """Apply every rule of `redact_text` to ``text``, without its quick checks (the plain path
        `redact_text` must equal: every rule needs ``=``, ``:``, ``@`` or ``Bearer``, and a
        secret name holds the first word of an entry)."""
        text = _URL_PASSWORD.sub(r"\g<head>" + REDACTED + "@", text)
        text = _URL_TOKEN.sub(_hide_url_user, text)
        text = self._hide_pairs(text)
        return _BEARER.sub(r"\g<head>" + REDACTED, text)

    def _hide_pairs(self, text: str) -> str:
        """Hide the values of the ``name=value`` and ``name: value`` pairs of ``text`` with a
        secret name."""
        parts: list[str] = []
        done = 0
        for match in _PAIR.finditer(text):
            if match.start() < done or not self(match.group("name")):
                continue
            found = _VALUE.match(text, match.end())
            if found is None:
                continue
            value = found.group(0)
            if value[0] in "'\"":
                shown = value[0] + REDACTED + value[0]
            else:
                scheme = _LEADING_SCHEME.match(value)
                shown = (scheme.group(0) if scheme else "") + REDACTED
            parts.append(text[done:match.end()])
            parts.append(shown)
            done = match.end() + len(value)
        if not parts:
            return text
        parts.append(text[done:])
        return "".join(parts)

    def secret_values(self, named: Mapping[Any, Any]) -> list[str]:
        """Return the texts of the values held under secret names in ``named``, and under
        secret keys of the mappings inside its values, longest first.

        Only strings and numbers of at least `MIN_SECRET_VALUE` characters are returned: shorter
        ones would hide innocent parts of the texts they are looked for in.
        """
        found: set[str] = set()
        pending: list[tuple[Mapping[Any, Any], int]] = [(named, 0)]
        while pending and len(found) < _SECRET_VALUES:
            mapping, depth = pending.pop()
            for name, value in list(mapping.items())[:_SECRET_VALUES]:
                if self(name) and isinstance(value, (str, int, float)) and not isinstance(value, bool):
                    text = str(value)
                    if len(text) >= MIN_SECRET_VALUE:
                        found.add(text)
                elif isinstance(value, Mapping) and depth < _SECRET_DEPTH:
                    pending.append((value, depth + 1))
        return sorted(found, key=len, reverse=True)

    def redact_arguments(self, argv: Iterable[str]) -> list[str]:
        """Return a command line with the values of secret options hidden.

        ``--password x``, ``--password=x``, ``-p x`` and ``-px`` hide ``x``; a single-dash
        option starting with ``p`` is ``-p`` with its value attached (``-p***``), and when it
        also reads as a secret name (``-password x``, ``-pMyPass``) the next argument is hidden
        too. Every other argument goes through `redact_text`.
        """
        shown: list[str] = []
        hide_next = False
        for arg in argv:
            if hide_next:
                shown.append(REDACTED)
                hide_next = False
                continue
            if not isinstance(arg, str):
                shown.append(arg)
                continue
            if arg.startswith("-") and len(arg) > 1 and not arg[1].isdigit():
                option, equals, _ = arg.partition("=")
                name = option.lstrip("-")
                short = not arg.startswith("--") and name[:1] in SHORT_SECRET_OPTIONS
                if short and len(name) > 1:
                    # ``-pVALUE``; when it reads as a secret name too (``-password``,
                    # ``-pMyPass``), the next argument may be the value: hidden as well.
                    shown.append(arg[:2] + REDACTED)
                    hide_next = not equals and self(name)
                    continue
                if self(name) or (short and len(name) == 1):
                    if equals:
                        shown.append(option + "=" + REDACTED)
                    else:
                        shown.append(arg)
                        hide_next = True
                    continue
            shown.append(self.redact_text(arg))
        return shown


def _hide_url_user(match: re.Match) -> str:
    user = match.group("user")
    if user.lower() in _KEPT_USERS:
        return match.group(0)
    return match.group("head") + REDACTED + "@"


@functools.lru_cache(maxsize=16)
def secrecy_policy(words: tuple[str, ...]) -> SecrecyPolicy:
    """Return the (shared) policy of ``words``."""
    return SecrecyPolicy(words)
