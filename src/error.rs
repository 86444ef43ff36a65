//! Typed errors of the library. Every error that comes from a file names the file, and the line
//! where there is one, so that a user can go straight to the problem.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::model::EntityCandidate;

/// Why one input file (or one record in it) could not be read as an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    pub path: PathBuf,
    /// 1-based line (and column) of the problem, when it has one.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub reason: String,
}

impl IngestError {
    pub fn new(path: &Path, reason: impl Into<String>) -> IngestError {
        IngestError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            reason: reason.into(),
        }
    }

    pub fn at_line(path: &Path, line: usize, reason: impl Into<String>) -> IngestError {
        IngestError {
            line: Some(line),
            ..IngestError::new(path, reason)
        }
    }
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for IngestError {}

/// Errors of opening, writing and querying the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(
        "no index at `{path}`: build one with `newsdex index build CORPUS --index {path}`",
        path = .0.display()
    )]
    Missing(PathBuf),
    #[error(
        "`{path}` is not a newsdex index (it holds other files); choose an empty or new directory with --index",
        path = .0.display()
    )]
    NotAnIndex(PathBuf),
    #[error(
        "the index at `{path}` was written by schema version {found}, this newsdex reads version {expected}: rebuild it with `newsdex index build CORPUS --index {path} --rebuild`",
        path = .path.display()
    )]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error(
        "another `newsdex index build` is writing the index at `{path}`; wait for it to finish",
        path = .0.display()
    )]
    Locked(PathBuf),
    #[error(
        "cannot write to the index directory `{path}`: {error}; the previous index is unchanged",
        path = .path.display()
    )]
    NotWritable {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(
        "writing the index at `{path}` failed: {message}; the previous index is unchanged (a full disk or a directory that cannot be written are the usual causes)",
        path = .path.display()
    )]
    WriteFailed { path: PathBuf, message: String },
    /// A query that does not parse: the parser's message and column.
    #[error("invalid query: {0}")]
    Parse(crate::query::ParseError),
    #[error("invalid query: {0}")]
    Query(String),
    #[error("invalid filter: {0}")]
    Filter(String),
    /// A name given as an entity filter names several entities of the index, or none.
    #[error("{}", describe_entity_problem(.name, .problem))]
    EntityName {
        name: String,
        problem: EntityNameProblem,
    },
    /// The search was stopped before it finished: its deadline passed or its request was
    /// dropped (a server's request timeout, a client gone).
    #[error("the search was stopped: it took longer than the time a request is given")]
    Cancelled,
    #[error("{}", tantivy_message(.path, .source))]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error("index at `{path}`: {source}", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why an entity name a user typed selects no entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityNameProblem {
    /// The name is part of several names of the index: these (most mentioned first).
    Ambiguous(Vec<EntityCandidate>),
    /// No name of the index holds it: the closest names (perhaps none).
    Unknown(Vec<EntityCandidate>),
}

impl EntityNameProblem {
    /// The entities the message lists.
    pub fn candidates(&self) -> &[EntityCandidate] {
        match self {
            EntityNameProblem::Ambiguous(candidates) | EntityNameProblem::Unknown(candidates) => {
                candidates
            }
        }
    }
}

fn describe_entity_problem(name: &str, problem: &EntityNameProblem) -> String {
    let list = problem
        .candidates()
        .iter()
        .map(|candidate| {
            format!(
                "{} ({}, {} passage{})",
                candidate.name,
                candidate.kind.as_str(),
                candidate.passages,
                if candidate.passages == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    match problem {
        EntityNameProblem::Ambiguous(_) => format!(
            "entity `{name}` is part of several names in the index: {list}; give the one you mean in full (`={name}` is that name alone)"
        ),
        EntityNameProblem::Unknown(suggestions) if suggestions.is_empty() => {
            format!("no entity in the index is named `{name}` or has it as part of its name")
        }
        EntityNameProblem::Unknown(_) => {
            format!("no entity in the index is named `{name}`; the closest names are: {list}")
        }
    }
}

/// Names the damaged file when tantivy says which one it could not read, and says
/// how to get a working index back.
fn tantivy_message(index: &Path, source: &tantivy::TantivyError) -> String {
    use tantivy::TantivyError;
    use tantivy::directory::error::OpenReadError;
    let rebuild = format!(
        "the index is damaged; rebuild it with `newsdex index build CORPUS --index {} --rebuild`",
        index.display()
    );
    match source {
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath })
            if io_error.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            format!(
                "cannot read index file `{}`: {io_error}; check the permissions of `{}`",
                index.join(filepath).display(),
                index.display()
            )
        }
        TantivyError::OpenReadError(OpenReadError::IoError { io_error, filepath }) => format!(
            "cannot read index file `{}`: {io_error}; {rebuild}",
            index.join(filepath).display()
        ),
        TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(filepath)) => format!(
            "index file `{}` is missing; {rebuild}",
            index.join(filepath).display()
        ),
        // Its Debug form is the one that names the file.
        TantivyError::DataCorruption(corruption) => {
            format!("index at `{}`: {corruption:?}; {rebuild}", index.display())
        }
        source => format!("index at `{}`: {source}", index.display()),
    }
}
