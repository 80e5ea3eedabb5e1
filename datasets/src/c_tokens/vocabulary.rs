//! CompNet's vocabulary: token → id, with a fixed layout (see the parent module's docs).

use std::collections::HashMap;

use super::*;

/// How [`Vocabulary`] encodes identifiers that are not among its named identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IdentifierEncoding {
    /// `[ID0]`, `[ID1]`, ... by first occurrence in the encoded text (64 slots), then hashed
    /// buckets: spelling-invariant, the default.
    #[default]
    FirstOccurrence,
    /// Hashed buckets (FNV-1a of the spelling) only.
    Hashed,
}

/// How [`Vocabulary::encode_program`] reads the weighted sums of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LinearSums {
    /// As the source writes them (the default, and what every checkpoint before the option read).
    #[default]
    AsWritten,
    /// Rewritten by [`super::write_out_linear_sums`] first: every variable's weight a literal beside it.
    WrittenOut,
}

/// Padding token: id 0, so zero-filled id buffers are padding.
pub const PAD: u32 = 0;
/// Unknown token: a [`Token`] whose text does not fit its kind.
pub const UNK: u32 = 1;
/// First token of every encoded function (CompNet reads its embedding).
pub const CLS: u32 = 2;
/// Separator (reserved; [`Vocabulary::encode_source`] does not emit it).
pub const SEP: u32 = 3;
/// Mask token (reserved for masked-token pretraining).
pub const MASK: u32 = 4;
/// Identifier slots numbered by first occurrence.
pub const ID_SLOTS: usize = 64;
/// Hashed identifier buckets.
pub const ID_BUCKETS: usize = 256;
/// Integer magnitude buckets `[INT 1e1]`..`[INT 1e10]`.
const INT_BUCKETS: usize = 10;
/// Float magnitude buckets `[FLT 1e-12]`..`[FLT 1e12]`.
const FLOAT_BUCKETS: usize = 25;
const FLOAT_MIN_EXP: i32 = -12;

const SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// libm functions whose `f`-suffixed float variants are named too.
#[rustfmt::skip]
const MATH_FUNCTIONS: [&str; 47] = [
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "exp",
    "exp2", "expm1", "log", "log10", "log2", "log1p", "pow", "sqrt", "cbrt", "hypot", "fabs", "floor", "ceil", "round",
    "trunc", "rint", "nearbyint", "lround", "fmod", "remainder", "fmin", "fmax", "fdim", "fma", "copysign", "erf",
    "erfc", "tgamma", "lgamma", "ldexp", "frexp", "modf", "scalbn",
];

/// Other named identifiers: macros, constants, types and functions common in numeric C.
#[rustfmt::skip]
const NAMED_IDENTIFIERS: [&str; 53] = [
    "abs", "labs", "isnan", "isinf", "isfinite", "signbit", "M_PI", "M_PI_2", "M_PI_4", "M_1_PI", "M_2_PI", "M_E",
    "M_LN2", "M_LN10", "M_SQRT2", "M_SQRT1_2", "INFINITY", "NAN", "HUGE_VAL", "FLT_MAX", "FLT_MIN", "FLT_EPSILON",
    "DBL_MAX", "DBL_MIN", "DBL_EPSILON", "INT_MAX", "RAND_MAX", "NULL", "bool", "true", "false", "size_t", "int8_t",
    "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "printf", "malloc", "free",
    "memcpy", "memset", "exit", "assert", "rand", "__attribute__", "__inline__", "__restrict", "__extension__", "main",
];

/// Integer literals with their own ids (besides 0..=16).
const NAMED_INTS: [u32; 11] = [32, 64, 100, 128, 180, 255, 256, 360, 1000, 1024, 65535];

/// Float literals with their own ids, matched by exact value (the value of the text as a `double`).
#[rustfmt::skip]
const NAMED_FLOATS: [&str; 29] = [
    "0.0", "0.001", "0.01", "0.1", "0.125", "0.2", "0.25", "0.3", "0.4", "0.5", "0.6", "0.75", "0.8", "0.9", "1.0",
    "1.5", "2.0", "2.5", "3.0", "4.0", "5.0", "6.0", "8.0", "10.0", "100.0", "180.0", "255.0", "256.0", "1e-6",
];

/// Float constants matched within a relative 1e-3 (any precision of π is π).
const APPROX_FLOATS: [(&str, f64); 14] = [
    ("≈pi", std::f64::consts::PI),
    ("≈2pi", std::f64::consts::TAU),
    ("≈pi/2", std::f64::consts::FRAC_PI_2),
    ("≈pi/4", std::f64::consts::FRAC_PI_4),
    ("≈1/pi", std::f64::consts::FRAC_1_PI),
    ("≈e", std::f64::consts::E),
    ("≈ln2", std::f64::consts::LN_2),
    ("≈ln10", std::f64::consts::LN_10),
    ("≈sqrt2", std::f64::consts::SQRT_2),
    ("≈1/sqrt2", std::f64::consts::FRAC_1_SQRT_2),
    ("≈sqrt3", 1.732_050_807_568_877_2),
    ("≈log2e", std::f64::consts::LOG2_E),
    ("≈180/pi", 57.295_779_513_082_32),
    ("≈pi/180", 0.017_453_292_519_943_295),
];

/// A function's text as CompNet reads it: token ids, and at each position the value of the number
/// literal there (0 at every other token, `[CLS]` included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EncodedProgram {
    /// Token ids, `[CLS]` first.
    pub ids: Vec<u32>,
    /// Literal values, one per id: integers beyond 2^53 rounded, floats as `double`.
    pub values: Vec<f64>,
}

impl EncodedProgram {
    /// Ids read without values (every value 0): what a CompNet that reads no values sees.
    pub fn from_ids(ids: Vec<u32>) -> Self {
        let values = vec![0.0; ids.len()];
        EncodedProgram { ids, values }
    }

    /// Tokens, `[CLS]` included.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no tokens at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The first `len` tokens.
    pub fn truncate(&mut self, len: usize) {
        self.ids.truncate(len);
        self.values.truncate(len);
    }
}

/// CompNet's vocabulary: a fixed layout (see the module docs) and the identifier encoding.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    identifiers: IdentifierEncoding,
    sums: LinearSums,
    /// Names of the fixed ids `0..first_slot`.
    names: Vec<String>,
    /// Keywords, punctuators (digraphs included), named identifiers, special tokens.
    words: HashMap<String, u32>,
    first_int: u32,
    first_float: u32,
    first_approx: u32,
    string_id: u32,
    first_slot: u32,
    /// Values of [`NAMED_FLOATS`].
    named_floats: [f64; 29],
}

impl Default for Vocabulary {
    /// The layout with [`IdentifierEncoding::FirstOccurrence`].
    fn default() -> Self {
        Vocabulary::new(IdentifierEncoding::default())
    }
}

impl Vocabulary {
    /// The vocabulary with the given identifier encoding (the layout is the same for both).
    pub fn new(identifiers: IdentifierEncoding) -> Vocabulary {
        let mut names: Vec<String> =
            SPECIALS.iter().chain(&KEYWORDS).chain(&PUNCTUATORS).map(|s| s.to_string()).collect();
        for f in MATH_FUNCTIONS {
            names.push(f.to_string());
            names.push(format!("{f}f"));
        }
        names.extend(NAMED_IDENTIFIERS.iter().map(|s| s.to_string()));
        let mut words: HashMap<String, u32> = names.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        for (digraph, punct) in DIGRAPHS {
            let id = words[punct];
            words.insert(digraph.to_string(), id);
        }
        let first_int = names.len() as u32;
        names.extend((0..=16u32).chain(NAMED_INTS).map(|v| v.to_string()));
        let first_float = names.len() as u32;
        names.extend(NAMED_FLOATS.iter().map(|n| n.to_string()));
        let named_floats = NAMED_FLOATS.map(|n| n.parse::<f64>().unwrap_or(f64::NAN));
        let first_approx = names.len() as u32;
        names.extend(APPROX_FLOATS.iter().map(|(n, _)| n.to_string()));
        let string_id = names.len() as u32;
        names.extend(["[STR]".to_string(), "[CHR]".to_string()]);
        let first_slot = names.len() as u32;
        Vocabulary {
            identifiers,
            sums: LinearSums::default(),
            names,
            words,
            first_int,
            first_float,
            first_approx,
            string_id,
            first_slot,
            named_floats,
        }
    }

    /// The identifier encoding.
    pub fn identifier_encoding(&self) -> IdentifierEncoding {
        self.identifiers
    }

    /// This vocabulary reading weighted sums as `sums` says (the ids are the same).
    pub fn with_linear_sums(mut self, sums: LinearSums) -> Vocabulary {
        self.sums = sums;
        self
    }

    /// How [`Self::encode_program`] reads weighted sums.
    pub fn linear_sums(&self) -> LinearSums {
        self.sums
    }

    /// Number of ids (every id is below it).
    pub fn len(&self) -> usize {
        self.first_slot as usize + ID_SLOTS + ID_BUCKETS + INT_BUCKETS + FLOAT_BUCKETS
    }

    /// Always `false`: the vocabulary is never empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The id of a fixed token by its name as [`Vocabulary::token_name`] writes it: a special token
    /// (`"[CLS]"`), keyword, punctuator (digraphs too), named identifier, named number (`"16"`,
    /// `"0.5"`, `"≈pi"`) or `"[STR]"`/`"[CHR]"`.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.words
            .get(name)
            .copied()
            .or_else(|| (self.first_int..self.first_slot).find(|&i| self.names[i as usize] == name))
    }

    /// The name of an id, for debugging: the token itself for fixed ids, `[ID3]`, `[IDH17]`,
    /// `[INT 1e3]`, `[FLT 1e-2]` for the others, `[INVALID n]` past the end.
    pub fn token_name(&self, id: u32) -> String {
        let id = id as usize;
        let slots = self.first_slot as usize;
        if let Some(name) = self.names.get(id) {
            return name.clone();
        }
        let k = id - slots;
        if k < ID_SLOTS {
            return format!("[ID{k}]");
        }
        let k = k - ID_SLOTS;
        if k < ID_BUCKETS {
            return format!("[IDH{k}]");
        }
        let k = k - ID_BUCKETS;
        if k < INT_BUCKETS {
            return format!("[INT 1e{}]", k + 1);
        }
        let k = k - INT_BUCKETS;
        if k < FLOAT_BUCKETS {
            return format!("[FLT 1e{}]", k as i32 + FLOAT_MIN_EXP);
        }
        format!("[INVALID {id}]")
    }

    /// Encodes tokens (no `[CLS]`); identifiers are numbered by first occurrence within `tokens`.
    pub fn encode(&self, tokens: &[Token]) -> Vec<u32> {
        let mut out = Vec::with_capacity(tokens.len());
        self.encode_into(tokens.iter().map(|t| (t.kind, t.text.as_str())), &mut out);
        out
    }

    /// `[CLS]` and the encoded tokens of `source`, truncated to `max_len` ids in all (the whole
    /// source is lexed, so a lexing error anywhere is reported).
    pub fn encode_source(&self, source: &str, max_len: usize) -> Result<Vec<u32>, LexError> {
        self.encode_program(source, max_len).map(|e| e.ids)
    }

    /// [`Self::encode_source`] with each position's literal value beside its id: ids bucket most
    /// numbers by magnitude, so the value is what tells `1.66f` from `1.99f`. With
    /// [`LinearSums::WrittenOut`] the source is rewritten first ([`Self::encode`], given tokens, is not).
    pub fn encode_program(&self, source: &str, max_len: usize) -> Result<EncodedProgram, LexError> {
        let rewritten;
        let source = match self.sums {
            LinearSums::AsWritten => source,
            LinearSums::WrittenOut => {
                rewritten = super::write_out_linear_sums(source)?;
                rewritten.as_str()
            }
        };
        let lexemes = lex(source).collect::<Result<Vec<Lexeme<'_>>, LexError>>()?;
        let mut ids = Vec::with_capacity(lexemes.len() + 1);
        ids.push(CLS);
        self.encode_into(lexemes.iter().map(|l| (l.kind, l.text)), &mut ids);
        let mut values = Vec::with_capacity(ids.len());
        values.push(0.0);
        values.extend(lexemes.iter().map(|l| match l.kind {
            TokenKind::Number => parse_number(l.text).map_or(0.0, |n| n.value),
            _ => 0.0,
        }));
        ids.truncate(max_len);
        values.truncate(max_len);
        Ok(EncodedProgram { ids, values })
    }

    fn encode_into<'t>(&self, tokens: impl Iterator<Item = (TokenKind, &'t str)>, out: &mut Vec<u32>) {
        let mut slots: HashMap<&'t str, u32> = HashMap::new();
        for (kind, text) in tokens {
            let id = match kind {
                TokenKind::Keyword | TokenKind::Punct => {
                    self.words.get(text).copied().filter(|&id| id >= SPECIALS.len() as u32).unwrap_or(UNK)
                }
                TokenKind::String => self.string_id,
                TokenKind::Char => self.string_id + 1,
                TokenKind::Number => parse_number(text).map_or(UNK, |n| self.number_id(n)),
                TokenKind::Identifier => match self.words.get(text) {
                    Some(&id) if id >= SPECIALS.len() as u32 => id,
                    _ => self.identifier_id(text, &mut slots),
                },
            };
            out.push(id);
        }
    }

    fn identifier_id<'t>(&self, text: &'t str, slots: &mut HashMap<&'t str, u32>) -> u32 {
        let hashed = self.first_slot + ID_SLOTS as u32 + (fnv1a(text.as_bytes()) % ID_BUCKETS as u64) as u32;
        if self.identifiers == IdentifierEncoding::Hashed {
            return hashed;
        }
        if let Some(&id) = slots.get(text) {
            return id;
        }
        let id = if slots.len() < ID_SLOTS { self.first_slot + slots.len() as u32 } else { hashed };
        slots.insert(text, id);
        id
    }

    fn number_id(&self, n: NumberLiteral) -> u32 {
        let v = n.value;
        if !n.is_float {
            if v <= 16.0 {
                return self.first_int + v as u32;
            }
            if let Some(k) = NAMED_INTS.iter().position(|&i| f64::from(i) == v) {
                return self.first_int + 17 + k as u32;
            }
            let first_bucket = self.first_slot + (ID_SLOTS + ID_BUCKETS) as u32;
            return first_bucket + (decimal_exponent(v).clamp(1, INT_BUCKETS as i32) - 1) as u32;
        }
        if let Some(k) = self.named_floats.iter().position(|&f| f == v) {
            return self.first_float + k as u32;
        }
        if let Some(k) = APPROX_FLOATS.iter().position(|&(_, f)| (v - f).abs() <= 1e-3 * f) {
            return self.first_approx + k as u32;
        }
        let first_bucket = self.first_slot + (ID_SLOTS + ID_BUCKETS + INT_BUCKETS) as u32;
        let e = decimal_exponent(v).clamp(FLOAT_MIN_EXP, FLOAT_MIN_EXP + FLOAT_BUCKETS as i32 - 1);
        first_bucket + (e - FLOAT_MIN_EXP) as u32
    }
}

/// `floor(log10(v))` for `v > 0`, by comparison with exact decimal literals (no libm, so the
/// same on every platform); clamped to [-13, 13]; 0 for `v <= 0`.
fn decimal_exponent(v: f64) -> i32 {
    const POWERS: [f64; 27] = [
        1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
        1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
    ];
    if v.is_nan() || v <= 0.0 {
        return 0;
    }
    let above = POWERS.iter().filter(|&&p| v >= p).count() as i32;
    above - 14
}
