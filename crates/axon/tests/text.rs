//! The text features against scikit-learn (fixtures from `scripts/reference/text_fixtures.py`):
//! Python's `\w` and `str.lower` over every code point, the tokens, n-grams and stop words of
//! tricky strings, the signed MurmurHash3 and `HashingVectorizer` rows exactly, and on the spam
//! sample (`data/spam_sample.csv.gz`, read with the library's CSV reader) the `CountVectorizer`
//! vocabularies exactly and the `TfidfVectorizer` values to 1e-12.

use std::path::PathBuf;

use axon::data::{read_table, Column, ReadOptions};
use axon::sparse::Csr;
use axon::text::{
    is_word_char, murmurhash3_32, tokenize, Analyzer, CountOptions, CountVectorizer, DocFreq,
    HashingVectorizer, Norm, TfidfOptions, TfidfVectorizer,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let path = root().join("crates/axon/tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

/// The e-mails of the spam sample, through the library's CSV reader (the text column comes back
/// categorical: one level per distinct message).
fn spam_texts() -> Vec<String> {
    let frame =
        read_table(root().join("data/spam_sample.csv.gz"), &ReadOptions::default()).unwrap();
    match frame.column("text").unwrap() {
        Column::Categorical { levels, codes } => {
            codes.iter().map(|&c| levels[c as usize].clone()).collect()
        }
        Column::Numeric(_) => panic!("the text column read as numbers"),
    }
}

fn in_ranges(ranges: &[(u32, u32)], cp: u32) -> bool {
    let i = ranges.partition_point(|r| r.1 < cp);
    i < ranges.len() && ranges[i].0 <= cp
}

fn ranges(v: &Value) -> Vec<(u32, u32)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_u64().unwrap() as u32, r[1].as_u64().unwrap() as u32))
        .collect()
}

#[test]
fn word_characters_and_lowercase_match_python_on_every_assigned_code_point() {
    let f = fixture("text_tokens.json");
    let (word, unassigned) = (ranges(&f["word_ranges"]), ranges(&f["unassigned_ranges"]));
    let lower: std::collections::HashMap<u32, String> = f["lower"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_u64().unwrap() as u32, p[1].as_str().unwrap().to_owned()))
        .collect();
    let (mut checked, mut word_diff, mut lower_diff) = (0, Vec::new(), Vec::new());
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let cp = c as u32;
        if in_ranges(&unassigned, cp) {
            continue; // not assigned in Python's Unicode version: may differ in a newer one
        }
        checked += 1;
        if is_word_char(c) != in_ranges(&word, cp) {
            word_diff.push(format!("U+{cp:04X}"));
        }
        let expected = lower.get(&cp).cloned().unwrap_or_else(|| c.to_string());
        if c.to_string().to_lowercase() != expected {
            lower_diff.push(format!("U+{cp:04X}"));
        }
    }
    assert!(checked > 280_000, "{checked}");
    assert!(
        word_diff.is_empty(),
        "\\w differs on {} code points: {:?}",
        word_diff.len(),
        word_diff
    );
    assert!(lower_diff.is_empty(), "lower differs on {}: {:?}", lower_diff.len(), lower_diff);
}

#[test]
fn tokens_ngrams_stop_words_and_murmur_match_sklearn() {
    let f = fixture("text_tokens.json");
    let stop = Analyzer { stop_words: true, ngram_range: (1, 3), lowercase: true };
    let bigrams = Analyzer { stop_words: false, ngram_range: (2, 2), lowercase: true };
    for case in f["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        let tokens = tokenize(text);
        assert_eq!(tokens, strings(&case["tokens"]), "{text:?}");
        assert_eq!(Analyzer::default().analyze(text), tokens, "{text:?}");
        assert_eq!(stop.analyze(text), strings(&case["stop_1_3"]), "{text:?}");
        assert_eq!(bigrams.analyze(text), strings(&case["bigrams"]), "{text:?}");
        let hashes: Vec<i64> =
            tokens.iter().map(|t| murmurhash3_32(t.as_bytes(), 0).into()).collect();
        let expected: Vec<i64> =
            case["murmur"].as_array().unwrap().iter().map(|h| h.as_i64().unwrap()).collect();
        assert_eq!(hashes, expected, "{text:?}");
    }
    for pair in f["murmur_bytes"].as_array().unwrap() {
        let s = pair[0].as_str().unwrap();
        assert_eq!(i64::from(murmurhash3_32(s.as_bytes(), 0)), pair[1].as_i64().unwrap(), "{s:?}");
    }
}

/// A seeded xorshift generator of `u64`s for the random documents below.
fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[test]
fn the_ascii_scan_finds_the_tokens_of_the_regex() {
    // `tokenize` is the regex itself; the analyzer scans ASCII documents byte by byte. Random
    // documents over word characters, separators and punctuation (seeded) must agree exactly,
    // with and without lowercasing (a non-ASCII document: the next test).
    let alphabet = b"aZ9_ .-\t\n'x0Qb!";
    let mut next = xorshift(0x2545_f491_4f6c_dd1d_u64);
    let keep_case = Analyzer { lowercase: false, ..Analyzer::default() };
    let mut tokens_seen = 0;
    for _ in 0..2000 {
        let len = (next() % 40) as usize;
        let doc: String =
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char).collect();
        let expected = tokenize(&doc);
        tokens_seen += expected.len();
        assert_eq!(Analyzer::default().analyze(&doc), expected, "{doc:?}");
        let mut buf = String::new();
        let raw: Vec<String> =
            keep_case.tokens(&doc, &mut buf).into_iter().map(str::to_owned).collect();
        assert_eq!(raw.join(" ").to_lowercase(), expected.join(" "), "{doc:?}");
    }
    assert!(tokens_seen > 2000, "the documents have tokens: {tokens_seen}");
    assert_eq!(Analyzer::default().analyze("Ünïcode wörds ok"), ["ünïcode", "wörds", "ok"]);
}

#[test]
fn the_unicode_scan_finds_the_tokens_of_the_regex() {
    // A document with a non-ASCII character is scanned character by character; random documents
    // over letters, digits and marks that are and are not Python's `\w` (a combining vowel sign,
    // `²`, Arabic and fullwidth digits, CJK, an emoji, a dotted capital I) must give the regex's
    // tokens exactly, with and without lowercasing.
    let alphabet: Vec<char> = "aZ9_ .-é²٣字ा😀İß·。Ω０\u{301}x".chars().collect();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15_u64);
    let keep_case = Analyzer { lowercase: false, ..Analyzer::default() };
    let token = regex::Regex::new(r"[\p{L}\p{N}_]{2,}").unwrap();
    let mut tokens_seen = 0;
    for _ in 0..3000 {
        let len = (next() % 30) as usize;
        let mut doc: String =
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
        doc.push('é');
        let expected = tokenize(&doc);
        tokens_seen += expected.len();
        assert_eq!(Analyzer::default().analyze(&doc), expected, "{doc:?}");
        let mut buf = String::new();
        let raw: Vec<&str> = keep_case.tokens(&doc, &mut buf);
        let regex: Vec<&str> = token.find_iter(&doc).map(|m| m.as_str()).collect();
        assert_eq!(raw, regex, "{doc:?}");
    }
    assert!(tokens_seen > 3000, "the documents have tokens: {tokens_seen}");
}

fn rows_of(x: &Csr) -> Vec<Vec<(u32, f64)>> {
    (0..x.n_rows())
        .map(|i| {
            let (c, v) = x.row(i);
            c.iter().copied().zip(v.iter().copied()).collect()
        })
        .collect()
}

fn expected_rows(v: &Value) -> Vec<Vec<(u32, f64)>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|e| (e[0].as_u64().unwrap() as u32, e[1].as_f64().unwrap()))
                .collect()
        })
        .collect()
}

#[test]
fn hashing_vectorizer_rows_equal_sklearn_with_collisions_and_explicit_zeros() {
    let f = fixture("text_tokens.json");
    let texts: Vec<String> =
        f["cases"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap().into()).collect();
    for (bits, key) in [(20, "hashing_b20"), (3, "hashing_b3")] {
        let x = HashingVectorizer::new(bits).unwrap().transform(&texts).unwrap();
        assert_eq!(x.n_cols(), 1 << bits);
        assert_eq!(rows_of(&x), expected_rows(&f[key]), "{key}");
    }
    // any term's column is |h| mod 2^bits with the sign of h
    let hv = HashingVectorizer::new(20).unwrap();
    for t in ["spam", "ham", "日本"] {
        let h = murmurhash3_32(t.as_bytes(), 0);
        let (j, s) = hv.column(t);
        assert_eq!(u64::from(j), i64::from(h).unsigned_abs() % (1 << 20));
        assert_eq!(s, if h < 0 { -1.0 } else { 1.0 });
    }
    // a hash of i32::MIN: scikit-learn's column (2^31 - 1 - (n - 1)) mod n, sign -1
    for bits in [1, 3, 20, 30] {
        let hv = HashingVectorizer::new(bits).unwrap();
        let n = 1i64 << bits;
        let sklearn = ((2147483647 - (n - 1)) % n) as u32;
        assert_eq!(hv.column_of_hash(i32::MIN), (sklearn, -1.0), "bits {bits}");
        assert_eq!(hv.column_of_hash(i32::MAX), ((i32::MAX as i64 % n) as u32, 1.0));
        assert_eq!(hv.column_of_hash(-5), ((5 % n) as u32, -1.0));
    }
    assert!(HashingVectorizer::new(0).is_err() && HashingVectorizer::new(31).is_err());
}

fn sha256_lines(terms: &[String]) -> String {
    let digest = Sha256::digest(terms.join("\n").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_vocabulary(v: &CountVectorizer, x: &Csr, f: &Value) {
    assert_eq!(v.n_features() as u64, f["size"].as_u64().unwrap());
    assert_eq!(sha256_lines(v.terms()), f["sha256"].as_str().unwrap());
    for t in f["terms"].as_array().unwrap() {
        assert_eq!(v.index(t[0].as_str().unwrap()), Some(t[1].as_u64().unwrap() as usize));
    }
    assert_eq!(x.nnz() as u64, f["nnz"].as_u64().unwrap());
    let total: f64 = (0..x.n_rows()).map(|i| x.row(i).1.iter().sum::<f64>()).sum();
    assert_eq!(total, f["total"].as_f64().unwrap());
    let sums = x.t_mul_vec(&vec![1.0; x.n_rows()]);
    let head: Vec<f64> =
        f["column_sums_head"].as_array().unwrap().iter().map(|s| s.as_f64().unwrap()).collect();
    assert_eq!(&sums[..head.len()], &head[..]);
}

fn check_entries(x: &Csr, entries: &Value, tol: f64) {
    for e in entries.as_array().unwrap() {
        let (i, j, want) = (
            e[0].as_u64().unwrap() as usize,
            e[1].as_u64().unwrap() as u32,
            e[2].as_f64().unwrap(),
        );
        let (cols, vals) = x.row(i);
        let k = cols.binary_search(&j).unwrap_or_else(|_| panic!("({i}, {j}) not stored"));
        assert!((vals[k] - want).abs() <= tol, "({i}, {j}): {} vs {want}", vals[k]);
    }
}

#[test]
fn count_vectorizer_vocabularies_equal_sklearn_on_the_spam_sample() {
    let texts = spam_texts();
    let f = fixture("text_spam.json");
    assert_eq!(texts.len() as u64, f["rows"].as_u64().unwrap());

    let options = CountOptions {
        analyzer: Analyzer { stop_words: false, ngram_range: (1, 2), lowercase: true },
        min_df: DocFreq::Count(2),
        ..CountOptions::default()
    };
    let (v, x) = CountVectorizer::fit_transform(options, &texts).unwrap();
    check_vocabulary(&v, &x, &f["counts_1_2_min2"]);
    check_entries(&x, &f["counts_1_2_min2"]["entries"], 0.0);
    assert_eq!(v.transform(&texts).unwrap(), x);

    let g = &f["stop_maxdf_maxfeatures"];
    let options = CountOptions {
        analyzer: Analyzer { stop_words: true, ngram_range: (1, 1), lowercase: true },
        min_df: DocFreq::Proportion(0.01),
        max_df: DocFreq::Proportion(0.5),
        max_features: Some(g["max_features"].as_u64().unwrap() as usize),
        binary: true,
    };
    let (v, x) = CountVectorizer::fit_transform(options, &texts).unwrap();
    check_vocabulary(&v, &x, g);
    check_entries(&x, &g["entries"], 0.0);
    assert_eq!(v.transform(&texts).unwrap(), x);

    let options = CountOptions {
        min_df: DocFreq::Count(3),
        max_df: DocFreq::Count(40),
        ..CountOptions::default()
    };
    let (v, x) = CountVectorizer::fit_transform(options, &texts).unwrap();
    check_vocabulary(&v, &x, &f["int_df"]);
}

fn bigram_options() -> CountOptions {
    CountOptions {
        analyzer: Analyzer { stop_words: false, ngram_range: (1, 2), lowercase: true },
        min_df: DocFreq::Count(2),
        ..CountOptions::default()
    }
}

#[test]
fn tfidf_values_idf_and_norms_match_sklearn_to_1e12() {
    let texts = spam_texts();
    let f = &fixture("text_spam.json")["tfidf"];
    let sublinear = TfidfOptions { sublinear_tf: true, ..TfidfOptions::default() };
    let (v, x) = TfidfVectorizer::fit_transform(bigram_options(), sublinear, &texts).unwrap();
    assert_eq!(v.terms().len() as u64, f["size"].as_u64().unwrap());
    check_entries(&x, &f["entries"], 1e-12);
    let idf = v.tfidf.idf().unwrap();
    for e in f["idf"].as_array().unwrap() {
        let (j, want) = (e[0].as_u64().unwrap() as usize, e[1].as_f64().unwrap());
        assert!((idf[j] - want).abs() <= 1e-12, "idf[{j}] {} vs {want}", idf[j]);
    }
    let norm = |x: &Csr, i: usize| x.row(i).1.iter().map(|v| v * v).sum::<f64>().sqrt();
    for (i, want) in f["row_norms"].as_array().unwrap().iter().enumerate() {
        assert!((norm(&x, i) - want.as_f64().unwrap()).abs() <= 1e-12, "row {i}");
    }
    let raw = TfidfOptions { norm: Norm::None, ..sublinear };
    let (_, xr) = TfidfVectorizer::fit_transform(bigram_options(), raw, &texts).unwrap();
    check_entries(&xr, &f["raw_entries"], 1e-12);
    for (i, want) in f["raw_row_norms"].as_array().unwrap().iter().enumerate() {
        let want = want.as_f64().unwrap();
        assert!((norm(&xr, i) - want).abs() <= 1e-12 * want.max(1.0), "row {i}");
    }
}

#[test]
fn a_fitted_tfidf_vectorizer_transforms_new_documents_and_survives_serde() {
    let texts = spam_texts();
    let f = &fixture("text_spam.json")["tfidf_heldout"];
    let options = TfidfOptions { sublinear_tf: true, smooth_idf: false, ..TfidfOptions::default() };
    let v = TfidfVectorizer::fit(bigram_options(), options, &texts[..200]).unwrap();
    assert_eq!(v.terms().len() as u64, f["size"].as_u64().unwrap());
    let x = v.transform(&texts[200..]).unwrap();
    assert_eq!(x.nnz() as u64, f["nnz"].as_u64().unwrap());
    check_entries(&x, &f["entries"], 1e-12);

    let json = serde_json::to_string(&v).unwrap();
    let back: TfidfVectorizer = serde_json::from_str(&json).unwrap();
    assert_eq!(back, v);
    assert_eq!(back.transform(&texts[200..]).unwrap(), x);
}

#[test]
fn bad_options_are_errors_that_name_the_argument() {
    let docs = ["the and of", "a to in"];
    let err = |o: CountOptions| CountVectorizer::fit(o, &docs).unwrap_err().to_string();
    let bad_ngram = CountOptions {
        analyzer: Analyzer { stop_words: false, ngram_range: (2, 1), lowercase: true },
        ..CountOptions::default()
    };
    assert!(err(bad_ngram).contains("ngram_range"));
    assert!(err(CountOptions { min_df: DocFreq::Proportion(1.5), ..CountOptions::default() })
        .contains("min_df"));
    let crossed = CountOptions {
        min_df: DocFreq::Count(3),
        max_df: DocFreq::Count(2),
        ..CountOptions::default()
    };
    assert!(err(crossed).contains("max_df"));
    let only_stop = CountOptions {
        analyzer: Analyzer { stop_words: true, ngram_range: (1, 1), lowercase: true },
        ..CountOptions::default()
    };
    assert!(err(only_stop).contains("empty vocabulary"));
    assert!(err(CountOptions { min_df: DocFreq::Count(2), ..CountOptions::default() })
        .contains("no terms remain"));
}

/// The counts of the training documents as `transform` finds them (looking terms up by token
/// ids) equal those `fit_transform` learned (interning n-grams), for unigram, bigram and
/// longer n-gram ranges, with stop words and binary counts; and a vocabulary learned on one
/// thread or three is the same, to the bit.
#[test]
fn counts_are_the_same_by_transform_and_for_any_thread_count() {
    let texts = spam_texts();
    for (lo, hi, stop_words, binary) in
        [(1, 1, false, false), (1, 2, false, false), (1, 3, true, false), (2, 3, false, true)]
    {
        let options = CountOptions {
            analyzer: Analyzer { stop_words, ngram_range: (lo, hi), lowercase: true },
            min_df: DocFreq::Count(2),
            binary,
            ..CountOptions::default()
        };
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| CountVectorizer::fit_transform(options.clone(), &texts).unwrap())
        };
        let (v, x) = fit(1);
        assert!(v.terms().iter().any(|t| t.split(' ').count() == hi), "({lo}, {hi})");
        assert_eq!(v.transform(&texts).unwrap(), x, "({lo}, {hi}) transform");
        let (v3, x3) = fit(3);
        assert_eq!((v3.terms(), &x3), (v.terms(), &x), "({lo}, {hi}) threads");
        for (j, term) in v.terms().iter().enumerate().step_by(97) {
            assert_eq!(v.index(term), Some(j), "{term}");
        }
        assert_eq!(v.index("zz qq xx yy"), None);
    }
}

/// The vocabulary learned (n-grams counted as packed integer keys when the corpus's token ids
/// fit, interned otherwise) is that of counting every term's text in a plain map: for the spam
/// sample's 16 434 tokens (15 bits each, beside 9 bits of a document's place in its block), 1–2
/// and 1–3 words pack into a `u64` and 1–4 and 3–5 words do not.
#[test]
fn vocabularies_equal_those_of_counting_term_texts() {
    let texts = spam_texts();
    for (lo, hi) in [(1, 2), (1, 3), (1, 4), (3, 5)] {
        let analyzer = Analyzer { stop_words: false, ngram_range: (lo, hi), lowercase: true };
        let mut df: std::collections::HashMap<String, usize> = Default::default();
        for text in &texts {
            let mut terms = analyzer.analyze(text);
            terms.sort_unstable();
            terms.dedup();
            terms.into_iter().for_each(|t| *df.entry(t).or_default() += 1);
        }
        let mut want: Vec<String> =
            df.into_iter().filter(|&(_, d)| (2..=40).contains(&d)).map(|(t, _)| t).collect();
        want.sort_unstable();
        let options = CountOptions {
            analyzer,
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Count(40),
            ..CountOptions::default()
        };
        let (v, x) = CountVectorizer::fit_transform(options, &texts).unwrap();
        assert!(want.iter().any(|t| t.split(' ').count() == hi), "({lo}, {hi})");
        assert_eq!(v.terms(), &want[..], "({lo}, {hi})");
        assert_eq!(v.transform(&texts).unwrap(), x, "({lo}, {hi}) transform");
    }
}

/// A model file stores a vocabulary as its terms, each followed by a newline; a term holding a
/// newline (which no analyzer makes) is refused rather than written ambiguously.
#[test]
fn a_term_block_holds_one_term_a_line_and_refuses_a_newline() {
    let terms = ["ab", "ab cd", "zé"].map(String::from).to_vec();
    let v = CountVectorizer::from_terms(CountOptions::default(), terms).unwrap();
    assert_eq!(v.term_block().unwrap(), "ab\nab cd\nzé\n".as_bytes());
    assert_eq!(v.index("ab cd"), Some(1));
    assert_eq!((v.index("zé"), v.index("cd"), v.index("ab zé")), (Some(2), None, None));
    let bad = CountVectorizer::from_terms(CountOptions::default(), vec!["a\nb".into()]).unwrap();
    let e = bad.term_block().unwrap_err().to_string();
    assert!(e.contains("newline"), "{e}");
    let e = CountVectorizer::from_terms(CountOptions::default(), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("at least one term"), "{e}");
}
