"""Prompts longer than CLIP's 77-token window: encoded in chunks, never silently truncated.

Each chunk holds up to 75 prompt tokens between BOS and EOS, padded to 77, and is encoded on
its own; the chunk encodings are concatenated along the sequence, which the UNet's cross
attention accepts at any length. The negative prompt is padded with empty chunks to the same
length so positive and negative can be stacked for classifier-free guidance.
"""

from __future__ import annotations


def token_count(tokenizer, text: str) -> int:
    """Tokens of `text` without BOS/EOS."""
    return len(tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids)


def chunks_needed(tokenizer, text: str) -> int:
    window = tokenizer.model_max_length - 2
    return max(1, -(-token_count(tokenizer, text) // window))


def truncated_tail(tokenizer, text: str) -> str:
    """The words a single 77-token window would drop from `text` ('' when it fits)."""
    ids = tokenizer(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
    window = tokenizer.model_max_length - 2
    return tokenizer.decode(ids[window:]).strip() if len(ids) > window else ""


def encode_chunked(pipe, texts: list[str], chunks: int, device, dtype):
    """[len(texts), 77 * chunks, dim] text encodings, each text split into `chunks` windows."""
    import torch

    tok = pipe.tokenizer
    window = tok.model_max_length - 2
    rows = []
    for text in texts:
        ids = tok(text, add_special_tokens=False, truncation=False, verbose=False).input_ids
        for c in range(chunks):
            part = ids[c * window : (c + 1) * window]
            row = [tok.bos_token_id, *part, tok.eos_token_id]
            rows.append(row + [tok.pad_token_id] * (tok.model_max_length - len(row)))
    ids = torch.tensor(rows, device=device)
    with torch.no_grad():
        hidden = pipe.text_encoder(ids)[0]
    return hidden.reshape(len(texts), chunks * tok.model_max_length, hidden.shape[-1]).to(dtype)
