//! The fault campaign of every CI run: seeded mutations of good CSV files and good model files
//! (linear and network, saved by the library) go through the library's readers and loaders, and
//! none may panic or make one allocation larger than 1 GiB. A bad file is an error, nothing else.
//!
//! - CSV files (lbw.csv's first rows, a quoted file, a header-less one): byte flips, cuts,
//!   inserted quotes, delimiters, newlines and NULs, huge and non-finite numbers, repeated and
//!   dropped lines, through `data::read_csv` (with and without `drop_missing`, by the parallel
//!   reader and by the one-thread one).
//! - Model files: the header length, the JSON header's bytes, the description's values (each
//!   rewritten as a well-formed file, so that the mutation reaches the model loaders: sizes to
//!   2³¹ and 2⁶³, negative and fractional numbers, lists emptied or grown, keys removed), tensor
//!   shapes and offsets, tensor bytes, cuts; through `io::load_model` and `model::SavedModel::load`
//!   and, when a file loads, `SavedModel::read` and `scores` on rows of its data.
//!
//! Each case runs under `catch_unwind`; a panic is collected with the seed, the case number and
//! the mutation, and the mutated file is kept for reproducing it. The global allocator of this
//! test binary aborts with the case's number on an allocation over the cap. The case count is
//! sized to run in well under a minute in release mode on two cores.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axon::data::{
    read_csv, Design, DesignSpec, Feature, Labels, ReadOptions, Scaling, Schema, Source,
};
use axon::io::load_model;
use axon::linear::{LinearKind, LinearModel};
use axon::model::SavedModel;
use axon::nn::{Activation, Architecture, NetworkClassifier, Output};
use axon::Rng;
use common::SplitMix as Gen;
use serde_json::{json, Value};

mod common;

/// The seed of the whole campaign; a failure names it with the case.
const SEED: u64 = 0x5eed_a804;
/// CSV cases and model cases.
const CSV_CASES: u64 = 12_000;
const MODEL_CASES: u64 = 10_000;
/// The largest single allocation allowed.
const CAP: usize = 1 << 30;

/// The case running now, for the allocator's message (model cases are numbered from
/// `MODEL_BASE`, as the two campaigns run on two threads).
static CASE: AtomicU64 = AtomicU64::new(u64::MAX);
const MODEL_BASE: u64 = 100_000;

/// The system allocator with a cap on a single allocation: over it, the test aborts naming the
/// case (a failing allocation of that size would abort the `axon` binary too).
struct Capped;

unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fn check(size: usize) {
    if size > CAP {
        // No allocation here: the message is assembled in a fixed buffer.
        let mut buf = [0u8; 160];
        let mut len = 0;
        for part in [
            &b"mutation test: an allocation of "[..],
            &decimal(size as u64)[..],
            &b" bytes (cap 1 GiB) in case "[..],
            &decimal(CASE.load(Ordering::Relaxed))[..],
            &b" of seed 0x5eeda804\n"[..],
        ] {
            for &b in part.iter().take_while(|&&b| b != 0) {
                buf[len] = b;
                len += 1;
            }
        }
        let _ = std::io::stderr().write_all(&buf[..len]);
        std::process::abort();
    }
}

/// `n` in decimal, NUL-padded.
fn decimal(mut n: u64) -> [u8; 20] {
    let mut digits = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = [0u8; 20];
    out[..20 - i].copy_from_slice(&digits[i..]);
    out
}

fn data(name: &str) -> String {
    format!("{}/../../data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("axon-mutation-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The panics of a campaign: `(case, mutation, message)`.
#[derive(Default)]
struct Failures(Vec<(u64, String, String)>);

impl Failures {
    /// Runs case `case` (described by `what`, its file `file`) and records a panic, keeping the
    /// file as `failed-<case>`.
    fn run(&mut self, case: u64, what: &str, file: &Path, f: impl FnOnce()) {
        CASE.store(case, Ordering::Relaxed);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(f)) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let kept = file.with_file_name(format!("failed-{case}"));
            let _ = std::fs::copy(file, &kept);
            self.0.push((case, format!("{what} (file kept as {})", kept.display()), msg));
        }
    }

    fn assert_none(&self, campaign: &str) {
        let list: Vec<String> =
            self.0.iter().take(10).map(|(c, w, m)| format!("case {c}: {w}: {m}")).collect();
        assert!(
            self.0.is_empty(),
            "{campaign} (seed {SEED:#x}): {} cases panicked:\n{}",
            self.0.len(),
            list.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// CSV files

/// Good CSV files to start from.
fn csv_seeds() -> Vec<Vec<u8>> {
    let lbw = std::fs::read_to_string(data("lbw.csv")).unwrap();
    let head: String = lbw.lines().take(30).map(|l| format!("{l}\n")).collect();
    vec![
        head.into_bytes(),
        b"name,x,y,label\n\"a, b\",1.5,-2,yes\n\"c \"\"q\"\"\",2.5e3,,no\n'd',NaN,3,yes\n".to_vec(),
        b"1,2,3,0\n4,5,6,1\n7,8,9,0\n1e3,2e-3,0.5,1\r\n".to_vec(),
        b"a;b;c\n1;2;3\n4;5;6\n".to_vec(),
    ]
}

/// Text a mutation inserts.
const INSERTS: [&str; 22] = [
    "\"",
    ",",
    "\n",
    "\r\n",
    "\r",
    "\0",
    ",,",
    "\"\"",
    "\"a,\nb\"",
    "1e309",
    "-1e400",
    "99999999999999999999999999",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    " ",
    "\u{feff}",
    "é",
    "18446744073709551616",
    "1e-400",
    "--",
];

/// One random mutation of `bytes`; returns what it did.
fn mutate_csv(g: &mut Gen, bytes: &mut Vec<u8>) -> String {
    let at = g.below(bytes.len() + 1);
    match g.below(7) {
        0 if !bytes.is_empty() => {
            let i = at.min(bytes.len() - 1);
            bytes[i] ^= 1 << g.below(8);
            format!("flip a bit of byte {i}")
        }
        1 => {
            bytes.truncate(at);
            format!("cut at {at}")
        }
        2 if at < bytes.len() => {
            let end = (at + 1 + g.below(8)).min(bytes.len());
            bytes.drain(at..end);
            format!("delete {at}..{end}")
        }
        3 => {
            let line = bytes.split(|&b| b == b'\n').nth(g.below(4)).unwrap_or_default().to_vec();
            let n = 1 + g.below(3);
            for _ in 0..n {
                bytes.extend_from_slice(&line);
                bytes.push(b'\n');
            }
            format!("repeat a line {n} times")
        }
        4 if !bytes.is_empty() => {
            let i = at.min(bytes.len() - 1);
            bytes[i] = g.next() as u8;
            format!("set byte {i}")
        }
        _ => {
            let text = *g.pick(&INSERTS);
            bytes.splice(at..at, text.bytes());
            format!("insert {text:?} at {at}")
        }
    }
}

#[test]
fn mutated_csv_files_are_errors_not_panics() {
    let dir = scratch("csv");
    let path = dir.join("case.csv");
    let seeds = csv_seeds();
    let mut g = Gen(SEED);
    let mut failures = Failures::default();
    let started = std::time::Instant::now();
    for case in 0..CSV_CASES {
        let seed = g.below(seeds.len());
        let mut bytes = seeds[seed].clone();
        let steps: Vec<String> =
            (0..1 + g.below(4)).map(|_| mutate_csv(&mut g, &mut bytes)).collect();
        std::fs::write(&path, &bytes).unwrap();
        let (drop_missing, parallel) = (g.below(2) == 1, g.below(2) == 1);
        let what = format!(
            "CSV seed {seed}, {}, drop_missing {drop_missing}, parallel {parallel}",
            steps.join("; ")
        );
        failures.run(case, &what, &path, || {
            let options = ReadOptions { drop_missing, parallel, ..ReadOptions::default() };
            let _ = read_csv(&path, &options);
        });
    }
    eprintln!("{CSV_CASES} CSV cases in {:.1} s", started.elapsed().as_secs_f64());
    failures.assert_none("mutated CSV files");
}

// ---------------------------------------------------------------------------------------------
// Model files

/// A good model file and a CSV file of rows it reads.
struct ModelSeed {
    name: &'static str,
    bytes: Vec<u8>,
    rows: PathBuf,
}

fn model_seeds(dir: &Path) -> Vec<ModelSeed> {
    let lbw = data("lbw.csv");
    let frame = read_csv(&lbw, &ReadOptions::default()).unwrap();
    let mut seeds = Vec::new();
    let mut linear = |name: &'static str, kind: LinearKind, spec: DesignSpec| {
        let design = Design::new(&frame, &spec).unwrap();
        let k = design.target.n_classes();
        let outputs = if kind == LinearKind::Softmax { k - 1 } else { 1 };
        let b = faer::Mat::from_fn(design.names.len(), outputs, |j, c| 0.01 * (j + c) as f64);
        let model = LinearModel::new(kind, design.encoder, b, json!({"run": name})).unwrap();
        let path = dir.join(name);
        model.save(&path).unwrap();
        seeds.push(ModelSeed {
            name,
            bytes: std::fs::read(&path).unwrap(),
            rows: lbw.clone().into(),
        });
    };
    linear(
        "logit.axon",
        LinearKind::Logit,
        DesignSpec { standardize: true, poly_degree: 2, ..DesignSpec::new("low") }
            .with_features(&["age", "lwt", "race", "smoke"]),
    );
    linear(
        "softmax.axon",
        LinearKind::Softmax,
        DesignSpec { interactions: true, ..DesignSpec::new("race") }
            .with_features(&["age", "lwt", "smoke"]),
    );

    let rows = dir.join("rows.csv");
    std::fs::write(&rows, "a,b,y\n0.5,-1,0\n3,-3,1\n1,1,0\n").unwrap();
    let pixels = dir.join("pixels.csv");
    let line: Vec<String> = (0..16).map(|i| (i * 7 % 5).to_string()).chain(["1".into()]).collect();
    std::fs::write(&pixels, format!("{}\n", line.join(","))).unwrap();
    let schema = |source, d: usize| Schema {
        source,
        features: (0..d)
            .map(|j| {
                Feature::numeric(if source == Source::Table {
                    ["a", "b"][j].to_string()
                } else {
                    format!("x{j}")
                })
            })
            .collect(),
        target: (source == Source::Table).then(|| "y".into()),
        classes: vec!["0".into(), "1".into()],
    };
    let networks = [
        (
            "mlp.axon",
            Architecture::mlp(2, vec![4, 3], Activation::Tanh, 2),
            Some(Scaling::Standardize { mean: vec![0.5, -1.0], std: vec![2.0, 0.5] }),
            schema(Source::Table, 2),
            rows.clone(),
        ),
        (
            "logreg.axon",
            Architecture::Logreg { inputs: 2, classes: 2, output: Output::Softmax },
            None,
            schema(Source::Table, 2),
            rows.clone(),
        ),
        (
            "cnn.axon",
            Architecture::Cnn { height: 4, width: 4, channels: [2, 3], dense: 4, classes: 2 },
            Some(Scaling::Divide { by: 4.0 }),
            schema(Source::CsvNoHeader, 16),
            pixels,
        ),
    ];
    for (name, architecture, scaling, schema, rows) in networks {
        let net = NetworkClassifier::new(architecture, scaling, schema, &mut Rng::seed(1)).unwrap();
        let path = dir.join(name);
        net.save(&path, &json!({"run": name})).unwrap();
        seeds.push(ModelSeed { name, bytes: std::fs::read(&path).unwrap(), rows });
    }
    seeds
}

/// A safetensors file taken apart: the JSON header and the data after it (`None` when an
/// earlier mutation broke it).
fn split(bytes: &[u8]) -> Option<(Value, Vec<u8>)> {
    let n = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
    let header = serde_json::from_slice(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
    Some((header, bytes[8 + n..].to_vec()))
}

/// A safetensors file put together (the header padded to 8 bytes, as writers do).
fn join(header: &Value, data: &[u8]) -> Vec<u8> {
    let mut text = serde_json::to_vec(header).unwrap();
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(data);
    out
}

/// Numbers a mutation puts in place of a value.
const NUMBERS: [f64; 14] = [
    0.0,
    -1.0,
    1.0,
    2.0,
    0.5,
    1e300,
    -1e300,
    2147483648.0,
    4294967296.0,
    9.3e18,
    1.8e19,
    1e-300,
    3.0,
    255.0,
];

/// A random value to put somewhere in the description.
fn value(g: &mut Gen, old: &Value) -> Value {
    match g.below(8) {
        0 => json!(*g.pick(&NUMBERS)),
        1 => json!(g.pick(&[0u64, 1, 2, 3, 7, 1 << 31, 1 << 32, u64::MAX / 2, u64::MAX])),
        2 => json!(g.pick(&["", "csv", "idx", "linear", "network", "relu", "mlp", "cnn", "x"])),
        3 => Value::Null,
        4 => json!([]),
        5 => match old {
            Value::Array(items) => {
                let mut items = items.clone();
                if let Some(first) = items.first().cloned() {
                    items.extend(std::iter::repeat_n(first, 1 + g.below(3)));
                }
                Value::Array(items)
            }
            _ => json!({}),
        },
        6 => json!(-(g.below(100) as i64) - 1),
        _ => json!(true),
    }
}

/// Replaces (or removes) one randomly chosen leaf or node of `v`; returns its path.
fn mutate_value(g: &mut Gen, v: &mut Value, path: String) -> String {
    let descend = g.below(4) != 0;
    match v {
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map.keys().nth(g.below(map.len())).unwrap().clone();
            if g.below(12) == 0 {
                map.remove(&key);
                return format!("{path}.{key} removed");
            }
            mutate_value(g, map.get_mut(&key).unwrap(), format!("{path}.{key}"))
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = g.below(items.len());
            mutate_value(g, &mut items[i], format!("{path}[{i}]"))
        }
        _ => {
            let new = value(g, v);
            let what = format!("{path} = {new}");
            *v = new;
            what
        }
    }
}

/// One random mutation of a model file; returns what it did.
fn mutate_model(g: &mut Gen, bytes: &mut Vec<u8>) -> String {
    match g.below(6) {
        // The description's values, as a well-formed file.
        0 | 1 if split(bytes).is_some() => {
            let (mut header, data) = split(bytes).unwrap();
            let text = header["__metadata__"]["axon"].as_str().unwrap_or("{}").to_owned();
            let mut description: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let what = mutate_value(g, &mut description, "axon".into());
            header["__metadata__"]["axon"] = Value::String(description.to_string());
            *bytes = join(&header, &data);
            what
        }
        // A tensor's shape, dtype or offsets, as a well-formed header.
        2 if split(bytes).is_some() => {
            let (mut header, data) = split(bytes).unwrap();
            let names: Vec<String> = header
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "__metadata__")
                .cloned()
                .collect();
            let name = g.pick(&names).clone();
            let what = mutate_value(g, &mut header[&name], name.clone());
            *bytes = join(&header, &data);
            what
        }
        // The header length or the header's bytes.
        3 if !bytes.is_empty() => {
            let i = if g.below(3) == 0 { g.below(8) } else { g.below(bytes.len().min(2048)) };
            let i = i.min(bytes.len() - 1);
            bytes[i] ^= 1 << g.below(8);
            format!("flip a bit of header byte {i}")
        }
        // The tensor bytes.
        4 if !bytes.is_empty() => {
            let i = g.below(bytes.len());
            bytes[i] = g.next() as u8;
            format!("set byte {i}")
        }
        _ => {
            let at = g.below(bytes.len());
            bytes.truncate(at);
            format!("cut at {at}")
        }
    }
}

#[test]
fn mutated_model_files_are_errors_not_panics() {
    let dir = scratch("models");
    let seeds = model_seeds(&dir);
    // Every seed loads and scores its rows before it is mutated.
    for seed in &seeds {
        let model = SavedModel::load(dir.join(seed.name)).unwrap();
        let examples = model.read(&seed.rows, Labels::Optional, &ReadOptions::default()).unwrap();
        model.scores(&examples, model.classes().len() == 2).unwrap();
    }
    let path = dir.join("case.axon");
    let mut g = Gen(SEED ^ 1);
    let mut failures = Failures::default();
    let mut loaded = 0;
    let started = std::time::Instant::now();
    for case in 0..MODEL_CASES {
        let seed = g.pick(&seeds);
        let mut bytes = seed.bytes.clone();
        let n = if g.below(4) == 0 { 2 } else { 1 };
        let steps: Vec<String> = (0..n).map(|_| mutate_model(&mut g, &mut bytes)).collect();
        std::fs::write(&path, &bytes).unwrap();
        let what = format!("model {}, {}", seed.name, steps.join("; "));
        failures.run(MODEL_BASE + case, &what, &path, || {
            let _ = load_model(&path);
            if let Ok(model) = SavedModel::load(&path) {
                loaded += 1;
                let _ = (model.schema(), model.classes(), model.kind());
                if let Ok(examples) =
                    model.read(&seed.rows, Labels::Optional, &ReadOptions::default())
                {
                    let _ = model.scores(&examples, model.classes().len() == 2);
                }
            }
        });
    }
    eprintln!("{MODEL_CASES} model cases in {:.1} s", started.elapsed().as_secs_f64());
    failures.assert_none("mutated model files");
    // The campaign reaches the loaders: some mutations (a tensor byte, a setting) still load.
    assert!(loaded > MODEL_CASES / 20, "only {loaded} of {MODEL_CASES} mutated files loaded");
}

/// The description of a 792-byte network file that says `hidden: [2147483648]` would have
/// allocated a 16 GiB weight (and aborted under this binary's cap) before it was compared with
/// the stored tensors.
#[test]
fn a_huge_architecture_over_small_tensors_is_refused_before_allocating() {
    let dir = scratch("huge");
    let seeds = model_seeds(&dir);
    let mlp = seeds.iter().find(|s| s.name == "mlp.axon").unwrap();
    let (mut header, data) = split(&mlp.bytes).unwrap();
    let mut description: Value =
        serde_json::from_str(header["__metadata__"]["axon"].as_str().unwrap()).unwrap();
    description["model"]["architecture"]["hidden"] = json!([2147483648u64, 3]);
    header["__metadata__"]["axon"] = Value::String(description.to_string());
    let path = dir.join("huge.axon");
    std::fs::write(&path, join(&header, &data)).unwrap();
    let err = SavedModel::load(&path).err().expect("refused").to_string();
    assert!(
        err.contains("huge.axon") && err.contains("does not match the stored tensors"),
        "{err}"
    );
}
