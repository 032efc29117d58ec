//! Every model × penalty × solver × class-weight combination goes through `axon fit` and `axon
//! cv` alike: both take it, or both refuse it with the same message (cv naming the grid setting it is about; one table of what a model
//! takes, in the library). Solvers that iterate many steps get few, so a combination that is
//! taken may end with a convergence warning; what matters here is that the two commands agree.

mod common;

use common::{axon, data};

const MODELS: [&str; 4] = ["logit", "probit", "softmax", "ovr"];
const PENALTIES: [&str; 4] = ["none", "l2", "l1", "elasticnet"];
const SOLVERS: [&str; 7] = ["auto", "newton", "lbfgs", "cd", "gd", "sgd", "adam"];
const CLASS_WEIGHTS: [&str; 2] = ["none", "balanced"];

/// Whether the run succeeded, and its stderr without warnings (which the two commands word for
/// their own fits).
fn outcome(args: &[&str]) -> (bool, String) {
    let out = axon(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| !l.contains("warning")).collect();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.success(), errors.join("\n"))
}

#[test]
fn fit_and_cv_take_or_refuse_every_combination_alike() {
    let lbw = data("lbw.csv");
    let (mut taken, mut refused) = (0, 0);
    for model in MODELS {
        let (target, features) = match model {
            "softmax" | "ovr" => ("race", "age,lwt,smoke"),
            _ => ("low", "age,lwt,smoke,race"),
        };
        for penalty in PENALTIES {
            let alpha = if penalty == "none" { "0" } else { "1" };
            for solver in SOLVERS {
                for class_weight in CLASS_WEIGHTS {
                    let common = [
                        "--data",
                        &lbw,
                        "--target",
                        target,
                        "--features",
                        features,
                        "--standardize",
                        "--model",
                        model,
                        "--penalty",
                        penalty,
                        "--solver",
                        solver,
                        "--class-weight",
                        class_weight,
                        "--steps",
                        "20",
                        "--lr",
                        "0.05",
                        "--max-iter",
                        "50",
                    ];
                    let mut fit = vec!["fit", "--alpha", alpha, "--json"];
                    fit.extend_from_slice(&common);
                    let grid = format!("alpha={alpha}");
                    let mut cv = vec!["cv", "--grid", &grid, "--folds", "3", "--json"];
                    cv.extend_from_slice(&common);
                    let (fit_ok, fit_err) = outcome(&fit);
                    let (cv_ok, cv_err) = outcome(&cv);
                    let which = format!("{model} {penalty} {solver} {class_weight}");
                    assert_eq!(fit_ok, cv_ok, "{which}: fit {fit_err:?}, cv {cv_err:?}");
                    if fit_ok {
                        taken += 1;
                    } else {
                        // cv names the grid setting the message is about.
                        let setting = format!("axon: --grid setting `alpha={alpha}`: ");
                        let want = fit_err.replacen("axon: ", &setting, 1);
                        assert_eq!(want, cv_err, "{which}: the same message");
                        assert!(fit_err.starts_with("axon: "), "{which}: {fit_err}");
                        refused += 1;
                    }
                }
            }
        }
    }
    // Softmax takes only none/l2 with auto/newton and no class weights; L1 needs coordinate
    // descent; probit is not fitted by sgd/adam.
    assert!(taken > 60 && refused > 100, "taken {taken}, refused {refused}");
}
