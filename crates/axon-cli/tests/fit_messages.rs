//! What `axon fit` says when a fit goes wrong, on `data/lbw.csv` and small files made here: a
//! diverged gradient ascent is called diverged (with `--lr` and `--standardize` to try), not a
//! penalised fit; a fit that did not converge is headed NOT CONVERGED and shows its estimates
//! only unless `--force-inference`; iterations are counted in the unit of the solver's own limit
//! (epochs for `--steps` of SGD); a column holding 1e300 is ill-scaled, not collinear; and a
//! separation message describes ten columns and counts the rest.

mod common;

use common::{axon, data, error, ok_json, ok_stdout, temp_dir};

const FEATURES: [&str; 2] = ["--features", "age,lwt,race,smoke,ptl,ht,ui,ftv"];

/// `axon fit` on lbw.csv (target `low`) with `extra`: the exit code, stdout and stderr.
fn fit(extra: &[&str]) -> (Option<i32>, String, String) {
    let lbw = data("lbw.csv");
    let args = [&["fit", "--data", &lbw, "--target", "low"][..], &FEATURES, extra].concat();
    let out = axon(&args);
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code(), text(out.stdout), text(out.stderr))
}

#[test]
fn a_diverged_gradient_ascent_is_called_diverged() {
    for extra in [&[][..], &["--force-inference"]] {
        let (code, stdout, stderr) =
            fit(&[&["--solver", "gd", "--lr", "1e10"][..], extra].concat());
        assert_eq!(code, Some(0), "{stderr}");
        assert!(!stderr.contains("penalised"), "{stderr}");
        assert!(
            stderr
                .contains("axon: warning: gradient_ascent diverged: the log-likelihood went from"),
            "{stderr}"
        );
        assert!(
            stderr.contains("try a smaller --lr than 10000000000, or --standardize"),
            "{stderr}"
        );
        let second = stdout.lines().nth(1).unwrap();
        assert!(second.starts_with("DIVERGED: gradient_ascent diverged"), "{stdout}");
        assert!(!stdout.contains("P>|z|"), "no inference for a diverged fit, even forced");
    }
    let v = ok_json(
        &[
            &["fit", "--data", &data("lbw.csv"), "--target", "low"][..],
            &FEATURES,
            &["--solver", "gd", "--lr", "1e10", "--json"],
        ]
        .concat(),
    );
    assert_eq!((v["converged"].as_bool(), v["inference"].as_bool()), (Some(false), Some(false)));
    assert!(v["warning"].as_str().unwrap().contains("diverged"), "{v}");
}

#[test]
fn an_unconverged_fit_is_not_headed_maximum_likelihood() {
    let (code, stdout, stderr) = fit(&["--max-iter", "3"]);
    assert_eq!(code, Some(0), "{stderr}");
    let second = stdout.lines().nth(1).unwrap();
    assert!(
        second.starts_with(
            "NOT CONVERGED after 3 iterations (at most 3): these are not the \
                            maximum-likelihood estimates"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Try --standardize, or more iterations (--max-iter)."), "{stdout}");
    assert!(!stdout.contains("maximum likelihood"), "{stdout}");
    assert!(!stdout.contains("P>|z|"), "inference withheld: {stdout}");
    assert!(stdout.contains("Solver newton did NOT converge in 3 iterations (at most 3;"));

    let (code, stdout, _) = fit(&["--max-iter", "3", "--force-inference"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("do not hold (shown by --force-inference)"), "{stdout}");
    assert!(stdout.contains("logit regression, NOT CONVERGED (NonRobust covariance)"), "{stdout}");
    assert!(stdout.contains("P>|z|"), "{stdout}");

    let lbw = data("lbw.csv");
    let base = [&["fit", "--data", &lbw, "--target", "low", "--json"][..], &FEATURES].concat();
    let v = ok_json(&[&base[..], &["--max-iter", "3"]].concat());
    assert_eq!(v["inference"], false);
    assert!(v["coefficients"][1]["p_value"].is_null());
    let v = ok_json(&[&base[..], &["--max-iter", "3", "--force-inference"]].concat());
    assert_eq!(v["inference"], true);
    // A converged fit keeps its title and table.
    let (_, stdout, _) = fit(&[]);
    assert!(stdout.contains("logit regression, maximum likelihood"), "{stdout}");
    assert!(!stdout.contains("NOT CONVERGED"), "{stdout}");
}

#[test]
fn iterations_are_counted_in_the_unit_of_the_limit() {
    let (code, stdout, stderr) = fit(&["--solver", "sgd", "--steps", "200", "--standardize"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("NOT CONVERGED after 200 epochs (at most 200)"), "{stdout}");
    assert!(stdout.contains("did NOT converge in 200 epochs (at most 200;"), "{stdout}");
    assert!(!stdout.contains("1200"), "{stdout}");
    let lbw = data("lbw.csv");
    let base = [&["fit", "--data", &lbw, "--target", "low", "--json"][..], &FEATURES].concat();
    let v = ok_json(&[&base[..], &["--solver", "sgd", "--steps", "200", "--standardize"]].concat());
    assert_eq!(v["iterations"], 200, "epochs, as --steps counts them");
    // Solvers with limits of their own: L-BFGS (1000) and gradient ascent (--steps).
    let args = ["fit", "--data", &lbw, "--target", "low", "--features", "age,lwt"];
    let out = ok_stdout(&[&args[..], &["--solver", "lbfgs"]].concat());
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("Solver lbfgs converged in ") && last.contains("(at most 1000;"));
    assert!(!out.contains("max_iter 100"), "{out}");
    let gd = ["--solver", "gd", "--standardize", "--lr", "0.001", "--steps", "5000"];
    let out = ok_stdout(&[&args[..], &gd].concat());
    let last = out.lines().last().unwrap();
    assert!(last.contains(" steps (at most 5000;"), "{last}");
}

#[test]
fn a_huge_value_is_ill_scaling_not_collinearity() {
    let dir = temp_dir("huge-value");
    let csv = std::fs::read_to_string(data("lbw.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    // lwt of the first row: 182 becomes 1e300.
    lines[1] = lines[1].replacen(",182,", ",1e300,", 1);
    let path = dir.join("lbw.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let args =
        ["fit", "--data", path.to_str().unwrap(), "--target", "low", FEATURES[0], FEATURES[1]];
    let err = error(&args);
    assert!(
        err.contains("column `lwt`: is ill-scaled: it holds values as large as 1e300 (row 1 of"),
        "{err}"
    );
    assert!(!err.contains("linear combination"), "{err}");
}

#[test]
fn a_separation_message_lists_ten_columns_and_counts_the_rest() {
    // 30 levels of `code`, each with two rows of the same outcome: every one of the 29 dummies
    // splits the outcomes up to ties.
    let dir = temp_dir("separation-cap");
    let mut csv = String::from("code,x,y\n");
    for i in 0..60 {
        let level = i / 2;
        csv.push_str(&format!("L{level:02},{},{}\n", (i * 7) % 11, level % 2));
    }
    let path = dir.join("codes.csv");
    std::fs::write(&path, csv).unwrap();
    let err = error(&["fit", "--data", path.to_str().unwrap(), "--target", "y"]);
    assert!(err.starts_with("axon: quasi-complete separation by code[T.L01], "), "{err}");
    assert!(err.contains("code[T.L10], and 19 more: observations:"), "{err}");
    assert_eq!(err.matches("observations:").count(), 10, "{err}");
    assert!(err.contains("; and 19 more; the maximum-likelihood estimate does not exist"), "{err}");
    assert!(err.len() < 2000, "{} bytes", err.len());
}
