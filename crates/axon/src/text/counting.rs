//! Counting the n-grams of a corpus by token ids, what a vocabulary is learned from.
//!
//! A corpus of a few thousand e-mails has millions of distinct bigrams, most of which `min_df`
//! then drops; making a string of each, hashing it and merging the strings of parallel blocks
//! was most of the time of a text fit. Here the tokens are interned first (block by block in
//! parallel, then merged: there are few distinct tokens), and an n-gram is the sequence of its
//! tokens' ids, kept in an arena and hashed as integers. Its text (`tokens joined by one space`,
//! unambiguous because tokens hold no spaces) is made only for the n-grams the caller keeps.
//!
//! Ids are given in order of first occurrence, block by block in document order, so they, and
//! everything computed from them, do not depend on the number of threads.

use std::hash::Hasher;

use hashbrown::HashTable;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use super::analyzer::Analyzer;

/// Documents per parallel block.
const DOCS_PER_BLOCK: usize = 256;

/// Distinct n-grams as sequences of token ids in one arena, found again by their ids.
#[derive(Default)]
struct Grams {
    /// The ids of every n-gram, back to back.
    arena: Vec<u32>,
    /// Where n-gram `g` starts in the arena; it ends where `g + 1` starts.
    starts: Vec<usize>,
    /// The ids of n-grams of three or more tokens, hashed by their token ids.
    table: HashTable<u32>,
    /// The ids of unigrams and bigrams, by [`short_key`]: one integer hash probe, no slice
    /// comparison, for the n-grams most analyzers make.
    short: FxHashMap<u64, u32>,
}

/// A unigram or bigram as one integer: `a` alone, or `(b + 1) · 2³² + a` for `(b, a)`, which
/// cannot equal a unigram's. `None` for longer n-grams (and a first id of `u32::MAX`).
fn short_key(key: &[u32]) -> Option<u64> {
    match *key {
        [a] => Some(u64::from(a)),
        [b, a] if b < u32::MAX => Some(((u64::from(b) + 1) << 32) | u64::from(a)),
        _ => None,
    }
}

fn hash(key: &[u32]) -> u64 {
    let mut h = FxHasher::default();
    h.write_usize(key.len());
    key.iter().for_each(|&id| h.write_u32(id));
    h.finish()
}

impl Grams {
    fn len(&self) -> usize {
        self.starts.len()
    }

    fn get(&self, g: u32) -> &[u32] {
        let g = g as usize;
        let end = self.starts.get(g + 1).copied().unwrap_or(self.arena.len());
        &self.arena[self.starts[g]..end]
    }

    /// The id of `key`, a new one if it is not here yet.
    fn intern(&mut self, key: &[u32]) -> u32 {
        if let Some(k) = short_key(key) {
            let next = self.starts.len() as u32;
            let g = *self.short.entry(k).or_insert(next);
            if g == next {
                self.starts.push(self.arena.len());
                self.arena.extend_from_slice(key);
            }
            return g;
        }
        let h = hash(key);
        let Grams { arena, starts, table, .. } = self;
        let slice = |g: u32| {
            let g = g as usize;
            let end = starts.get(g + 1).copied().unwrap_or(arena.len());
            &arena[starts[g]..end]
        };
        if let Some(&g) = table.find(h, |&g| slice(g) == key) {
            return g;
        }
        let g = starts.len() as u32;
        table.insert_unique(h, g, |&other| hash(slice(other)));
        starts.push(arena.len());
        arena.extend_from_slice(key);
        g
    }
}

/// Distinct tokens, numbered in order of first occurrence, their texts back to back in one
/// string: no allocation per token.
#[derive(Default)]
struct Tokens {
    text: String,
    /// Token `t` ends at `ends[t]` in `text` (and starts where `t − 1` ends).
    ends: Vec<usize>,
    /// The ids, hashed by their texts.
    table: HashTable<u32>,
}

fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

impl Tokens {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, t: u32) -> &str {
        token_text(&self.text, &self.ends, t)
    }

    /// The id of `token`, a new one if it is not here yet.
    fn intern(&mut self, token: &str) -> u32 {
        let h = hash_str(token);
        let Tokens { text, ends, table } = self;
        if let Some(&t) = table.find(h, |&t| token_text(text, ends, t) == token) {
            return t;
        }
        let t = ends.len() as u32;
        table.insert_unique(h, t, |&other| hash_str(token_text(text, ends, other)));
        text.push_str(token);
        ends.push(text.len());
        t
    }
}

fn token_text<'a>(text: &'a str, ends: &[usize], t: u32) -> &'a str {
    let t = t as usize;
    let start = if t == 0 { 0 } else { ends[t - 1] };
    &text[start..ends[t]]
}

/// One block's documents as ids of the block's own distinct tokens.
struct TokenBlock {
    tokens: Tokens,
    /// Document `i`'s tokens are `ids[ends[i - 1]..ends[i]]`.
    ends: Vec<usize>,
    ids: Vec<u32>,
}

fn tokenize_block<S: AsRef<str>>(analyzer: &Analyzer, docs: &[S]) -> TokenBlock {
    let mut tokens = Tokens::default();
    let (mut ends, mut ids) = (Vec::with_capacity(docs.len()), Vec::new());
    let mut buf = String::new();
    for doc in docs {
        for token in analyzer.tokens(doc.as_ref(), &mut buf) {
            ids.push(tokens.intern(token));
        }
        ends.push(ids.len());
    }
    TokenBlock { tokens, ends, ids }
}

/// One block's documents as `(n-gram, count)` rows over the block's own n-gram ids.
struct GramBlock {
    grams: Grams,
    rows: Vec<Vec<(u32, f64)>>,
}

fn count_block(block: &TokenBlock, global: &[u32], ngram_range: (usize, usize)) -> GramBlock {
    let mut grams = Grams::default();
    let mut doc: Vec<u32> = Vec::new();
    // Occurrences of each n-gram in the current document, and those seen there, in order.
    let (mut tally, mut seen): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut start = 0;
    let rows = block
        .ends
        .iter()
        .map(|&end| {
            doc.clear();
            doc.extend(block.ids[start..end].iter().map(|&id| global[id as usize]));
            start = end;
            seen.clear();
            let (lo, hi) = ngram_range;
            for n in lo..=hi.min(doc.len()) {
                for w in doc.windows(n) {
                    let g = grams.intern(w) as usize;
                    if g >= tally.len() {
                        tally.resize(g + 1, 0);
                    }
                    if tally[g] == 0 {
                        seen.push(g as u32);
                    }
                    tally[g] += 1;
                }
            }
            seen.iter()
                .map(|&g| (g, f64::from(std::mem::take(&mut tally[g as usize]))))
                .collect::<Vec<_>>()
        })
        .collect();
    GramBlock { grams, rows }
}

/// The n-grams of a corpus and each document's counts of them.
pub(crate) struct Counts {
    tokens: Tokens,
    grams: Grams,
    /// Each document's `(n-gram id, count)` entries, one per distinct n-gram, in no set order.
    pub rows: Vec<Vec<(u32, f64)>>,
}

impl Counts {
    /// Counts the terms `analyzer` makes of `docs`.
    pub fn of<S: AsRef<str> + Sync>(analyzer: &Analyzer, docs: &[S]) -> Counts {
        let blocks: Vec<TokenBlock> =
            docs.par_chunks(DOCS_PER_BLOCK).map(|b| tokenize_block(analyzer, b)).collect();
        // The blocks' tokens merged in block order: few enough to do on one thread.
        let mut tokens = Tokens::default();
        let globals: Vec<Vec<u32>> = blocks
            .iter()
            .map(|b| (0..b.tokens.len() as u32).map(|t| tokens.intern(b.tokens.get(t))).collect())
            .collect();
        let counted: Vec<GramBlock> = blocks
            .par_iter()
            .zip(&globals)
            .map(|(b, global)| count_block(b, global, analyzer.ngram_range))
            .collect();
        // The blocks' n-grams merged in block order, as integer sequences (one thread: the
        // order of first occurrence), then each block's rows renamed to the merged ids.
        let mut grams = Grams::default();
        let globals: Vec<Vec<u32>> = counted
            .iter()
            .map(|block| {
                (0..block.grams.len() as u32).map(|g| grams.intern(block.grams.get(g))).collect()
            })
            .collect();
        let rows = counted
            .into_par_iter()
            .zip(globals)
            .flat_map_iter(|(block, global)| {
                block.rows.into_iter().map(move |row| {
                    row.into_iter().map(|(g, c)| (global[g as usize], c)).collect::<Vec<_>>()
                })
            })
            .collect();
        Counts { tokens, grams, rows }
    }

    /// The number of distinct n-grams.
    pub fn n_terms(&self) -> usize {
        self.grams.len()
    }

    /// Sorts n-gram ids in the order of their texts, without making the texts: token by token,
    /// by the tokens' alphabetical ranks. That is the order of the joined strings because the
    /// separator, a space, sorts before every character a token holds, as the end of a shorter
    /// sequence sorts before any further token.
    pub fn sort_by_text(&self, ids: &mut [u32]) {
        let mut by_text: Vec<u32> = (0..self.tokens.len() as u32).collect();
        by_text.par_sort_unstable_by(|&a, &b| self.tokens.get(a).cmp(self.tokens.get(b)));
        let mut rank = vec![0u32; by_text.len()];
        for (r, &t) in by_text.iter().enumerate() {
            rank[t as usize] = r as u32;
        }
        let ranks = |g: u32| self.grams.get(g).iter().map(|&t| rank[t as usize]);
        ids.par_sort_unstable_by(|&a, &b| ranks(a).cmp(ranks(b)));
    }

    /// The text of n-gram `g`: its tokens joined by one space.
    pub fn term(&self, g: u32) -> String {
        let ids = self.grams.get(g);
        let mut term = String::new();
        for (i, &id) in ids.iter().enumerate() {
            if i > 0 {
                term.push(' ');
            }
            term.push_str(self.tokens.get(id));
        }
        term
    }
}
