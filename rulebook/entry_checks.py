"""Entry checks before an order is confirmed (product.md §2, 信息填错): "是不是填错了?" — a synchronous warning with the
suggested value, never a case.

- Address: the draft names no unit (门牌号/房间号) while the buyer's usual address — the one they used most often —
  is the same street in the same city and has one.
- Size: an item's size differs from every size the buyer chose before in that category; the suggestion is the
  size they chose most often.
No history, no warning.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EntryWarning:
    field: str
    message: str
    suggestion: str


@dataclass(frozen=True)
class DraftItem:
    category: str
    size: str


def _place(address: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(str(address.get(k) or "").strip() for k in ("province", "city", "district", "street"))


def usual_address(history: Sequence[Mapping[str, object]]) -> Mapping[str, object] | None:
    """The address the buyer used most often (the most recent of equals); `history` newest first."""
    if not history:
        return None
    counts = Counter(_place(a) for a in history)
    best = max(counts.values())
    return next(a for a in history if counts[_place(a)] == best)


def address_warning(
    draft: Mapping[str, object], history: Sequence[Mapping[str, object]], english: bool = False
) -> EntryWarning | None:
    if str(draft.get("unit") or "").strip():
        return None
    usual = usual_address(history)
    if usual is None:
        return None
    unit = str(usual.get("unit") or "").strip()
    same_street = all(
        str(draft.get(k) or "").strip() == str(usual.get(k) or "").strip() and str(usual.get(k) or "").strip()
        for k in ("city", "street")
    )
    if not unit or not same_street:
        return None
    if english:
        message = f"Did you forget the unit? Your usual address at {usual.get('street')} has unit {unit}."
    else:
        message = f"是不是填错了?您常用的地址({usual.get('street')})有门牌号「{unit}」,本次未填写。"
    return EntryWarning("shipping_address.unit", message, unit)


def size_warnings(
    items: Sequence[DraftItem], sizes_by_category: Mapping[str, Sequence[str]], english: bool = False
) -> list[EntryWarning]:
    """`sizes_by_category`: the sizes the buyer chose before, per category."""
    warnings = []
    for index, item in enumerate(items):
        before = [s for s in sizes_by_category.get(item.category, ()) if s]
        if not item.category or not item.size or not before or _norm(item.size) in {_norm(s) for s in before}:
            continue
        usual = Counter(before).most_common(1)[0][0]
        if english:
            message = f"Did you mean size {usual}? You usually choose {usual} in {item.category}, not {item.size}."
        else:
            message = f"是不是填错了?您在「{item.category}」类商品通常选择{usual}码,本次选择了{item.size}。"
        warnings.append(EntryWarning(f"items[{index}].spec", message, usual))
    return warnings


def _norm(size: str) -> str:
    return size.strip().upper()
