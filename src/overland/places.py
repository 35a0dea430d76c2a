"""Finding places by id, name, alias or transliteration."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import UnknownPlaceError
from .schema import Place

if TYPE_CHECKING:
    from .network import Network

__all__ = ["name_key", "place_names", "resolve_place"]

# Letters that Unicode does not decompose into a Latin base letter.
_FOLD = str.maketrans(
    {"ı": "i", "ə": "e", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "’": "", "'": ""}
)


def name_key(text: str) -> str:
    """A spelling-insensitive key: case, accents, apostrophes, dashes and spaces folded.

    Examples
    --------
    >>> name_key("Naxçıvan") == name_key("naxcivan")
    True
    >>> name_key("Xi'an"), name_key("Türkmenbaşy")
    ('xian', 'turkmenbasy')
    """
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-_.]+", "", text.translate(_FOLD))


def place_names(network: Network) -> Mapping[str, str]:
    """Every id, name and alias (as :func:`name_key`) -> place id; built once per network."""
    names = network.memo.get("place_names")
    if names is None:
        out: dict[str, str] = {}
        for p in network.places.values():
            for n in (*p.aliases, p.name, p.id):  # ids and names win over aliases
                out[name_key(n)] = p.id
        names = network.memo.setdefault("place_names", MappingProxyType(out))
    return names  # type: ignore[no-any-return]


def resolve_place(network: Network, query: str) -> Place:
    """The place a user means by ``query`` (id, name or alias, any spelling).

    Raises
    ------
    UnknownPlaceError
        With up to three close matches as suggestions.

    Examples
    --------
    >>> from overland import embedded_network
    >>> resolve_place(embedded_network(), "Nakhichevan").id
    'nakhchivan'
    """
    names = place_names(network)
    key = name_key(query)
    if key in names:
        return network.places[names[key]]
    close = difflib.get_close_matches(key, list(names), n=6, cutoff=0.6)
    seen: list[str] = []
    for k in close:
        name = network.places[names[k]].name
        if name not in seen:
            seen.append(name)
    raise UnknownPlaceError(query, seen[:3])
