//! Where the lecture examples write the computational graphs they draw: the file given by
//! `--out FILE`, else `<name>.dot` in the system's temporary folder, never the build folder or the
//! current directory (an example run from a checkout must not leave files in it).

use std::path::PathBuf;

/// The path of the `.dot` file of the example `name`: `--out FILE` from the command line, else
/// `std::env::temp_dir()/<name>.dot`. Any other argument is an error.
pub fn dot_path(name: &str) -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (None, ..) => Ok(std::env::temp_dir().join(format!("{name}.dot"))),
        (Some("--out"), Some(file), None) => Ok(PathBuf::from(file)),
        _ => Err(format!("usage: {name} [--out FILE.dot]")),
    }
}
