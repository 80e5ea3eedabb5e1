//! The C signature of a function the harness can run: scalar inputs, a scalar or `void` return
//! value and scalar out-pointers (`float *y`), where a scalar is `float`, `double`, `int`, `long`,
//! `unsigned int` or `unsigned long` (with their fixed-width and `size_t` spellings, as on every
//! LP64 Linux).
//!
//! A surrogate's inputs are the function's input parameters in order; its outputs are the return
//! value (if not `void`) followed by the out-pointer parameters in order.
//!
//! Every value crosses the harness as a floating-point number. An integer input is rounded to the
//! nearest integer by the driver (`(T)lrint(v)` for a parameter of type `T`), so whoever samples
//! inputs for an integer parameter should draw integers, from a small range: the ExeStack pipeline
//! draws them uniformly from the integers in [−16, 16], [0, 16] for unsigned ones (float inputs
//! stay U(−1, 1)). An integer return value or out-pointer is converted to `double` exactly. ParrotBench has floating-point
//! signatures only.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A C scalar type the harness can pass and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scalar {
    /// C `float`.
    Float,
    /// C `double`.
    Double,
    /// C `int` (also written `signed`, `signed int`).
    Int,
    /// C `long` (also written `long int`, `signed long`, `long long`, `int64_t`, ...).
    Long,
    /// C `unsigned int` (also written `unsigned`, `uint32_t`).
    UInt,
    /// C `unsigned long` (also written `unsigned long long`, `uint64_t`, `size_t`).
    ULong,
}

impl Scalar {
    /// The C spelling: `"float"`, `"double"`, `"int"`, `"long"`, `"unsigned int"` or
    /// `"unsigned long"`.
    pub fn c_name(self) -> &'static str {
        match self {
            Scalar::Float => "float",
            Scalar::Double => "double",
            Scalar::Int => "int",
            Scalar::Long => "long",
            Scalar::UInt => "unsigned int",
            Scalar::ULong => "unsigned long",
        }
    }

    /// `float` or `double`.
    pub fn is_floating(self) -> bool {
        matches!(self, Scalar::Float | Scalar::Double)
    }

    /// `unsigned int` or `unsigned long`.
    pub fn is_unsigned(self) -> bool {
        matches!(self, Scalar::UInt | Scalar::ULong)
    }

    /// The scalar spelled by C type words such as `["long", "int"]`, `["unsigned"]`, `["size_t"]`
    /// or `["double"]` (qualifiers removed); `None` for any other type (`short`, `char`,
    /// `long double`, `signed unsigned`, ...).
    pub fn from_words(words: &[&str]) -> Option<Scalar> {
        match words {
            ["float"] => return Some(Scalar::Float),
            ["double"] => return Some(Scalar::Double),
            ["int32_t"] => return Some(Scalar::Int),
            ["int64_t"] => return Some(Scalar::Long),
            ["uint32_t"] => return Some(Scalar::UInt),
            ["uint64_t" | "size_t"] => return Some(Scalar::ULong),
            _ => {}
        }
        if words.is_empty() || !words.iter().all(|w| matches!(*w, "int" | "signed" | "unsigned" | "long")) {
            return None;
        }
        let count = |name: &str| words.iter().filter(|w| **w == name).count();
        let sign = count("signed") + count("unsigned");
        if sign > 1 || count("int") > 1 {
            return None;
        }
        match (count("long"), count("unsigned") == 1) {
            (0, false) => Some(Scalar::Int),
            (1 | 2, false) => Some(Scalar::Long),
            (0, true) => Some(Scalar::UInt),
            (1 | 2, true) => Some(Scalar::ULong),
            _ => None,
        }
    }
}

/// Whether a parameter is read by the function or written through a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamRole {
    /// A scalar passed by value (`float x`).
    Input,
    /// A scalar out-pointer (`float *y`): the function writes one value through it.
    Output,
}

/// One parameter of a [`Signature`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param {
    /// The parameter's name (`argN` when the declaration leaves it unnamed).
    pub name: String,
    /// Its scalar type (the pointee for an out-pointer).
    pub ty: Scalar,
    /// Input or out-pointer.
    pub role: ParamRole,
}

/// The signature of a C function with scalar floating-point inputs and outputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// The function's name.
    pub function: String,
    /// Return type; `None` for `void`.
    pub ret: Option<Scalar>,
    /// Parameters in declaration order.
    pub params: Vec<Param>,
}

/// Why a C declaration is not a signature the harness can run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The text is not a function declaration at all.
    #[error("`{decl}` is not a C function declaration: {problem}")]
    Syntax {
        /// The declaration as given (shortened).
        decl: String,
        /// What is wrong.
        problem: String,
    },
    /// The return type is not `void` or a [`Scalar`].
    #[error(
        "function `{function}` returns `{ty}`: only `void`, `float`, `double`, `int` and `long` returns are supported"
    )]
    UnsupportedReturn {
        /// The function.
        function: String,
        /// The return type as written.
        ty: String,
    },
    /// A parameter is not a [`Scalar`] or a scalar out-pointer.
    #[error(
        "function `{function}`, parameter {index} `{param}` has type `{ty}`: {why}; only `float`/`double`/`int`/`long` scalars and out-pointers to them (`float *`, ...) are supported"
    )]
    UnsupportedParam {
        /// The function.
        function: String,
        /// Zero-based index of the parameter.
        index: usize,
        /// The parameter's name (`argN` when unnamed).
        param: String,
        /// Its type as written.
        ty: String,
        /// What about the type is unsupported.
        why: String,
    },
    /// The function takes a variable number of arguments.
    #[error("function `{function}` is variadic (`...`): only fixed scalar parameters are supported")]
    Variadic {
        /// The function.
        function: String,
    },
    /// [`Signature::from_source`] found no definition of the function.
    #[error("no definition of function `{function}` found in the source")]
    NotFound {
        /// The function looked for.
        function: String,
    },
}

impl Signature {
    /// Parses a C declaration or definition header such as `"void fft(float x, float *s, float *c)"`
    /// or `"static double f(const double a, double b)"` (a `;` or a body `{ ... }` may follow);
    /// rejects any other parameter/return type (unsigned, char, arrays, struct, pointer-to-pointer,
    /// variadic...) with a [`SignatureError`] naming the parameter and type.
    pub fn parse(decl: &str) -> Result<Signature, SignatureError> {
        let tokens = lex(decl);
        parse_tokens(decl, &tokens)
    }

    /// Finds the definition of `function` in a C source file (at top level, followed by a body)
    /// and parses its header. Preprocessor lines and comments are skipped.
    pub fn from_source(source: &str, function: &str) -> Result<Signature, SignatureError> {
        let tokens = lex(source);
        let mut depth = 0usize;
        let mut start = 0usize;
        for (i, t) in tokens.iter().enumerate() {
            match t.as_str() {
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        start = i + 1;
                    }
                }
                ";" if depth == 0 => start = i + 1,
                name if depth == 0 && name == function && tokens.get(i + 1).map(String::as_str) == Some("(") => {
                    let Some(close) = matching_paren(&tokens, i + 1) else { continue };
                    if tokens.get(close + 1).map(String::as_str) == Some("{") {
                        let header = &tokens[start..=close];
                        return parse_tokens(&header.join(" "), header);
                    }
                }
                _ => {}
            }
        }
        Err(SignatureError::NotFound { function: function.to_string() })
    }

    /// Number of input parameters.
    pub fn n_in(&self) -> usize {
        self.params.iter().filter(|p| p.role == ParamRole::Input).count()
    }

    /// Number of outputs: the return value (if not `void`) plus the out-pointer parameters.
    pub fn n_out(&self) -> usize {
        usize::from(self.ret.is_some()) + self.params.iter().filter(|p| p.role == ParamRole::Output).count()
    }

    /// Whether a `float`/`double` appears anywhere: return, input or out-pointer (a signature
    /// without one is an integer-only program).
    pub fn has_floating(&self) -> bool {
        self.ret.is_some_and(Scalar::is_floating) || self.params.iter().any(|p| p.ty.is_floating())
    }

    /// Names of the input parameters in order.
    pub fn input_names(&self) -> Vec<String> {
        self.params.iter().filter(|p| p.role == ParamRole::Input).map(|p| p.name.clone()).collect()
    }

    /// Names of the outputs: `"return"` for the return value first (if not `void`), then the
    /// out-pointer parameters in order.
    pub fn output_names(&self) -> Vec<String> {
        let ret = self.ret.map(|_| "return".to_string());
        ret.into_iter()
            .chain(self.params.iter().filter(|p| p.role == ParamRole::Output).map(|p| p.name.clone()))
            .collect()
    }
}

impl fmt::Display for Signature {
    /// The canonical C declaration, e.g. `void fft(float x, float *s, float *c)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ret = self.ret.map_or("void", Scalar::c_name);
        write!(f, "{ret} {}(", self.function)?;
        if self.params.is_empty() {
            write!(f, "void")?;
        }
        for (i, p) in self.params.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let star = if p.role == ParamRole::Output { "*" } else { "" };
            write!(f, "{sep}{} {star}{}", p.ty.c_name(), p.name)?;
        }
        write!(f, ")")
    }
}

const QUALIFIERS: &[&str] = &["const", "volatile", "register", "restrict", "__restrict", "__restrict__"];
const SPECIFIERS: &[&str] = &["static", "inline", "extern", "__inline", "__inline__", "const", "volatile"];
const KEYWORDS: &[&str] = &[
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
    "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
    "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
];

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Splits C text into identifiers/numbers, `...` and single punctuation characters, skipping
/// whitespace, comments and preprocessor lines.
fn lex(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if line_start && c == b'#' {
            // Preprocessor line, with backslash continuations.
            while i < b.len() && b[i] != b'\n' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push(text[s..i].to_string());
            line_start = false;
        } else if b[i..].starts_with(b"...") {
            out.push("...".to_string());
            i += 3;
            line_start = false;
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            out.push(ch.to_string());
            i += ch.len_utf8();
            line_start = false;
        }
    }
    out
}

fn matching_paren(tokens: &[String], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.as_str() {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn syntax(decl: &str, problem: impl Into<String>) -> SignatureError {
    let mut decl: String = decl.trim().chars().take(120).collect();
    if decl.len() < decl.trim().len() {
        decl.push('…');
    }
    SignatureError::Syntax { decl, problem: problem.into() }
}

fn parse_tokens(decl: &str, tokens: &[String]) -> Result<Signature, SignatureError> {
    let open = tokens.iter().position(|t| t == "(").ok_or_else(|| syntax(decl, "no parameter list `( ... )`"))?;
    let close = matching_paren(tokens, open).ok_or_else(|| syntax(decl, "the parameter list has no closing `)`"))?;
    match tokens.get(close + 1).map(String::as_str) {
        None | Some("{") => {}
        Some(";") if close + 2 == tokens.len() => {}
        Some(t) => return Err(syntax(decl, format!("unexpected `{t}` after the parameter list"))),
    }
    let head = &tokens[..open];
    let function = match head.last() {
        Some(name) if is_ident(name) && !KEYWORDS.contains(&name.as_str()) => name.clone(),
        _ => return Err(syntax(decl, "no function name before `(`")),
    };
    let ret_words = &head[..head.len() - 1];
    let ret_types: Vec<&String> = ret_words.iter().filter(|w| !SPECIFIERS.contains(&w.as_str())).collect();
    let ret_words: Vec<&str> = ret_types.iter().map(|s| s.as_str()).collect();
    let ret = match ret_words.as_slice() {
        ["void"] => None,
        [] => return Err(syntax(decl, format!("no return type before `{function}`"))),
        words => match Scalar::from_words(words) {
            Some(s) => Some(s),
            None => return Err(SignatureError::UnsupportedReturn { function, ty: words.join(" ") }),
        },
    };
    let inner = &tokens[open + 1..close];
    let mut groups: Vec<&[String]> = Vec::new();
    let (mut depth, mut s) = (0usize, 0usize);
    for (i, t) in inner.iter().enumerate() {
        match t.as_str() {
            "(" | "[" => depth += 1,
            ")" | "]" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                groups.push(&inner[s..i]);
                s = i + 1;
            }
            _ => {}
        }
    }
    groups.push(&inner[s..]);
    let mut params = Vec::new();
    if !(groups.len() == 1 && (groups[0].is_empty() || groups[0] == ["void"])) {
        for (index, g) in groups.iter().enumerate() {
            params.push(parse_param(&function, index, g)?);
        }
    }
    Ok(Signature { function, ret, params })
}

fn parse_param(function: &str, index: usize, tokens: &[String]) -> Result<Param, SignatureError> {
    if tokens.iter().any(|t| t == "...") {
        return Err(SignatureError::Variadic { function: function.to_string() });
    }
    let unsupported = |param: String, ty: String, why: &str| SignatureError::UnsupportedParam {
        function: function.to_string(),
        index,
        param,
        ty,
        why: why.to_string(),
    };
    if tokens.is_empty() {
        return Err(unsupported(format!("arg{index}"), String::new(), "empty parameter"));
    }
    // Split at the first '*' into the type part and the declarator part.
    let star = tokens.iter().position(|t| t == "*").unwrap_or(tokens.len());
    let (before, after) = tokens.split_at(star);
    let stars = after.iter().filter(|t| *t == "*").count();
    let mut words: Vec<&str> = before.iter().map(String::as_str).filter(|w| !QUALIFIERS.contains(w)).collect();
    let mut name: Option<String> = None;
    let mut odd: Option<&str> = None;
    if stars == 0 {
        if words.len() >= 2 && is_ident(words[words.len() - 1]) && !KEYWORDS.contains(&words[words.len() - 1]) {
            name = words.pop().map(str::to_string);
        }
    } else {
        for t in after.iter().map(String::as_str).filter(|t| *t != "*" && !QUALIFIERS.contains(t)) {
            if name.is_none() && is_ident(t) {
                name = Some(t.to_string());
            } else {
                odd.get_or_insert(t);
            }
        }
    }
    // Anything that is not an identifier in the type part (arrays, function pointers, ...).
    if let Some(w) = words.iter().find(|w| !is_ident(w)) {
        odd.get_or_insert(w);
    }
    let name = name.unwrap_or_else(|| {
        // Best effort for error messages: an identifier right before `[` or `(`.
        tokens
            .windows(2)
            .find(|w| is_ident(&w[0]) && (w[1] == "[" || w[1] == ")") && !KEYWORDS.contains(&w[0].as_str()))
            .map_or_else(|| format!("arg{index}"), |w| w[0].clone())
    });
    let name_at = tokens.iter().position(|t| *t == name);
    let ty = render(tokens.iter().enumerate().filter(|(i, _)| Some(*i) != name_at).map(|(_, t)| t.as_str()));
    if let Some(o) = odd {
        let why = match o {
            "[" | "]" => "arrays are not supported",
            "(" | ")" => "function pointers are not supported",
            _ => "unexpected token in the declaration",
        };
        return Err(unsupported(name, ty, why));
    }
    let Some(scalar_ty) = Scalar::from_words(&words) else {
        let why = if words.is_empty() { "no type" } else { "not a supported scalar" };
        return Err(unsupported(name, ty, why));
    };
    match stars {
        0 => Ok(Param { name, ty: scalar_ty, role: ParamRole::Input }),
        1 if before.iter().any(|t| t == "const") => {
            Err(unsupported(name, ty, "a pointer to const cannot be an out-pointer"))
        }
        1 => Ok(Param { name, ty: scalar_ty, role: ParamRole::Output }),
        _ => Err(unsupported(name, ty, "pointers to pointers are not supported")),
    }
}

/// Joins type tokens the way C is usually written: `float *`, `float **`, `float[3]`.
fn render<'a>(tokens: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut prev = "";
    for t in tokens {
        let glue = prev.is_empty()
            || matches!(t, "[" | "]" | ")" | ",")
            || matches!(prev, "[" | "(")
            || (t == "*" && prev == "*");
        if !glue {
            out.push(' ');
        }
        out.push_str(t);
        prev = t;
    }
    out
}
