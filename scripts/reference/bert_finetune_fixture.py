#!/usr/bin/env python3
"""PyTorch's numbers for one fine-tuning step of a classifier on the tiny BERT fixture, for
`crates/axon/tests/bert_finetune.rs`.

The classifier is `BertModel` (crates/axon/tests/fixtures/tiny_bert) -> mean pooling over the
attention mask -> a seeded `Linear(16, 3)` head, the mean cross-entropy of a fixed batch of six
sentences with labels. Dropout is off (evaluation mode), so the numbers are deterministic;
everything runs in float64, so the reference is exact to float64 and axon's float32 must agree to
its own rounding.

Writes `crates/axon/tests/fixtures/bert_finetune.safetensors`:

- `input_ids`, `attention_mask` (int64): the batch as the tokenizer pads and truncates it
  (max_seq_length 16); `labels` (int64);
- `head.weight`, `head.bias`: the head's initial values;
- `loss` (1 value) and `grad.{name}` for every parameter `{name}` with a gradient, the encoder's
  by `BertForSequenceClassification`'s names (`bert.embeddings.word_embeddings.weight`, ...) and
  the head's as `classifier.weight`, `classifier.bias`;
- `after.{name}`: every trainable parameter after two optimizer steps on the same batch with
  AdamW (lr 1e-3, weight decay 0.01 except on biases and LayerNorm parameters, as Hugging Face's
  Trainer groups them), `get_linear_schedule_with_warmup(warmup 2, total 10)` (so the first step
  runs at lr 0 and the second at 5e-4) and `clip_grad_norm_(max_norm 1.0)` before each step;
  `grad_norm` (the norms before clipping, one per step).

Run with the torch venv:

    ~/torch-venv/bin/python scripts/reference/bert_finetune_fixture.py
"""

from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import AutoTokenizer, BertModel, get_linear_schedule_with_warmup

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "crates/axon/tests/fixtures/tiny_bert"
OUT = ROOT / "crates/axon/tests/fixtures/bert_finetune.safetensors"

SENTENCES = [
    "The cat sat on the mat.",
    "FREE money!!! Click here now: win $1000",
    "Hello, world!",
    "the dog was very happy and the cat was not",
    "win win win free spam now",
    "This is a very long sentence that keeps going and going and going over the maximum length.",
]
LABELS = [0, 2, 1, 0, 2, 1]
CLASSES = 3
LR, WEIGHT_DECAY, WARMUP, TOTAL, MAX_NORM = 1e-3, 0.01, 2, 10, 1.0


def main():
    torch.manual_seed(20261130)
    tokenizer = AutoTokenizer.from_pretrained(FIXTURE)
    batch = tokenizer(SENTENCES, padding="longest", truncation=True, max_length=16, return_tensors="pt")
    bert = BertModel.from_pretrained(FIXTURE, attn_implementation="eager").double().eval()
    head = torch.nn.Linear(bert.config.hidden_size, CLASSES).double()
    with torch.no_grad():
        head.weight.normal_(0.0, 0.5)
        head.bias.normal_(0.0, 0.5)
    init = {"head.weight": head.weight.detach().clone(), "head.bias": head.bias.detach().clone()}
    labels = torch.tensor(LABELS)

    named = [("bert." + n, p) for n, p in bert.named_parameters() if not n.startswith("pooler.")]
    named += [("classifier." + n, p) for n, p in head.named_parameters()]
    for name, p in bert.named_parameters():
        if name.startswith("pooler."):
            p.requires_grad_(False)

    def loss_fn():
        hidden = bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                      token_type_ids=batch["token_type_ids"]).last_hidden_state
        m = batch["attention_mask"].unsqueeze(-1).double()
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.cross_entropy(head(pooled), labels)

    decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
    no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=LR,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, WARMUP, TOTAL)

    out = {
        "input_ids": batch["input_ids"].contiguous(),
        "attention_mask": batch["attention_mask"].contiguous(),
        "labels": labels,
        **init,
    }
    norms = []
    for step in range(2):
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        if step == 0:
            out["loss"] = loss.detach().reshape(1)
            for name, p in named:
                if p.grad is not None:
                    out["grad." + name] = p.grad.detach().clone()
        norms.append(torch.nn.utils.clip_grad_norm_([p for _, p in named], MAX_NORM).item())
        optimizer.step()
        scheduler.step()
    for name, p in named:
        out["after." + name] = p.detach().clone()
    out["grad_norm"] = torch.tensor(norms, dtype=torch.float64)
    print(f"loss {out['loss'].item():.6f}, grad norms {norms}, {len(named)} parameters")
    save_file({k: v.contiguous() for k, v in out.items()}, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
