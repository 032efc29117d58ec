//! What every command shares: reading a CSV file into a frame (with the flag, not the library
//! option, named in the hint for missing values), loading and saving models, and the record of
//! the command line and settings that is stored inside every saved model.

use std::path::Path;

use axon::data::{read_csv, CsvOptions, Frame};
use axon::linear::LinearModel;
use serde::Serialize;

/// Reads `path` as CSV with a header row; missing values are an error naming the row and column
/// unless `drop_missing`.
pub fn read_frame(path: &Path, drop_missing: bool) -> anyhow::Result<Frame> {
    let options = CsvOptions { drop_missing, ..CsvOptions::default() };
    // The library's hint names its option; say the flag instead.
    let frame = read_csv(path, &options).map_err(|e| match e {
        axon::Error::Parse { path, line, column, msg } => axon::Error::Parse {
            msg: msg.replace("set drop_missing", "use --drop-missing"),
            path,
            line,
            column,
        },
        e => e,
    })?;
    Ok(frame)
}

/// The record kept with a model: the command line as typed, the parsed settings, the version.
pub fn settings_record(command: &str, args: &impl Serialize) -> serde_json::Value {
    serde_json::json!({
        "command": command,
        "argv": std::env::args().collect::<Vec<_>>(),
        "settings": args,
        "axon_version": env!("CARGO_PKG_VERSION"),
    })
}

/// Saves `model` to `path` and says so on stderr (stdout stays the report).
pub fn save_model(model: &LinearModel, path: &Path) -> anyhow::Result<()> {
    model.save(path)?;
    eprintln!("axon: model written to {}", path.display());
    Ok(())
}
