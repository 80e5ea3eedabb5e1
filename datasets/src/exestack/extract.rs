//! Stage 3: function definitions out of a preprocessed file, each as a standalone candidate source.
//!
//! The preprocessed text (with its line markers, as [`Preprocessor`] writes it) is parsed with
//! tree-sitter-c into top-level items. Every function definition of the file itself (not of its
//! headers) is seen; one whose signature passes the [`TypeFilter`] becomes a [`Candidate`] whose
//! source is:
//!
//! 1. `#include` lines for [`STD_HEADERS`] (the headers the harness's driver includes too);
//! 2. in their original order, the items the function needs, transitively: the definitions (and
//!    earlier declarations) of the functions it calls, the typedefs, `struct`/`union`/`enum`
//!    definitions, enumerators and global variables/constants it or its helpers name — from the
//!    file and its project headers; from system headers only what the standard headers above do
//!    not declare (e.g. the prototype of `sincos`, or `__errno_location` behind `errno`);
//! 3. the function itself, its header rewritten in the canonical form of its [`Signature`] (no
//!    `static`/`inline`/attributes/typedef names, so the harness can call it by name).
//!
//! Nothing else of the (header-expanded) unit is kept. Which items came from system headers is
//! read from the preprocessor's line markers; which names the standard headers declare is
//! computed once per process by preprocessing them with the same compiler.
//!
//! Text tree-sitter cannot read between items (an unknown macro, a declaration from a header
//! stood in for by an empty file) costs only the items that need it or come right after it.
//!
//! A function is rejected, with a reason, when: its definition, an item it needs, or the text right
//! before either has a syntax error (`syntax_error`),
//! it is variadic (`variadic`), its signature fails the filter (`type_filter`), an out-pointer is
//! used as an array (`out_pointer_as_array`), it needs a function or variable that is only
//! declared in the unit, defined in another file (`undefined_reference`), it would redefine
//! something the standard headers declare or use a name they define as a macro
//! (`std_header_clash`, `std_macro_clash`), its declarator is not a plain function declarator
//! (`uses_unsupported`), or, as a last check, [`Signature::from_source`] does not read the
//! candidate back as the same signature (`signature_mismatch`).
//!
//! [`Preprocessor`]: super::Preprocessor

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tree_sitter::Node;

use super::preprocess::{PreprocessError, Preprocessor, STD_HEADERS};
use super::std_names::{self, StdNames};
use super::translation_unit::{self as tu, Decl, Item, Origin, Source};
use super::type_filter::{self, TypeFilter, Typedefs};
use crate::signature::Signature;

/// A function ready for the harness: a standalone source that defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The function's name.
    pub function: String,
    /// The standalone C source (standard `#include`s, the items it needs, the function).
    pub source: String,
    /// Its signature; `Signature::from_source(&source, &function)` reads the same.
    pub signature: Signature,
    /// The C file it came from.
    pub file: PathBuf,
    /// The line of the definition in that file (from the line markers; 0 if unknown).
    pub line: usize,
    /// The other functions whose definitions the source carries, in source order.
    pub helpers: Vec<String>,
    /// What extraction changed or copied, in words (dropped qualifiers, typedefs read through,
    /// declarations copied from system headers, ...).
    pub notes: Vec<String>,
}

/// What extraction made of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extraction {
    /// The candidates, in file order.
    pub candidates: Vec<Candidate>,
    /// Every other function definition of the file: its name and why it was dropped.
    pub rejected: Vec<(String, &'static str)>,
    /// Function definitions in the file itself (candidates + rejected).
    pub functions_seen: usize,
    /// Places outside function bodies, in the file or its project headers, that tree-sitter could
    /// not read (an unknown macro such as `hidden int f(void);`, a header stood in for by an empty
    /// file). The items around them are used; the item right after one is not.
    pub syntax_errors: usize,
    /// The preprocessor's non-fatal errors, when they were tolerated
    /// ([`Preprocessor::tolerate_errors`]).
    pub preprocessor_errors: Option<String>,
}

/// Why a file yielded no extraction at all.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// tree-sitter-c gave no tree.
    #[error("{file}: tree-sitter-c gave no tree: {message}")]
    Parser {
        /// The file.
        file: PathBuf,
        /// What happened.
        message: String,
    },
    /// The deadline passed.
    #[error("{file}: extraction ran past its deadline")]
    Timeout {
        /// The file.
        file: PathBuf,
    },
    /// The standard headers could not be preprocessed or parsed (no compiler?).
    #[error("cannot read the standard headers: {message}")]
    StdHeaders {
        /// What went wrong.
        message: String,
    },
}

/// Extracts the candidates of one preprocessed file (see the module docs). `file` names the file
/// in candidates and messages; the text's line markers decide which code is the file's own.
pub fn extract(preprocessed: &str, file: &Path, filter: TypeFilter) -> Result<Extraction, ExtractError> {
    extract_until(preprocessed, file, filter, None)
}

/// [`extract`], giving up with [`ExtractError::Timeout`] once `deadline` passes.
pub(crate) fn extract_until(
    preprocessed: &str,
    file: &Path,
    filter: TypeFilter,
    deadline: Option<Instant>,
) -> Result<Extraction, ExtractError> {
    let std = std_names::std_names().map_err(|message| ExtractError::StdHeaders { message })?;
    let late = || deadline.is_some_and(|d| Instant::now() >= d);
    let timeout = || ExtractError::Timeout { file: file.to_path_buf() };
    let src = Source::new(preprocessed);
    let tree = tu::parse(&src.text, deadline).map_err(|e| match e {
        tu::ParseFailure::Deadline => timeout(),
        tu::ParseFailure::Parser(message) => ExtractError::Parser { file: file.to_path_buf(), message },
    })?;
    let (items, errors) = tu::items(&tree, &src);
    let unit = Unit::new(&src, items, std);
    let mut out = Extraction {
        syntax_errors: errors.iter().filter(|e| e.origin != Origin::System).count(),
        ..Extraction::default()
    };
    for (index, item) in unit.items.iter().enumerate() {
        if item.origin != Origin::Main || item.node.kind() != "function_definition" {
            continue;
        }
        if late() {
            return Err(timeout());
        }
        out.functions_seen += 1;
        let name = item.declares.first().map_or_else(|| format!("<unnamed at line {}>", item.line), |(n, _)| n.clone());
        match unit.candidate(index, file, filter) {
            Ok(c) => out.candidates.push(c),
            Err(reason) => out.rejected.push((name, reason)),
        }
    }
    Ok(out)
}

/// A parsed unit with its name index.
struct Unit<'s, 't> {
    src: &'s Source,
    items: Vec<Item<'t>>,
    /// Name → the items declaring it, with how.
    by_name: HashMap<String, Vec<(usize, Decl)>>,
    typedefs: Typedefs<'t>,
    std: &'static StdNames,
}

impl<'s, 't> Unit<'s, 't> {
    fn new(src: &'s Source, items: Vec<Item<'t>>, std: &'static StdNames) -> Self {
        let mut by_name: HashMap<String, Vec<(usize, Decl)>> = HashMap::new();
        let mut typedefs = Typedefs::new();
        for (i, item) in items.iter().enumerate() {
            for (name, decl) in &item.declares {
                by_name.entry(name.clone()).or_default().push((i, *decl));
            }
            if item.node.kind() == "type_definition" {
                let ty = item.node.child_by_field_name("type");
                let mut cursor = item.node.walk();
                for d in item.node.children_by_field_name("declarator", &mut cursor) {
                    let plain = matches!(d.kind(), "type_identifier" | "primitive_type");
                    typedefs.insert(src.of(d).to_string(), ty.filter(|_| plain));
                }
            }
        }
        Unit { src, items, by_name, typedefs, std }
    }

    /// The candidate for the function defined by item `target`, or why not.
    fn candidate(&self, target: usize, file: &Path, filter: TypeFilter) -> Result<Candidate, &'static str> {
        let item = &self.items[target];
        if item.node.has_error() || item.after_error {
            return Err("syntax_error");
        }
        let admitted = type_filter::admit(item.node, self.src, &self.typedefs, filter)?;
        let taken = self.closure(target)?;
        let mut notes = admitted.notes;
        let mut helpers = Vec::new();
        let mut copied = Vec::new();
        let mut source: String = STD_HEADERS.iter().map(|h| format!("#include <{h}>\n")).collect();
        for &i in &taken {
            let it = &self.items[i];
            let is_function = it.node.kind() == "function_definition";
            if i != target && is_function {
                helpers.extend(it.declares.first().map(|(n, _)| n.clone()));
            }
            if it.origin == Origin::System {
                copied.extend(it.declares.iter().map(|(n, _)| n.clone()));
            }
            source.push('\n');
            if i == target {
                source.push_str(&format!("{} {}\n", admitted.signature, tidy(self.src.of(admitted.body))));
            } else {
                let (text, stripped) = self.item_text(it);
                if stripped {
                    notes.push(format!("`inline` dropped from helper `{}`", it.declares[0].0));
                }
                source.push_str(&tidy(&text));
                source.push('\n');
            }
        }
        if !copied.is_empty() {
            let shown: Vec<&str> = copied.iter().take(6).map(String::as_str).collect();
            let more = if copied.len() > shown.len() {
                format!(" and {} more", copied.len() - shown.len())
            } else {
                String::new()
            };
            notes.push(format!("copied from system headers: {}{more}", shown.join(", ")));
        }
        if identifiers(&source).any(|t| self.std.macros.contains(t)) {
            return Err("std_macro_clash");
        }
        match Signature::from_source(&source, &admitted.signature.function) {
            Ok(s) if s == admitted.signature => {}
            _ => return Err("signature_mismatch"),
        }
        Ok(Candidate {
            function: admitted.signature.function.clone(),
            signature: admitted.signature,
            source,
            file: file.to_path_buf(),
            line: item.line,
            helpers,
            notes,
        })
    }

    /// The items `target` needs, transitively, in source order (itself included).
    fn closure(&self, target: usize) -> Result<Vec<usize>, &'static str> {
        let mut taken = vec![false; self.items.len()];
        taken[target] = true;
        let mut queue = vec![target];
        while let Some(i) = queue.pop() {
            let item = &self.items[i];
            if item.node.has_error() || item.after_error {
                return Err("syntax_error");
            }
            if item.origin != Origin::System {
                self.check_std_clash(item)?;
            }
            for name in &item.uses {
                let in_std = self.std.names.contains(name);
                let Some(decls) = self.by_name.get(name) else {
                    if in_std || std_names::is_builtin_name(name) {
                        continue;
                    }
                    // The original would not compile on its own either (a fragment #included by
                    // another file, or a macro its headers did not define).
                    return Err("undeclared_identifier");
                };
                let system = |j: usize| self.items[j].origin == Origin::System;
                let has_system = decls.iter().any(|&(j, _)| system(j));
                if in_std && decls.iter().all(|&(j, _)| system(j)) {
                    continue;
                }
                let is_function = decls.iter().any(|(_, d)| matches!(d, Decl::Function | Decl::Prototype));
                let is_object = decls.iter().any(|(_, d)| matches!(d, Decl::Object | Decl::ExternObject));
                let defined = decls.iter().any(|(_, d)| matches!(d, Decl::Function | Decl::Object));
                if (is_function || is_object) && !defined && !has_system && !in_std {
                    return Err("undefined_reference");
                }
                for &(j, _) in decls {
                    if !taken[j] && (!in_std || !system(j)) {
                        taken[j] = true;
                        queue.push(j);
                    }
                }
            }
        }
        Ok((0..self.items.len()).filter(|&i| taken[i]).collect())
    }

    /// A project item may not redefine a non-function name the standard headers declare unless
    /// the unit itself had the system declaration too (then the two were compatible).
    fn check_std_clash(&self, item: &Item<'_>) -> Result<(), &'static str> {
        for (name, decl) in &item.declares {
            if matches!(decl, Decl::Function | Decl::Prototype) || !self.std.names.contains(name) {
                continue;
            }
            let system_too =
                self.by_name.get(name).is_some_and(|d| d.iter().any(|&(j, _)| self.items[j].origin == Origin::System));
            if !system_too {
                return Err("std_header_clash");
            }
        }
        Ok(())
    }

    /// An item's text; a function definition declared `inline` without `static`/`extern` loses
    /// its `inline` (an inline definition alone provides no external definition to link).
    fn item_text(&self, item: &Item<'_>) -> (String, bool) {
        let text = &self.src.text[item.start..item.end];
        let node = item.node;
        if node.kind() != "function_definition" || tu::has_specifier(node, self.src, &["static", "extern"]) {
            return (text.to_string(), false);
        }
        let mut cursor = node.walk();
        let inline: Vec<Node<'_>> = node
            .children(&mut cursor)
            .filter(|c| {
                c.kind() == "storage_class_specifier" && matches!(self.src.of(*c), "inline" | "__inline" | "__inline__")
            })
            .collect();
        if inline.is_empty() {
            return (text.to_string(), false);
        }
        let mut out = String::new();
        let mut at = item.start;
        for c in inline {
            out.push_str(&self.src.text[at..c.start_byte()]);
            at = c.end_byte();
        }
        out.push_str(&self.src.text[at..item.end]);
        (out, true)
    }
}

/// Text without trailing spaces and blank lines.
fn tidy(text: &str) -> String {
    text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

/// The identifiers of C text, outside string and character literals.
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let c = b[i];
            if c == b'"' || c == b'\'' {
                i += 1;
                while i < b.len() && b[i] != c && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            } else if c == b'#' && (i == 0 || b[i - 1] == b'\n') {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            } else if c.is_ascii_alphabetic() || c == b'_' {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                return Some(&text[s..i]);
            } else if c.is_ascii_digit() {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        None
    })
}

/// Why a file gave no candidates at all.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The preprocessor failed (missing header, `#error`, ...).
    #[error(transparent)]
    Preprocess(PreprocessError),
    /// tree-sitter-c cannot parse the preprocessed file.
    #[error(transparent)]
    Parse(ExtractError),
    /// Preprocessing and extraction together took longer than the file's time limit.
    #[error("{file}: processing ran over {seconds} s (during {stage}); the file is dropped")]
    Timeout {
        /// The file.
        file: PathBuf,
        /// The limit.
        seconds: f64,
        /// `preprocess` or `extract`.
        stage: &'static str,
    },
    /// The file cannot be read, or the standard headers cannot be read.
    #[error("{file}: {what}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl FileError {
    /// A short stable name for statistics: the [`PreprocessError::reason`] of a preprocessor
    /// failure (`missing_header`, `preprocessor_error`, ...), `parse_error`, `timeout`, `io`.
    pub fn reason(&self) -> &'static str {
        match self {
            FileError::Preprocess(e) => e.reason(),
            FileError::Parse(_) => "parse_error",
            FileError::Timeout { .. } => "timeout",
            FileError::Io { .. } => "io",
        }
    }
}

/// Preprocesses `path` with `pre` (its folder first on the include path) and extracts its
/// candidates, all within `pre.time_limit` of wall time (the paper drops files that take over
/// 8 s); safe to call from many threads at once.
pub fn process_file(path: &Path, pre: &Preprocessor, filter: TypeFilter) -> Result<Extraction, FileError> {
    let time_limit = pre.time_limit;
    let deadline = Instant::now() + time_limit;
    let timeout = |stage| FileError::Timeout { file: path.to_path_buf(), seconds: time_limit.as_secs_f64(), stage };
    std::fs::File::open(path).map_err(|source| FileError::Io {
        file: path.to_path_buf(),
        what: "cannot open it".to_string(),
        source,
    })?;
    let pre = match pre.run_until(path, Some(deadline)) {
        Ok(p) => p,
        Err(PreprocessError::Timeout { .. }) => return Err(timeout("preprocess")),
        Err(e) => return Err(FileError::Preprocess(e)),
    };
    match extract_until(&pre.text, path, filter, Some(deadline)) {
        Ok(x) => Ok(Extraction { preprocessor_errors: pre.tolerated_errors, ..x }),
        Err(ExtractError::Timeout { .. }) => Err(timeout("extract")),
        Err(ExtractError::StdHeaders { message }) => Err(FileError::Io {
            file: path.to_path_buf(),
            what: "cannot read the standard headers".to_string(),
            source: std::io::Error::other(message),
        }),
        Err(e) => Err(FileError::Parse(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_skip_literals_and_directives() {
        let ids: Vec<&str> =
            identifiers("#include <math.h>\nint a = 'x'; char *s = \"M_PI \\\" b\"; double c = 1.5e3f;\n").collect();
        assert_eq!(ids, vec!["int", "a", "char", "s", "double", "c"]);
    }

    #[test]
    fn tidy_drops_blank_lines() {
        assert_eq!(tidy("a  \n\n   \n  b\n"), "a\n  b");
    }
}
