//! The C lexer shared by the ExeStack builder (deduplication, the 512-token filter) and by CompNet
//! (the encoder's input ids), and CompNet's fixed [`Vocabulary`].
//!
//! # Lexing
//! [`lex`] is a hand-written byte scanner over C11 source text; [`tokenize`] collects its tokens.
//! * Comments (`//` to the end of the line, `/* ... */`) and whitespace are dropped; a backslash
//!   before a newline joins lines.
//! * Preprocessor lines (`#` or `%:` as the first token of a line, with backslash continuations and
//!   comments inside) are skipped whole.
//! * String literals (`"..."`, with prefixes `L`, `u`, `U`, `u8`) and character constants (`'a'`,
//!   `L'a'`, ...) are one token each, escapes included; neither may run past the end of the line.
//! * Numbers follow C's pp-number rule (a digit, or `.` and a digit, then letters, digits, `_`,
//!   `.` and `e+`/`e-`/`p+`/`p-`), and are then checked: decimal, octal, hexadecimal and binary
//!   integers with suffixes `u`, `l`, `ll` and their combinations; decimal floats with exponents and
//!   hexadecimal floats (`0x1.8p3`) with suffixes `f`, `l` (and `f16`/`f32`/`f64`/`f128`).
//! * The 54 punctuators of C11 6.4.6 by longest match (`>>=`, `...`, `->`, `%:%:`).
//! * Identifiers are `[A-Za-z_$][A-Za-z0-9_$]*` (`$` as GCC accepts it); the 44 C11 keywords are
//!   [`TokenKind::Keyword`]; GNU spellings such as `__inline__` stay identifiers.
//! * Anything else (`@`, `` ` ``, a stray `\`, non-ASCII text outside literals and comments) is a
//!   [`LexError`] naming its line and column.
//!
//! # Vocabulary layout
//! The [`Vocabulary`] does not depend on any corpus: ids are fixed by the tables in this module,
//! in this order (the `vocabulary_layout_is_pinned` test fails on any accidental change).
//!
//! | ids | tokens |
//! |---|---|
//! | 0–4 | `[PAD]` (0), `[UNK]`, `[CLS]`, `[SEP]`, `[MASK]` |
//! | 5–48 | the 44 C11 keywords, in the standard's order |
//! | 49–96 | the 48 punctuators; the digraphs `<:` `:>` `<%` `%>` `%:` `%:%:` share the ids of `[` `]` `{` `}` `#` `##` |
//! | 97–243 | 147 named identifiers: 47 libm functions and their `f` variants, libm/libc macros and constants (`M_PI`, `INFINITY`, `FLT_EPSILON`, `NULL`...), fixed-width types, a few libc functions and GNU spellings |
//! | 244–271 | integer literals 0..=16, 32, 64, 100, 128, 180, 255, 256, 360, 1000, 1024, 65535 (by value: `0x10` is `16`) |
//! | 272–300 | 29 float literals by exact value (`0.0`, `0.5`, `1.0`, `2.0`... any suffix) |
//! | 301–314 | 14 float constants matched within a relative 1e-3 (`≈pi`, `≈2pi`, `≈e`, `≈sqrt2`...) |
//! | 315–316 | `[STR]` (every string literal), `[CHR]` (every character constant) |
//! | 317–380 | `[ID0]`..`[ID63]`: other identifiers numbered by first occurrence in the function |
//! | 381–636 | `[IDH0]`..`[IDH255]`: other identifiers by FNV-1a hash of their spelling |
//! | 637–646 | `[INT 1e1]`..`[INT 1e10]`: other integers by decimal exponent (clamped to 10) |
//! | 647–671 | `[FLT 1e-12]`..`[FLT 1e12]`: other floats by decimal exponent (clamped to ±12) |
//!
//! A C literal has no sign (`-1` is the punctuator `-` and the literal `1`), so number buckets are
//! by magnitude and type only. With [`IdentifierEncoding::FirstOccurrence`] (the default), the
//! identifiers of a function that are not named identifiers get `[ID0]`, `[ID1]`, ... in order of
//! first occurrence, so renaming a variable does not change the encoding; from the 65th distinct
//! identifier on they fall back to the hashed buckets. [`IdentifierEncoding::Hashed`] uses the
//! hashed buckets only.
//!
//! # Written-out sums
//! [`write_out_linear_sums`] rewrites every affine right-hand side so that each variable's weight
//! is a literal beside it (`(p2 + 2.0 * p5) - p0` → `-1.0 * p0 + 1.0 * p2 + 2.0 * p5`); a
//! [`Vocabulary`] built with [`LinearSums::WrittenOut`] reads sources through it.

mod linear;
mod vocabulary;

pub use linear::write_out_linear_sums;
pub use vocabulary::{
    CLS, EncodedProgram, ID_BUCKETS, ID_SLOTS, IdentifierEncoding, LinearSums, MASK, PAD, SEP, UNK, Vocabulary,
};

/// What kind of C token a [`Token`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// One of the 44 C11 keywords (`for`, `double`, `_Bool`...).
    Keyword,
    /// An identifier that is not a keyword.
    Identifier,
    /// An integer or floating constant.
    Number,
    /// A string literal, quotes and prefix included.
    String,
    /// A character constant, quotes and prefix included.
    Char,
    /// A punctuator (`+`, `->`, `>>=`, `...`).
    Punct,
}

/// A token that owns its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token {
    /// Its kind.
    pub kind: TokenKind,
    /// Its spelling in the source.
    pub text: String,
}

/// A token borrowing its text from the source (what [`Lexer`] yields, without allocating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lexeme<'a> {
    /// Its kind.
    pub kind: TokenKind,
    /// Its spelling in the source.
    pub text: &'a str,
}

impl Lexeme<'_> {
    /// The owned [`Token`].
    pub fn to_token(&self) -> Token {
        Token { kind: self.kind, text: self.text.to_string() }
    }

    /// Where this token starts in `source`, the text [`lex`] read it from (a byte offset).
    ///
    /// # Panics
    /// If the token was not lexed from `source`.
    pub fn offset_in(&self, source: &str) -> usize {
        let offset = (self.text.as_ptr() as usize).checked_sub(source.as_ptr() as usize);
        match offset {
            Some(at) if at + self.text.len() <= source.len() => at,
            _ => panic!("token {:?} was not lexed from this source", self.text),
        }
    }
}

/// Why a text is not a sequence of C tokens. Lines and columns count from 1; columns count
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    /// A `/*` comment without its `*/`.
    #[error("line {line}, column {column}: unterminated comment: `/*` has no closing `*/`")]
    UnterminatedComment {
        /// Line of the `/*`.
        line: usize,
        /// Column of the `/*`.
        column: usize,
    },
    /// A string literal without its closing quote on the same line.
    #[error("line {line}, column {column}: unterminated string literal: no closing `\"` before the end of the line")]
    UnterminatedString {
        /// Line of the opening quote (or prefix).
        line: usize,
        /// Column of the opening quote (or prefix).
        column: usize,
    },
    /// A character constant without its closing quote on the same line.
    #[error("line {line}, column {column}: unterminated character constant: no closing `'` before the end of the line")]
    UnterminatedChar {
        /// Line of the opening quote (or prefix).
        line: usize,
        /// Column of the opening quote (or prefix).
        column: usize,
    },
    /// `''`.
    #[error("line {line}, column {column}: empty character constant `''`")]
    EmptyChar {
        /// Line of the constant.
        line: usize,
        /// Column of the constant.
        column: usize,
    },
    /// A character that starts no C token (`@`, `` ` ``, a stray `\`, non-ASCII text).
    #[error("line {line}, column {column}: stray {character:?} (U+{:04X}): no C token starts with it", u32::from(*.character))]
    StrayCharacter {
        /// Line of the character.
        line: usize,
        /// Column of the character.
        column: usize,
        /// The character.
        character: char,
    },
    /// A pp-number that is not a valid C constant (`09`, `1e`, `0x1.8`, `1.5u`).
    #[error("line {line}, column {column}: malformed number `{text}`: {problem}")]
    BadNumber {
        /// Line of the number.
        line: usize,
        /// Column of the number.
        column: usize,
        /// The number as written.
        text: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl LexError {
    /// The line (from 1) where the problem starts.
    pub fn line(&self) -> usize {
        match self {
            LexError::UnterminatedComment { line, .. }
            | LexError::UnterminatedString { line, .. }
            | LexError::UnterminatedChar { line, .. }
            | LexError::EmptyChar { line, .. }
            | LexError::StrayCharacter { line, .. }
            | LexError::BadNumber { line, .. } => *line,
        }
    }

    /// The column (from 1, in characters) where the problem starts.
    pub fn column(&self) -> usize {
        match self {
            LexError::UnterminatedComment { column, .. }
            | LexError::UnterminatedString { column, .. }
            | LexError::UnterminatedChar { column, .. }
            | LexError::EmptyChar { column, .. }
            | LexError::StrayCharacter { column, .. }
            | LexError::BadNumber { column, .. } => *column,
        }
    }
}

/// The C11 keywords (6.4.1), in the standard's order.
#[rustfmt::skip]
pub const KEYWORDS: [&str; 44] = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern", "float",
    "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
    "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
    "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert", "_Thread_local",
];

/// The C11 punctuators (6.4.6) without the digraphs, in the standard's order.
#[rustfmt::skip]
pub const PUNCTUATORS: [&str; 48] = [
    "[", "]", "(", ")", "{", "}", ".", "->", "++", "--", "&", "*", "+", "-", "~", "!", "/", "%", "<<", ">>", "<", ">",
    "<=", ">=", "==", "!=", "^", "|", "&&", "||", "?", ":", ";", "...", "=", "*=", "/=", "%=", "+=", "-=", "<<=", ">>=",
    "&=", "^=", "|=", ",", "#", "##",
];

/// The digraphs (C11 6.4.6 §3) and the punctuator each one spells.
pub const DIGRAPHS: [(&str, &str); 6] =
    [("<:", "["), (":>", "]"), ("<%", "{"), ("%>", "}"), ("%:", "#"), ("%:%:", "##")];

/// Whether `word` is a C11 keyword.
#[rustfmt::skip]
pub fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "auto" | "break" | "case" | "char" | "const" | "continue" | "default" | "do" | "double" | "else" | "enum"
            | "extern" | "float" | "for" | "goto" | "if" | "inline" | "int" | "long" | "register" | "restrict"
            | "return" | "short" | "signed" | "sizeof" | "static" | "struct" | "switch" | "typedef" | "union"
            | "unsigned" | "void" | "volatile" | "while" | "_Alignas" | "_Alignof" | "_Atomic" | "_Bool" | "_Complex"
            | "_Generic" | "_Imaginary" | "_Noreturn" | "_Static_assert" | "_Thread_local"
    )
}

/// An iterator over the tokens of a C source text; after the first error it yields nothing more.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line_start: bool,
    done: bool,
}

/// Lexes `source` lazily (see the module docs for the rules).
pub fn lex(source: &str) -> Lexer<'_> {
    Lexer { src: source, pos: 0, line_start: true, done: false }
}

/// All tokens of `source`, comments and preprocessor lines removed.
pub fn tokenize(source: &str) -> Result<Vec<Token>, LexError> {
    lex(source).map(|t| t.map(|l| l.to_token())).collect()
}

/// The number of tokens of `source` (what the 512-token filter counts), without allocating.
pub fn count_tokens(source: &str) -> Result<usize, LexError> {
    lex(source).try_fold(0, |n, t| t.map(|_| n + 1))
}

/// The whitespace-invariant token sequence of `source`: token texts joined by single spaces.
/// Two sources that differ only in whitespace, comments or preprocessor lines get the same key.
pub fn dedup_key(source: &str) -> Result<String, LexError> {
    let mut key = String::with_capacity(source.len());
    for t in lex(source) {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(t?.text);
    }
    Ok(key)
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Result<Lexeme<'a>, LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_token();
        match item {
            Some(Ok(_)) => {}
            Some(Err(_)) | None => self.done = true,
        }
        item
    }
}

impl<'a> Lexer<'a> {
    fn byte(&self, i: usize) -> u8 {
        self.src.as_bytes().get(i).copied().unwrap_or(0)
    }

    /// 1 or 2 when a line break (`\n` or `\r\n`) starts at `i`, else 0.
    fn newline_at(&self, i: usize) -> usize {
        match (self.byte(i), self.byte(i + 1)) {
            (b'\n', _) => 1,
            (b'\r', b'\n') => 2,
            _ => 0,
        }
    }

    /// Line and column (from 1, columns in characters) of byte offset `at`.
    fn line_column(&self, at: usize) -> (usize, usize) {
        let before = &self.src.as_bytes()[..at.min(self.src.len())];
        let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
        let line_begin = before.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
        let column = 1 + before[line_begin..].iter().filter(|&&c| (c & 0xC0) != 0x80).count();
        (line, column)
    }

    fn unterminated_comment(&self, at: usize) -> LexError {
        let (line, column) = self.line_column(at);
        LexError::UnterminatedComment { line, column }
    }

    /// Skips a `/* */` comment starting at `at`; returns the offset after it.
    fn skip_block_comment(&self, at: usize) -> Result<usize, LexError> {
        match self.src.get(at + 2..).and_then(|rest| rest.find("*/")) {
            Some(end) => Ok(at + 2 + end + 2),
            None => Err(self.unterminated_comment(at)),
        }
    }

    /// Skips to the end of the line (not past the line break), honouring backslash continuations.
    fn skip_line(&self, mut i: usize) -> usize {
        let len = self.src.len();
        while i < len {
            match self.byte(i) {
                b'\n' => break,
                b'\\' if self.newline_at(i + 1) > 0 => i += 1 + self.newline_at(i + 1),
                _ => i += 1,
            }
        }
        i
    }

    /// Skips a preprocessor line starting at `i`: continuations, comments and quoted text inside.
    fn skip_directive(&self, mut i: usize) -> Result<usize, LexError> {
        let len = self.src.len();
        while i < len {
            match self.byte(i) {
                b'\n' => break,
                b'\\' if self.newline_at(i + 1) > 0 => i += 1 + self.newline_at(i + 1),
                b'/' if self.byte(i + 1) == b'*' => i = self.skip_block_comment(i)?,
                b'/' if self.byte(i + 1) == b'/' => i = self.skip_line(i),
                q @ (b'"' | b'\'') => {
                    i += 1;
                    while i < len && self.byte(i) != q && self.byte(i) != b'\n' {
                        i += if self.byte(i) == b'\\' && self.byte(i + 1) != b'\n' { 2 } else { 1 };
                    }
                    if self.byte(i) == q {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        Ok(i.min(len))
    }

    /// Scans a quoted literal whose opening quote is at `quote`; returns the offset after it.
    fn scan_quoted(&self, start: usize, quote: usize) -> Result<usize, LexError> {
        let q = self.byte(quote);
        let len = self.src.len();
        let mut i = quote + 1;
        loop {
            if i >= len || self.byte(i) == b'\n' {
                let (line, column) = self.line_column(start);
                return Err(if q == b'"' {
                    LexError::UnterminatedString { line, column }
                } else {
                    LexError::UnterminatedChar { line, column }
                });
            }
            match self.byte(i) {
                b'\\' => i += 1 + self.newline_at(i + 1).max(1),
                c if c == q => break,
                _ => i += 1,
            }
        }
        if q == b'\'' && i == quote + 1 {
            let (line, column) = self.line_column(start);
            return Err(LexError::EmptyChar { line, column });
        }
        Ok(i + 1)
    }

    fn token(&mut self, kind: TokenKind, start: usize, end: usize) -> Option<Result<Lexeme<'a>, LexError>> {
        self.pos = end;
        self.line_start = false;
        let text = self.src.get(start..end).unwrap_or("");
        Some(Ok(Lexeme { kind, text }))
    }

    fn next_token(&mut self) -> Option<Result<Lexeme<'a>, LexError>> {
        let len = self.src.len();
        // Whitespace, comments, line continuations and preprocessor lines.
        loop {
            let i = self.pos;
            if i >= len {
                return None;
            }
            match self.byte(i) {
                b'\n' => {
                    self.line_start = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'\\' if self.newline_at(i + 1) > 0 => self.pos += 1 + self.newline_at(i + 1),
                b'/' if self.byte(i + 1) == b'/' => self.pos = self.skip_line(i),
                b'/' if self.byte(i + 1) == b'*' => match self.skip_block_comment(i) {
                    Ok(end) => self.pos = end,
                    Err(e) => return Some(Err(e)),
                },
                b'#' if self.line_start => match self.skip_directive(i) {
                    Ok(end) => self.pos = end,
                    Err(e) => return Some(Err(e)),
                },
                b'%' if self.line_start && self.byte(i + 1) == b':' => match self.skip_directive(i) {
                    Ok(end) => self.pos = end,
                    Err(e) => return Some(Err(e)),
                },
                _ => break,
            }
        }
        let start = self.pos;
        let c = self.byte(start);
        if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let mut i = start + 1;
            while self.byte(i).is_ascii_alphanumeric() || self.byte(i) == b'_' || self.byte(i) == b'$' {
                i += 1;
            }
            let word = &self.src[start..i];
            let next = self.byte(i);
            if next == b'"' && matches!(word, "L" | "u" | "U" | "u8") {
                return match self.scan_quoted(start, i) {
                    Ok(end) => self.token(TokenKind::String, start, end),
                    Err(e) => Some(Err(e)),
                };
            }
            if next == b'\'' && matches!(word, "L" | "u" | "U") {
                return match self.scan_quoted(start, i) {
                    Ok(end) => self.token(TokenKind::Char, start, end),
                    Err(e) => Some(Err(e)),
                };
            }
            let kind = if is_keyword(word) { TokenKind::Keyword } else { TokenKind::Identifier };
            return self.token(kind, start, i);
        }
        if c.is_ascii_digit() || (c == b'.' && self.byte(start + 1).is_ascii_digit()) {
            let mut i = start + 1;
            loop {
                let d = self.byte(i);
                if matches!(d, b'e' | b'E' | b'p' | b'P') && matches!(self.byte(i + 1), b'+' | b'-') {
                    i += 2;
                } else if d.is_ascii_alphanumeric() || d == b'_' || d == b'.' {
                    i += 1;
                } else {
                    break;
                }
            }
            let text = &self.src[start..i];
            return match parse_number(text) {
                Ok(_) => self.token(TokenKind::Number, start, i),
                Err(problem) => {
                    let (line, column) = self.line_column(start);
                    Some(Err(LexError::BadNumber { line, column, text: text.to_string(), problem }))
                }
            };
        }
        if c == b'"' || c == b'\'' {
            let kind = if c == b'"' { TokenKind::String } else { TokenKind::Char };
            return match self.scan_quoted(start, start) {
                Ok(end) => self.token(kind, start, end),
                Err(e) => Some(Err(e)),
            };
        }
        match punctuator_len(self.src.as_bytes(), start) {
            0 => {
                let (line, column) = self.line_column(start);
                let character = self.src.get(start..).and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}');
                Some(Err(LexError::StrayCharacter { line, column, character }))
            }
            n => self.token(TokenKind::Punct, start, start + n),
        }
    }
}

/// Length of the longest punctuator starting at `i` (0 if none).
fn punctuator_len(b: &[u8], i: usize) -> usize {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    let (c1, c2) = (at(1), at(2));
    match at(0) {
        b'[' | b']' | b'(' | b')' | b'{' | b'}' | b'~' | b'?' | b';' | b',' => 1,
        b'.' if c1 == b'.' && c2 == b'.' => 3,
        b'.' => 1,
        b'-' if matches!(c1, b'>' | b'-' | b'=') => 2,
        b'+' if matches!(c1, b'+' | b'=') => 2,
        b'&' if matches!(c1, b'&' | b'=') => 2,
        b'|' if matches!(c1, b'|' | b'=') => 2,
        b'-' | b'+' | b'&' | b'|' => 1,
        b'*' | b'/' | b'!' | b'=' | b'^' if c1 == b'=' => 2,
        b'*' | b'/' | b'!' | b'=' | b'^' => 1,
        b'%' if c1 == b':' && c2 == b'%' && at(3) == b':' => 4,
        b'%' if matches!(c1, b'=' | b'>' | b':') => 2,
        b'%' => 1,
        b'<' | b'>' if c1 == at(0) && c2 == b'=' => 3,
        b'<' if matches!(c1, b'<' | b'=' | b':' | b'%') => 2,
        b'>' if matches!(c1, b'>' | b'=') => 2,
        b'<' | b'>' => 1,
        b':' if c1 == b'>' => 2,
        b':' => 1,
        b'#' if c1 == b'#' => 2,
        b'#' => 1,
        _ => 0,
    }
}

/// The value of a C numeric constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberLiteral {
    /// Its value (integers beyond 2^53 rounded; floats parsed as `double` whatever their suffix).
    pub value: f64,
    /// Whether it is a floating constant (has a `.`, an exponent, or is a hexadecimal float).
    pub is_float: bool,
}

/// Parses a C integer or floating constant (as [`lex`] yields it); `Err` says what is wrong.
pub fn parse_number(text: &str) -> Result<NumberLiteral, &'static str> {
    let b = text.as_bytes();
    let lower = |i: usize| b.get(i).map_or(0, |c| c.to_ascii_lowercase());
    if b.first() == Some(&b'0') && lower(1) == b'x' {
        let (mut i, mut mantissa, mut digits, mut frac_digits, mut dot) = (2, 0f64, 0usize, 0i32, false);
        loop {
            match b.get(i) {
                Some(c) if c.is_ascii_hexdigit() => {
                    mantissa = mantissa * 16.0 + f64::from((*c as char).to_digit(16).unwrap_or(0));
                    digits += 1;
                    frac_digits += i32::from(dot);
                }
                Some(b'.') if !dot => dot = true,
                _ => break,
            }
            i += 1;
        }
        if digits == 0 {
            return Err("a hexadecimal constant needs at least one digit after `0x`");
        }
        if lower(i) == b'p' {
            let (exponent, end) = exponent(b, i + 1)?;
            float_suffix(&text[end..])?;
            let e = (exponent - 4 * i64::from(frac_digits)).clamp(-1200, 1200) as i32;
            return Ok(NumberLiteral { value: mantissa * 2f64.powi(e), is_float: true });
        }
        if dot {
            return Err("a hexadecimal floating constant needs a binary exponent (`p`)");
        }
        integer_suffix(&text[i..])?;
        return Ok(NumberLiteral { value: mantissa, is_float: false });
    }
    if b.first() == Some(&b'0') && lower(1) == b'b' {
        let end = 2 + b[2..].iter().take_while(|c| matches!(c, b'0' | b'1')).count();
        if end == 2 {
            return Err("a binary constant needs at least one digit after `0b`");
        }
        integer_suffix(&text[end..])?;
        let value = b[2..end].iter().fold(0f64, |v, c| v * 2.0 + f64::from(c - b'0'));
        return Ok(NumberLiteral { value, is_float: false });
    }
    let int_end = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = int_end;
    let mut is_float = false;
    if b.get(i) == Some(&b'.') {
        is_float = true;
        i += 1;
        i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if i == 1 {
            return Err("a floating constant needs a digit");
        }
    }
    if lower(i) == b'e' {
        is_float = true;
        i = exponent(b, i + 1)?.1;
    }
    if is_float {
        float_suffix(&text[i..])?;
        let value = text[..i].parse::<f64>().map_err(|_| "not a decimal floating constant")?;
        return Ok(NumberLiteral { value, is_float: true });
    }
    let digits = &b[..int_end];
    if digits.is_empty() {
        return Err("a constant starts with a digit");
    }
    if digits.len() > 1 && digits[0] == b'0' {
        if digits.iter().any(|&c| c > b'7') {
            return Err("an octal constant (leading 0) may only use the digits 0-7");
        }
        integer_suffix(&text[i..])?;
        let value = digits.iter().fold(0f64, |v, c| v * 8.0 + f64::from(c - b'0'));
        return Ok(NumberLiteral { value, is_float: false });
    }
    integer_suffix(&text[i..])?;
    let value = digits.iter().fold(0f64, |v, c| v * 10.0 + f64::from(c - b'0'));
    Ok(NumberLiteral { value, is_float: false })
}

/// Parses an exponent's optional sign and digits from `i`; returns its value (saturated) and the
/// offset after it.
fn exponent(b: &[u8], mut i: usize) -> Result<(i64, usize), &'static str> {
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    let mut value = 0i64;
    while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        value = (value * 10 + i64::from(c - b'0')).min(100_000);
        i += 1;
    }
    if i == start {
        return Err("the exponent has no digits");
    }
    Ok((if negative { -value } else { value }, i))
}

fn float_suffix(s: &str) -> Result<(), &'static str> {
    match s {
        "" | "f" | "F" | "l" | "L" | "f16" | "F16" | "f32" | "F32" | "f64" | "F64" | "f128" | "F128" | "f32x"
        | "F32x" | "f64x" | "F64x" => Ok(()),
        _ => Err("invalid suffix on a floating constant (allowed: f, l)"),
    }
}

fn integer_suffix(s: &str) -> Result<(), &'static str> {
    let lowered = s.to_ascii_lowercase();
    let valid = matches!(lowered.as_str(), "" | "u" | "l" | "ul" | "lu" | "ll" | "ull" | "llu");
    // `lL` and `Ll` are not suffixes: the two letters of `ll` must have the same case.
    let mixed_ll = s.contains("lL") || s.contains("Ll");
    if valid && !mixed_ll {
        Ok(())
    } else {
        Err("invalid suffix on an integer constant (allowed: u, l, ll and combinations)")
    }
}

/// 64-bit FNV-1a hash.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}
