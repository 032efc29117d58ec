//! Running the built `axon` under `mpirun --oversubscribe -n K` (one rayon thread per rank,
//! killed as hung after two minutes) and as one plain process, for the MPI tests.

use std::io::Read;
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
    // The pipes are drained while the job runs: a report larger than a pipe's buffer would
    // otherwise block the job and read as a hang.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).expect("read mpirun output");
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for mpirun") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            panic!("mpirun -n {k} axon {args:?} hung for {HANG:?}; stderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// The stdout of one plain process (no MPI), one rayon thread.
pub fn single(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_axon"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("run axon")
}
