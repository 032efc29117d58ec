//! From a document to its terms, as scikit-learn's default word analyzer: Python's `str.lower`,
//! then the tokens of `token_pattern=r"(?u)\b\w\w+\b"` (every maximal run of two or more word
//! characters), then optional English stop words removed, then word n-grams joined by one space.
//!
//! Python's `\w` on `str` is exactly the Unicode general categories L* and N* plus `_` (checked
//! over every code point by `scripts/reference/text_fixtures.py`), so it is written here as the
//! regex class `[\p{L}\p{N}_]`. It is not Rust's `char::is_alphanumeric` (which takes combining
//! vowel signs and leaves out `²`), nor the `regex` crate's `\w` (which takes combining marks).
//! The only differences left come from Unicode versions: the tables here are the `regex` crate's
//! (newer) and Python 3.11's are Unicode 14, so characters assigned since may be read differently.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Runs of two or more word characters: the tokens of `(?u)\b\w\w+\b`.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}\p{N}_]{2,}").unwrap());
static WORD_CHAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\p{L}\p{N}_]$").unwrap());

/// scikit-learn's `ENGLISH_STOP_WORDS` (318 words), copied into a data file with its source.
static STOP_WORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("english_stop_words.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether `c` is a word character of Python's `\w` (letters, numbers, underscore).
pub fn is_word_char(c: char) -> bool {
    let mut buf = [0u8; 4];
    WORD_CHAR.is_match(c.encode_utf8(&mut buf))
}

/// The lowercased tokens of `text`, as scikit-learn's default `CountVectorizer` finds them.
pub fn tokenize(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    TOKEN.find_iter(&lower).map(|m| m.as_str().to_owned()).collect()
}

fn yes() -> bool {
    true
}

/// scikit-learn's English stop words, sorted.
pub fn english_stop_words() -> Vec<&'static str> {
    let mut words: Vec<&str> = STOP_WORDS.iter().copied().collect();
    words.sort_unstable();
    words
}

/// How a document becomes terms: tokens (of the lowercased text by default), stop words out, then n-grams `ngram_range.0 ..=
/// ngram_range.1` (all the shortest first, as scikit-learn lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analyzer {
    /// Drop scikit-learn's English stop words before making n-grams.
    pub stop_words: bool,
    /// The smallest and largest n-gram length, `1 <= min <= max`.
    pub ngram_range: (usize, usize),
    /// Lowercase the text before finding tokens (scikit-learn's default `lowercase=True`).
    #[serde(default = "yes")]
    pub lowercase: bool,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer { stop_words: false, ngram_range: (1, 1), lowercase: true }
    }
}

impl Analyzer {
    /// Checks the n-gram range.
    pub fn validate(&self) -> Result<()> {
        let (lo, hi) = self.ngram_range;
        if lo == 0 || lo > hi {
            return Err(Error::invalid(
                "ngram_range",
                format!("({lo}, {hi})"),
                "n-gram lengths must satisfy 1 <= min <= max",
            ));
        }
        Ok(())
    }

    /// The terms of `text`, in scikit-learn's order.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let mut terms = Vec::new();
        self.for_each_term(text, |t| terms.push(t.to_owned()));
        terms
    }

    /// The tokens of `text` after lowercasing (when the analyzer lowercases) and stop-word
    /// removal, as slices of `text` or of `buf`, which holds the lowercased text.
    ///
    /// A document of ASCII alone is scanned byte by byte, where Python's `\w` is `[A-Za-z0-9_]`
    /// and lowercasing keeps every byte in place; that gives the regex's tokens exactly (checked
    /// by a test on random documents) at several times its speed. Others are scanned character
    /// by character, a non-ASCII character classed by the regex's class once per thread.
    pub fn tokens<'a>(&self, text: &'a str, buf: &'a mut String) -> Vec<&'a str> {
        // Lowercasing keeps ASCII text ASCII (and the Unicode scan takes any text).
        let ascii = text.is_ascii();
        let text = if self.lowercase {
            buf.clear();
            if ascii {
                buf.push_str(text);
                buf.make_ascii_lowercase();
            } else {
                buf.push_str(&text.to_lowercase());
            }
            buf.as_str()
        } else {
            text
        };
        let mut tokens: Vec<&str> = if ascii { ascii_tokens(text) } else { unicode_tokens(text) };
        if self.stop_words {
            tokens.retain(|t| !STOP_WORDS.contains(t));
        }
        tokens
    }

    /// Calls `f` on each term of `text`, in scikit-learn's order, without allocating a string
    /// per term: tokens are slices of the (lowercased) text and each n-gram is joined into one
    /// reused buffer.
    pub fn for_each_term(&self, text: &str, mut f: impl FnMut(&str)) {
        let mut lower = String::new();
        let tokens = self.tokens(text, &mut lower);
        let (lo, hi) = self.ngram_range;
        let mut gram = String::new();
        for n in lo..=hi.min(tokens.len()) {
            if n == 1 {
                tokens.iter().for_each(|t| f(t));
                continue;
            }
            for window in tokens.windows(n) {
                gram.clear();
                for (i, t) in window.iter().enumerate() {
                    if i > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(t);
                }
                f(&gram);
            }
        }
    }
}

/// Whether the non-ASCII `c` is a word character, remembered per thread: the regex answers
/// one character slowly, and a document repeats few distinct ones.
fn is_word_char_remembered(c: char) -> bool {
    thread_local! {
        static SEEN: RefCell<FxHashMap<char, bool>> = RefCell::new(FxHashMap::default());
    }
    SEEN.with(|seen| *seen.borrow_mut().entry(c).or_insert_with(|| is_word_char(c)))
}

/// The maximal runs of two or more word characters (`[\p{L}\p{N}_]`, counted in characters)
/// in any `text`: the tokens of the regex [`TOKEN`], found in one forward scan.
fn unicode_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    // The current run: where it starts and how many characters it has.
    let mut run: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        let word = if c.is_ascii() {
            c.is_ascii_alphanumeric() || c == '_'
        } else {
            is_word_char_remembered(c)
        };
        match (word, run) {
            (true, Some((s, n))) => run = Some((s, n + 1)),
            (true, None) => run = Some((i, 1)),
            (false, Some((s, n))) => {
                if n >= 2 {
                    tokens.push(&text[s..i]);
                }
                run = None;
            }
            (false, None) => {}
        }
    }
    if let Some((s, n)) = run {
        if n >= 2 {
            tokens.push(&text[s..]);
        }
    }
    tokens
}

/// Python's `\w` on ASCII bytes, `[A-Za-z0-9_]`, by byte.
static ASCII_WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b as u8 == b'_';
        b += 1;
    }
    table
};

/// The maximal runs of two or more of `[A-Za-z0-9_]` in an ASCII `text`: a gap, then a run,
/// each skipped in its own tight loop over a byte table.
fn ascii_tokens(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len() / 8);
    let mut i = 0;
    while i < bytes.len() {
        i += bytes[i..].iter().take_while(|&&b| !ASCII_WORD[b as usize]).count();
        let start = i;
        i += bytes[i..].iter().take_while(|&&b| ASCII_WORD[b as usize]).count();
        if i - start >= 2 {
            tokens.push(&text[start..i]);
        }
    }
    tokens
}
