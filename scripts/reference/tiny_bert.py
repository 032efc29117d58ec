#!/usr/bin/env python3
"""A tiny random BERT in the Hugging Face and sentence-transformers layout, with reference
outputs, for `crates/axon/tests/bert.rs`.

Writes `crates/axon/tests/fixtures/tiny_bert/`:

- the sentence-transformers directory exactly as `SentenceTransformer.save` writes it:
  `config.json`, `model.safetensors` (a `BertModel` with hidden size 16, 2 layers, 2 heads,
  intermediate size 32, 32 positions, pooler included), `tokenizer.json` (and the other files
  `BertTokenizerFast.save_pretrained` writes) from a hand-made WordPiece vocabulary of about
  130 tokens, `sentence_bert_config.json` (max_seq_length 16, so the long sentence is
  truncated), `modules.json` (Transformer, Pooling, Normalize) and `1_Pooling/config.json`
  (mean pooling);
- `reference.json`: the sentences; each one's token ids (tokenizer, truncated, unpadded); the
  batch of all of them padded to the longest (`input_ids`, `attention_mask`); BertModel's
  `last_hidden_state` on that batch; the `SentenceTransformer.encode` embeddings (mean pooled,
  normalised); the pooler output; and the same hidden states pooled by sentence-transformers'
  `Pooling` in the CLS, max and mean-sqrt-len modes (not normalised), with the tool versions.

The weights are BertModel's initialisation (seed 20261130) perturbed so that no weight is at
its default (layer norms not 1 and 0, larger matrices), which makes every tensor matter.

Run with a Python that has torch, transformers and sentence-transformers:

    ~/torch-venv/bin/python scripts/reference/tiny_bert.py
"""

import json
import shutil
import tempfile
from pathlib import Path

import sentence_transformers
import tokenizers
import torch
import transformers
from sentence_transformers import SentenceTransformer, models
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers import BertConfig, BertModel, BertTokenizerFast

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates/axon/tests/fixtures/tiny_bert"
MAX_SEQ = 16

# WordPiece: specials, punctuation, every lowercase letter as a word start, some continuation
# letters (so some words cannot be split and become [UNK]), and whole words and pieces.
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PUNCT = list(".,!?'-:;()\"$%")
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
CONTINUATIONS = ["##" + c for c in "abcdeghiklmnorstuy"]
WORDS = [
    "the", "a", "cat", "dog", "sat", "on", "mat", "run", "is", "was", "and", "of", "to",
    "hello", "world", "free", "money", "click", "here", "spam", "now", "win", "cafe", "naive",
    "un", "happy", "believ", "over", "very", "long", "sentence", "that", "keeps", "going",
    "日", "本", "1", "2", "3", "0",
]
PIECES = ["##s", "##ing", "##ed", "##able", "##ly", "##er", "##ness", "##ment"]
VOCAB = list(dict.fromkeys(SPECIALS + PUNCT + LETTERS + CONTINUATIONS + WORDS + PIECES))

SENTENCES = [
    "The cat sat on the mat.",
    "Hello, world!",
    "FREE money!!! Click here now: win $1000",
    "Un café naïve, 日本 — ünhappiness? 🙂 xyzzy qwfp",
    "",
    "This is a very long sentence that keeps going and going and going over the maximum "
    "length of the model, so it is truncated.",
]


def wordpiece():
    """BERT's uncased tokenizer pipeline over VOCAB, as `tokenizer.json` of a BERT holds it."""
    tok = Tokenizer(
        WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]", max_input_chars_per_word=100)
    )
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", VOCAB.index("[CLS]")), ("[SEP]", VOCAB.index("[SEP]"))],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def main():
    torch.manual_seed(20261130)
    torch.set_num_threads(1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if OUT.exists():
        shutil.rmtree(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tokenizer = BertTokenizerFast(
            tokenizer_object=wordpiece(),
            do_lower_case=True,
            unk_token="[UNK]",
            sep_token="[SEP]",
            pad_token="[PAD]",
            cls_token="[CLS]",
            mask_token="[MASK]",
            model_max_length=MAX_SEQ,
        )
        hf = tmp / "hf"
        tokenizer.save_pretrained(hf)
        config = BertConfig(
            vocab_size=len(VOCAB),
            hidden_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=32,
            type_vocab_size=2,
            layer_norm_eps=1e-12,
            hidden_act="gelu",
        )
        model = BertModel(config)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "LayerNorm.weight" in name:
                    p.copy_(1.0 + 0.2 * torch.randn_like(p))
                elif "LayerNorm.bias" in name or name.endswith(".bias"):
                    p.copy_(0.1 * torch.randn_like(p))
                else:
                    p.copy_(0.3 * torch.randn_like(p))
        model.save_pretrained(hf, safe_serialization=True)

        transformer = models.Transformer(str(hf), max_seq_length=MAX_SEQ)
        pooling = models.Pooling(16, pooling_mode="mean")
        st = SentenceTransformer(modules=[transformer, pooling, models.Normalize()])
        st.save(str(OUT))
    for extra in ["README.md"]:
        (OUT / extra).unlink(missing_ok=True)

    # Everything below reads the saved directory back, as axon will.
    st = SentenceTransformer(str(OUT), device="cpu")
    tokenizer = BertTokenizerFast.from_pretrained(OUT)
    model = BertModel.from_pretrained(OUT).eval()
    assert st.max_seq_length == MAX_SEQ
    ids = [
        tokenizer(s, truncation=True, max_length=MAX_SEQ)["input_ids"] for s in SENTENCES
    ]
    batch = tokenizer(
        SENTENCES, padding=True, truncation=True, max_length=MAX_SEQ, return_tensors="pt"
    )
    with torch.no_grad():
        out = model(**batch)
        hidden = out.last_hidden_state
        features = {"token_embeddings": hidden, "attention_mask": batch["attention_mask"]}
        pooled = {}
        for mode in ["cls", "max", "mean_sqrt_len_tokens"]:
            pool = models.Pooling(16, pooling_mode=mode)
            pooled[mode] = pool(dict(features))["sentence_embedding"]
    embeddings = st.encode(SENTENCES, batch_size=4, convert_to_numpy=True)
    reference = {
        "sentences": SENTENCES,
        "max_seq_length": MAX_SEQ,
        "token_ids": ids,
        "input_ids": batch["input_ids"].tolist(),
        "attention_mask": batch["attention_mask"].tolist(),
        "last_hidden_state": hidden.tolist(),
        "pooler_output": out.pooler_output.tolist(),
        "embeddings": embeddings.tolist(),
        "pooled_cls": pooled["cls"].tolist(),
        "pooled_max": pooled["max"].tolist(),
        "pooled_mean_sqrt_len": pooled["mean_sqrt_len_tokens"].tolist(),
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "tokenizers": tokenizers.__version__,
        },
    }
    (OUT / "reference.json").write_text(json.dumps(reference) + "\n")
    print(f"wrote {OUT}: {sorted(p.name for p in OUT.rglob('*'))}")


if __name__ == "__main__":
    main()
