//! Running the built `axon` under `mpirun --oversubscribe -n K` (one rayon thread per rank,
//! killed as hung after two minutes) and as one plain process, for the MPI tests.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The longest a job may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(120);

/// `mpirun -n k axon ARGS` (one rayon thread per rank), killed after [`HANG`].
pub fn mpirun(k: usize, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_axon");
    let n = k.to_string();
    let mut child = Command::new("mpirun")
        .args(["--oversubscribe", "--allow-run-as-root", "-n", &n, "-x", "RAYON_NUM_THREADS"])
        .arg(bin)
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun (Open MPI) must be installed to run the MPI tests");
    let started = Instant::now();
    while child.try_wait().expect("wait for mpirun").is_none() {
        if started.elapsed() > HANG {
            let _ = child.kill();
            let out = child.wait_with_output().expect("mpirun output");
            let err = String::from_utf8_lossy(&out.stderr);
            panic!("mpirun -n {k} axon {args:?} hung for {HANG:?}; stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("mpirun output")
}

/// The stdout of one plain process (no MPI), one rayon thread.
pub fn single(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_axon"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("run axon")
}
