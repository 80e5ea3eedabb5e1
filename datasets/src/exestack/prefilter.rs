//! A look at a file's raw text before the preprocessor: a file that never names a floating-point
//! type cannot hold a candidate (both type filters need a `float`/`double` parameter, return or
//! out-pointer), so it is not preprocessed or parsed at all.
//!
//! In a corpus of numeric packages about two files in three name no floating-point type; each
//! skipped file saves one or more compiler runs and a tree-sitter parse of its expanded headers.
//!
//! A file passes when its text holds `float` or `double` in any case, as a word or inside one
//! (`gdouble`, `GLfloat`, `FLOAT`, `Float64`), or a word its package's headers make stand for a
//! floating-point type: a `typedef` whose type names one (`typedef double real;`,
//! `typedef float LADSPA_Data;`), or an object-like `#define` whose body does
//! (`#define REAL double`), followed through chains (`typedef real vec_t;`). Only `typedef`s that
//! open no brace are read, so a struct with a `double` member does not make its name floating.
//!
//! What it misses: a function whose floating-point types come from a macro that expands to a
//! whole declarator (`DEFINE_UNARY(sin)`) or from a header outside the package. The build
//! reports every skipped file (`no_floating_type`), and `--no-prefilter` turns the look off.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The words that stand for a floating-point type in one package (besides `float`/`double`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloatingNames {
    words: HashSet<String>,
}

impl FloatingNames {
    /// The names of `texts` (a package's headers): typedefs and object-like macros that stand for
    /// a floating-point type, followed through chains.
    pub fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> FloatingNames {
        // (defined name, the words of its definition)
        let mut definitions: Vec<(String, Vec<String>)> = Vec::new();
        for text in texts {
            definitions.extend(typedefs(text));
            definitions.extend(defines(text));
        }
        let mut words = HashSet::new();
        // Each pass adds the names defined through a name found in the one before.
        loop {
            let before = words.len();
            for (name, body) in &definitions {
                if !words.contains(name) && body.iter().any(|w| names_floating(w) || words.contains(w)) {
                    words.insert(name.clone());
                }
            }
            if words.len() == before {
                break;
            }
        }
        FloatingNames { words }
    }

    /// The names of the `.h` files under `root` (a package's folder), read once per folder and
    /// process: every worker thread of a build asks for the package of the file it holds.
    pub fn of_package(root: &Path) -> Arc<FloatingNames> {
        /// One slot per package folder, filled by the first thread that asks.
        type Slots = Mutex<HashMap<PathBuf, Arc<OnceLock<Arc<FloatingNames>>>>>;
        static SEEN: OnceLock<Slots> = OnceLock::new();
        let slot = {
            let mut seen = SEEN.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
            seen.entry(root.to_path_buf()).or_default().clone()
        };
        // Another thread asking for the same package waits here for the first one's answer.
        slot.get_or_init(|| {
            let mut headers = Vec::new();
            super::corpus::walk_ext(root, "h", &mut headers);
            headers.sort();
            let texts: Vec<String> = headers
                .iter()
                .filter_map(|h| std::fs::read(h).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect();
            Arc::new(FloatingNames::from_texts(texts.iter().map(String::as_str)))
        })
        .clone()
    }

    /// Whether a file with this text may define a function with a floating-point parameter,
    /// return or out-pointer.
    pub fn may_define_floating(&self, text: &str) -> bool {
        words(text).any(|w| names_floating(w) || self.words.contains(w))
    }
}

/// Whether a word names a floating-point type by itself: it holds `float` or `double` in any case.
fn names_floating(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    lower.contains("float") || lower.contains("double")
}

/// The identifier-like words of a text (comments and literals included: they only add words).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty())
}

/// `typedef … NAME;` statements without braces: (NAME, the other words).
fn typedefs(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = find_word(rest, "typedef") {
        let after = &rest[at + "typedef".len()..];
        let end = after.find(';').unwrap_or(after.len());
        let statement = &after[..end];
        if !statement.contains('{') {
            let ws: Vec<&str> = words(statement).collect();
            // The declared name is the last word outside a parameter list: `typedef double
            // (*fn)(double)` declares `fn`; plain `typedef double real` declares `real`.
            let head = statement.split('(').take(2).collect::<Vec<_>>();
            let name = match head.as_slice() {
                [_, inner] if inner.contains('*') => words(inner).last(),
                _ => ws.last().copied(),
            };
            if let Some(name) = name {
                out.push((name.to_owned(), ws.iter().filter(|w| **w != name).map(|w| w.to_string()).collect()));
            }
        }
        rest = &after[end..];
    }
    out
}

/// Object-like `#define NAME BODY` lines: (NAME, the words of BODY).
fn defines(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .filter_map(|line| {
            let l = line.trim_start().strip_prefix('#')?.trim_start().strip_prefix("define")?;
            if !l.starts_with([' ', '\t']) {
                return None;
            }
            let l = l.trim_start();
            let name_len = l.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(l.len());
            let (name, body) = l.split_at(name_len);
            // A function-like macro's parameters follow its name without a space.
            (!name.is_empty() && !body.starts_with('('))
                .then(|| (name.to_owned(), words(body).map(str::to_owned).collect()))
        })
        .collect()
}

/// Byte offset of `word` in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word) {
        let at = from + i;
        let before = at == 0 || !is_ident(bytes[at - 1]);
        let after = bytes.get(at + word.len()).is_none_or(|c| !is_ident(*c));
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floating_words_in_any_case_and_inside_names() {
        let none = FloatingNames::default();
        for text in ["double f(double x);", "gdouble g(gdouble)", "GLfloat h;", "FLOAT x;", "Float64 y;"] {
            assert!(none.may_define_floating(text), "{text}");
        }
        assert!(!none.may_define_floating("int main(void) { return 0; }"));
    }

    #[test]
    fn package_typedefs_and_macros_are_followed_through_chains() {
        let names = FloatingNames::from_texts([
            "typedef float LADSPA_Data;\ntypedef LADSPA_Data sample;\n",
            "#ifdef SINGLE\n#define REAL float\n#else\n  #  define REAL double\n#endif\ntypedef REAL coord;\n",
            "typedef double (*integrand)(double, void *);\n",
            "typedef struct { double re, im; } complex_t;\n#define SQR(x) ((x)*(x))\n#define N 4\n",
            "typedef unsigned int uint; typedef uint count;\n",
        ]);
        for w in ["LADSPA_Data", "sample", "REAL", "coord", "integrand"] {
            assert!(names.words.contains(w), "{w} missing from {:?}", names.words);
        }
        for w in ["complex_t", "SQR", "N", "uint", "count"] {
            assert!(!names.words.contains(w), "{w} should not be floating: {:?}", names.words);
        }
        assert!(names.may_define_floating("static sample gain(sample x) { return x; }"));
        assert!(!names.may_define_floating("static count n(count x) { return x + 1; }"));
    }
}
