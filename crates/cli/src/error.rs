//! The CLI's error: what failed, on one line, and the exit code it stands for.

use std::fmt;

/// Everything that ends a command early. Its `Display` is one line and never holds a secret value.
#[derive(Debug)]
pub(crate) enum CliError {
    /// A bad argument, found before anything was sent: names the argument.
    Arg {
        /// The argument, as the user wrote it (`--expires`, `--env DB=...`).
        arg: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A vault operation failed (the service's code, message and hint are in the error).
    Secrets {
        /// What was being done: `show db-password`.
        what: String,
        /// The client's error (boxed: it is large).
        error: Box<azkv_secrets::Error>,
    },
    /// The credential or transport could not be set up.
    Setup {
        /// What was being set up.
        what: String,
        /// The pipeline's error (boxed: it is large).
        error: Box<azkv_pipeline::Error>,
    },
    /// A local file or stream could not be read or written.
    Io {
        /// The file and the action: `--file out.txt: cannot write`.
        what: String,
        /// The cause.
        error: std::io::Error,
    },
    /// `azkv run` could not start its command; exits 127 (not found) or 126 (not runnable).
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        error: std::io::Error,
    },
}

/// The result type of every command.
pub(crate) type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    /// A bad argument.
    pub(crate) fn arg(arg: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Arg { arg: arg.into(), message: message.into() }
    }

    /// A failed vault operation.
    pub(crate) fn secrets(what: impl Into<String>, error: azkv_secrets::Error) -> Self {
        Self::Secrets { what: what.into(), error: Box::new(error) }
    }

    /// A credential or transport that could not be set up.
    pub(crate) fn setup(what: impl Into<String>, error: azkv_pipeline::Error) -> Self {
        Self::Setup { what: what.into(), error: Box::new(error) }
    }

    /// A failed local read or write.
    pub(crate) fn io(what: impl Into<String>, error: std::io::Error) -> Self {
        Self::Io { what: what.into(), error }
    }

    /// The process exit code: 1, or 126/127 when `run` could not start its command (as shells do).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Spawn { error, .. } if error.kind() == std::io::ErrorKind::NotFound => 127,
            Self::Spawn { .. } => 126,
            _ => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Self::Arg { arg, message } => format!("{arg}: {message}"),
            Self::Secrets { what, error } => format!("{what}: {error}"),
            Self::Setup { what, error } => format!("{what}: {error}"),
            Self::Io { what, error } => format!("{what}: {error}"),
            Self::Spawn { program, error } => format!("run: cannot start `{program}`: {error}"),
        };
        f.write_str(&one_line(&text))
    }
}

impl std::error::Error for CliError {}

/// `text` on one line: each line break and the indentation after it become `; `.
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_the_argument() {
        let e = CliError::arg("--expires", "`soon` is not a date");
        assert_eq!(e.to_string(), "--expires: `soon` is not a date");
        assert_eq!(e.exit_code(), 1);
        let e = CliError::setup("credential", azkv_pipeline::Error::credential("first line\n  second line\n"));
        assert!(!e.to_string().contains('\n'), "{e}");
        assert!(e.to_string().ends_with("first line; second line"), "{e}");
    }

    #[test]
    fn spawn_failures_exit_as_shells_do() {
        let missing = CliError::Spawn { program: "nope".into(), error: std::io::ErrorKind::NotFound.into() };
        assert_eq!(missing.exit_code(), 127);
        let denied = CliError::Spawn { program: "x".into(), error: std::io::ErrorKind::PermissionDenied.into() };
        assert_eq!(denied.exit_code(), 126);
    }
}
