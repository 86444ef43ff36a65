//! Decoding stage: raw bytes of a file or a record -> text. UTF-8 is taken as is; bytes that are
//! clearly Latin-1 (not UTF-8, and without a single UTF-8 multi-byte sequence) are decoded as
//! Windows-1252 with a warning; anything else is an error that says where the bad byte is.
//! It never guesses other encodings.

use std::borrow::Cow;
use std::path::Path;

use crate::error::IngestError;

/// Text decoded from bytes, and whether it had to be read as Latin-1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub latin1: bool,
}

/// The warning attached to an article read as Latin-1.
pub const LATIN1_WARNING: &str = "not UTF-8: decoded as Latin-1 (Windows-1252)";

/// Where decoding failed: byte offset, 1-based line and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub line: usize,
    pub reason: String,
}

/// True when the bytes hold at least one well-formed UTF-8 multi-byte sequence, which means
/// the file is UTF-8 with some damage rather than Latin-1.
fn has_utf8_multibyte(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

/// Decodes bytes as UTF-8, or as Latin-1 when that is clearly what they are.
pub fn decode_bytes(bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Decoded {
            text: Cow::Borrowed(text),
            latin1: false,
        }),
        Err(error) => {
            let offset = error.valid_up_to();
            if !has_utf8_multibyte(bytes) {
                let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
                return Ok(Decoded {
                    text: Cow::Owned(text.into_owned()),
                    latin1: true,
                });
            }
            let line = bytes[..offset]
                .iter()
                .filter(|&&byte| byte == b'\n')
                .count()
                + 1;
            Err(DecodeError {
                offset,
                line,
                reason: format!(
                    "not valid UTF-8 (invalid byte 0x{:02x} at offset {offset}), and not Latin-1 either (it holds UTF-8 sequences elsewhere)",
                    bytes[offset]
                ),
            })
        }
    }
}

/// Turns raw bytes into text, rejecting empty, binary and undecodable files with a reason.
/// Returns whether the text had to be read as Latin-1.
pub fn decode_text(path: &Path, bytes: Vec<u8>) -> Result<(String, bool), IngestError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IngestError::new(path, "empty file"));
    }
    let probe = &bytes[..bytes.len().min(8192)];
    if probe.contains(&0) {
        return Err(IngestError::new(path, "binary file (contains NUL bytes)"));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((text, false)),
        Err(error) => match decode_bytes(error.as_bytes()) {
            Ok(decoded) => Ok((decoded.text.into_owned(), decoded.latin1)),
            Err(error) => Err(IngestError::at_line(path, error.line, error.reason)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_borrowed() {
        let decoded = decode_bytes("Vučić".as_bytes()).unwrap();
        assert_eq!(decoded.text, "Vučić");
        assert!(!decoded.latin1);
        assert!(matches!(decoded.text, Cow::Borrowed(_)));
    }

    #[test]
    fn latin1_is_decoded_with_a_flag() {
        let decoded = decode_bytes(b"Caf\xe9 in Z\xfcrich \x93quoted\x94").unwrap();
        assert_eq!(decoded.text, "Café in Zürich \u{201c}quoted\u{201d}");
        assert!(decoded.latin1);
    }

    #[test]
    fn damaged_utf8_is_an_error_with_its_line() {
        let error = decode_bytes(b"Vu\xc4\x8di\xc4\x87\nline \xff").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.reason.contains("0xff"), "{}", error.reason);
    }
}
