"""Neutral chat messages as Slack Block Kit (slack_sdk's block models)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from netmend.chatops.messages import (
    ActionKind,
    ChatMessage,
    Context,
    Fields,
    Part,
    Preformatted,
    Section,
)

__all__ = [
    "ACTION_IDS",
    "DECISION_BLOCK_ID",
    "message_blocks",
    "part_block",
    "stamped_blocks",
]

ACTION_IDS = {ActionKind.APPROVE: "netmend.approve", ActionKind.REJECT: "netmend.reject"}
DECISION_BLOCK_ID = "netmend.decision"
_TEXT_LIMIT = 3000  # Slack's limit for a section's text


def _clip(text: str) -> str:
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def part_block(part: Part) -> Block:
    if isinstance(part, Section):
        return SectionBlock(text=MarkdownTextObject(text=_clip(part.text)))
    if isinstance(part, Preformatted):
        return SectionBlock(text=MarkdownTextObject(text=_clip(f"```{part.text}```")))
    if isinstance(part, Fields):
        return SectionBlock(
            fields=[MarkdownTextObject(text=f"*{k}*\n{v}") for k, v in part.pairs[:10]]
        )
    if isinstance(part, Context):
        return ContextBlock(elements=[MarkdownTextObject(text=_clip(part.text))])
    raise TypeError(f"no Block Kit rendering for {type(part).__name__}")


def message_blocks(message: ChatMessage) -> list[dict[str, Any]]:
    blocks: list[Block] = [part_block(p) for p in message.parts]
    if message.actions:
        blocks.append(
            ActionsBlock(
                block_id=DECISION_BLOCK_ID,
                elements=[
                    ButtonElement(
                        text=action.label,
                        action_id=ACTION_IDS[action.kind],
                        value=action.value,
                        style="primary" if action.kind is ActionKind.APPROVE else "danger",
                    )
                    for action in message.actions
                ],
            )
        )
    return [block.to_dict() for block in blocks]


def stamped_blocks(original: list[dict[str, Any]], stamp: Part) -> list[dict[str, Any]]:
    """The message's blocks without the decision buttons, with the stamp appended."""
    kept = [b for b in original if b.get("block_id") != DECISION_BLOCK_ID]
    return [*kept, part_block(stamp).to_dict()]
