//! Every `--flag` README.md tells a reader to type exists: in a command (`axon VERB ...` or
//! `cargo run -p axon-cli -- VERB ...`, in a code block or in backticks) the flag must be in
//! `axon VERB --help`; a flag named in prose must be in the help of some command. Flags of other
//! tools (`cargo ... --release`, `python3 ... --torch-python`) are not axon's and are skipped.

mod common;

use common::ok_stdout;

const README: &str = include_str!("../../../README.md");
const VERBS: [&str; 7] = ["fit", "predict", "eval", "cv", "summary", "train", "embed"];

/// Who must know a flag: one command, any command, or another tool.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Owner<'a> {
    Verb(&'a str),
    AnyVerb,
    OtherTool,
}

/// The `--flags` in `text`, in order.
fn flags(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, _) in text.match_indices("--") {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b == b'-' || b.is_ascii_alphanumeric()) {
            continue;
        }
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            found.push(format!("--{}", name.trim_end_matches('-')));
        }
    }
    found
}

/// Each flag of one command line or backticked snippet with its owner.
fn owned_flags(snippet: &str) -> Vec<(Owner<'static>, String)> {
    let snippet = snippet.trim();
    let verb_of =
        |rest: &str| VERBS.iter().copied().find(|v| rest.split_whitespace().next() == Some(v));
    if let Some(rest) = snippet.strip_prefix("axon ") {
        let owner = verb_of(rest).map_or(Owner::AnyVerb, Owner::Verb);
        return flags(rest).into_iter().map(|f| (owner, f)).collect();
    }
    if let Some((_, rest)) = snippet.split_once("-p axon-cli -- ") {
        let owner = verb_of(rest).map_or(Owner::AnyVerb, Owner::Verb);
        return flags(rest).into_iter().map(|f| (owner, f)).collect();
    }
    let tool = ["cargo ", "python3 ", "python ", "pip ", "scripts/"]
        .iter()
        .any(|t| snippet.starts_with(t));
    let owner = if tool { Owner::OtherTool } else { Owner::AnyVerb };
    flags(snippet).into_iter().map(|f| (owner, f)).collect()
}

/// Every flag of the README with its owner and line number.
fn readme_flags() -> Vec<(usize, Owner<'static>, String)> {
    let mut all = Vec::new();
    let mut in_code = false;
    for (i, line) in README.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let snippets: Vec<&str> = if in_code {
            // A shell comment after the command describes it; it is not typed.
            vec![line.split("  #").next().unwrap_or(line)]
        } else {
            line.split('`').skip(1).step_by(2).collect()
        };
        for snippet in snippets {
            all.extend(owned_flags(snippet).into_iter().map(|(o, f)| (i + 1, o, f)));
        }
    }
    all
}

/// Whether `help` lists `flag` (not only a longer flag that starts with it).
fn lists(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(i, _)| {
        let next = help[i + flag.len()..].chars().next();
        !next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

#[test]
fn every_flag_in_the_readme_is_in_its_commands_help() {
    let helps: Vec<(&str, String)> =
        VERBS.iter().map(|v| (*v, ok_stdout(&[v, "--help"]))).collect();
    let help = |verb: &str| &helps.iter().find(|(v, _)| *v == verb).unwrap().1;
    let found = readme_flags();
    assert!(found.len() > 40, "the README's flags were not found: {found:?}");
    assert!(found.iter().any(|(_, o, f)| *o == Owner::Verb("train") && f == "--epochs"));
    assert!(found.iter().any(|(_, o, f)| *o == Owner::OtherTool && f == "--release"));
    let mut missing = Vec::new();
    for (line, owner, flag) in &found {
        let known = match owner {
            Owner::Verb(verb) => lists(help(verb), flag),
            Owner::AnyVerb => helps.iter().any(|(_, h)| lists(h, flag)),
            Owner::OtherTool => true,
        };
        if !known {
            missing.push(format!("README.md:{line}: {flag} ({owner:?})"));
        }
    }
    assert!(missing.is_empty(), "flags the help does not list:\n{}", missing.join("\n"));
}

#[test]
fn the_check_catches_a_flag_that_does_not_exist() {
    let fit = ok_stdout(&["fit", "--help"]);
    let found = owned_flags("axon fit --data x.csv --no-such-flag --alpha 1");
    assert_eq!(found.len(), 3);
    assert!(found.iter().all(|(o, _)| *o == Owner::Verb("fit")));
    assert!(lists(&fit, "--alpha") && lists(&fit, "--data"));
    assert!(!lists(&fit, "--no-such-flag"));
    // `--max` is not listed because `--max-iter` is.
    assert!(lists(&fit, "--max-iter") && !lists(&fit, "--max"));
    // A train-only flag is not fit's.
    assert!(!lists(&fit, "--epochs"));
}
