//! [`read_json_body`]: a request body as JSON, from a file or stdin, read up to a cap.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::arg::{STDIN_ARG, STDIN_NAME, check_regular_file};

/// The most bytes a JSON body file may hold: far more than any single-entity body Okta's
/// limits allow, and little enough that no file, whatever its size, is held whole.
const MAX_BODY_BYTES: u64 = 1 << 20;

/// The JSON request body in the file at `path`, or on stdin for `-`, as a `T`: a regular
/// file (or stdin) of at most [`MAX_BODY_BYTES`]. Else a one-line reason naming the file.
pub(crate) fn read_json_body<T: DeserializeOwned>(path: &Path) -> Result<T, String> {
    let (name, reader): (String, Box<dyn Read>) = if path.as_os_str() == STDIN_ARG {
        (STDIN_NAME.to_owned(), Box::new(std::io::stdin().lock()))
    } else {
        let name = path.display().to_string();
        check_regular_file(path).map_err(|m| format!("{name}: {m}"))?;
        let file = std::fs::File::open(path).map_err(|e| format!("{name}: cannot open it: {e}"))?;
        (name, Box::new(file))
    };
    parse_body(&name, reader)
}

/// [`read_json_body`] of `reader`, named `name`.
fn parse_body<T: DeserializeOwned>(name: &str, reader: impl Read) -> Result<T, String> {
    let mut text = Vec::new();
    reader
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("{name}: cannot read it: {e}"))?;
    if text.len() as u64 > MAX_BODY_BYTES {
        return Err(format!(
            "{name}: holds more than {MAX_BODY_BYTES} bytes; a request body is far smaller"
        ));
    }
    serde_json::from_slice(&text).map_err(|e| {
        let message = super::InputProblem::file(e.to_string()).message;
        format!("{name}: invalid JSON: {message}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_read_up_to_a_cap() {
        let v: serde_json::Value =
            parse_body("b.json", &br#"{"profile":{"email":"a@b.c"}}"#[..]).expect("parses");
        assert_eq!(v["profile"]["email"], "a@b.c");
        let zeros = std::io::repeat(0).take(10 * MAX_BODY_BYTES);
        let e = parse_body::<serde_json::Value>("z.json", zeros).unwrap_err();
        assert_eq!(
            e,
            "z.json: holds more than 1048576 bytes; a request body is far smaller"
        );
        let long_key = format!("{{\"{}\":1", "k".repeat(500_000));
        let e = parse_body::<serde_json::Value>("k.json", long_key.as_bytes()).unwrap_err();
        assert!(e.starts_with("k.json: invalid JSON: "), "{e}");
        assert!(e.len() < 400, "{e}");
        let dir = tempfile::tempdir().expect("temp dir");
        let e = read_json_body::<serde_json::Value>(dir.path()).unwrap_err();
        assert!(
            e.ends_with(": is a directory; give the path of a file"),
            "{e}"
        );
    }
}
