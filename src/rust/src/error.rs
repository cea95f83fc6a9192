//! The crate's error type: a message that the R bridge turns into an R error.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct SlamError {
    pub message: String,
}

impl SlamError {
    pub fn new(message: impl Into<String>) -> Self {
        SlamError { message: message.into() }
    }
}

impl fmt::Display for SlamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SlamError {}

pub type Result<T> = std::result::Result<T, SlamError>;
