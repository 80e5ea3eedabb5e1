//! Exact rewrites of a program: new text, the same function, pairs that need no new run.
//!
//! CompNet learns from few real programs (2,845 in the shipped build) and overfits them: its
//! training MSE falls to 1.0 while validation stays at 2.4 (docs/compnet.md, "Augmenting real
//! programs"). A rewrite that changes what the encoder reads but not what the program computes
//! gives it more programs whose behaviour is known exactly, without running anything.
//!
//! [`permute_inputs`] reorders a function's input parameters, `f(x, y)` → `f(y, x)`, and the
//! inputs of every pair with them. The body is untouched, so the function of the named
//! parameters is the same, and surrogate input `k` is now the parameter in position `k`: the
//! encoder must find where each parameter is used to place its weights (identifiers are numbered by
//! first occurrence, so the reordering renumbers them through the whole body). Out-pointer
//! parameters keep their places, so the outputs do not move.
//!
//! Measured on 1,436 real programs (docs/compnet.md, "Augmenting real programs"), the copies did
//! not lower CompNet's validation error: a reordering adds no new function to learn.
//!
//! A program is refused when the rewrite could change what it computes or cannot be read:
//! the function's name appears anywhere but in its definition (a recursive call, a prototype, a
//! pointer taken to it would still pass the old order), or the parameter list in the text does
//! not match the stored signature.

use crate::IoPairs;
use crate::c_tokens::{self, LexError, TokenKind};
use crate::signature::{ParamRole, Signature, SignatureError};
use crate::store::ProgramRecord;

/// Why a program cannot be rewritten.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AugmentError {
    /// The stored signature does not parse.
    #[error("program `{name}`: its signature does not parse: {source}")]
    Signature {
        /// The program.
        name: String,
        /// The parser's error (boxed: it is the largest of these, and every `Result` carries it).
        source: Box<SignatureError>,
    },
    /// The source does not lex.
    #[error("program `{name}`: its source does not lex: {source}")]
    Lex {
        /// The program.
        name: String,
        /// The lexer's error.
        source: LexError,
    },
    /// The order is not a permutation of the inputs.
    #[error("program `{name}`: {order:?} is not a permutation of its {n_in} inputs")]
    NotAPermutation {
        /// The program.
        name: String,
        /// The order asked for.
        order: Vec<usize>,
        /// The program's inputs.
        n_in: usize,
    },
    /// The function's name is used outside its definition.
    #[error(
        "program `{name}`: `{function}` is named {uses} times in its source (a call, prototype or pointer would keep the old order)"
    )]
    Referenced {
        /// The program.
        name: String,
        /// The function.
        function: String,
        /// How often the name appears as an identifier.
        uses: usize,
    },
    /// No top-level definition of the function whose parameters match the signature.
    #[error("program `{name}`: no definition of `{function}` with the {expected} parameters of its signature")]
    NoDefinition {
        /// The program.
        name: String,
        /// The function.
        function: String,
        /// The signature's parameter count.
        expected: usize,
    },
}

impl AugmentError {
    /// A stable snake_case key when the error is the program's own shape (its name used outside
    /// its definition, no definition matching its signature): a program `compnet dataset augment`
    /// leaves out and counts. `None` when the record itself is broken (a signature that does not
    /// parse, a source that does not lex, an order that is no permutation): an error to report.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            AugmentError::Referenced { .. } => Some("name_used_outside_definition"),
            AugmentError::NoDefinition { .. } => Some("no_matching_definition"),
            AugmentError::Signature { .. } | AugmentError::Lex { .. } | AugmentError::NotAPermutation { .. } => None,
        }
    }
}

/// `record` with its input parameters in a new order: new input `k` is old input `order[k]`.
/// The name gets `~p` and the order (`f~p1.0` for `f(x, y)` → `f(y, x)`); the domain and every
/// pair's inputs are reordered alike; outputs, split and function name are kept.
pub fn permute_inputs(record: &ProgramRecord, order: &[usize]) -> Result<ProgramRecord, AugmentError> {
    let name = || record.name.clone();
    let signature = Signature::parse(&record.signature)
        .map_err(|source| AugmentError::Signature { name: name(), source: Box::new(source) })?;
    let n_in = signature.n_in();
    let mut seen = vec![false; n_in];
    let is_permutation = order.len() == n_in
        && n_in == record.pairs.n_in()
        && order.iter().all(|&k| k < n_in && !std::mem::replace(&mut seen[k], true));
    if !is_permutation {
        return Err(AugmentError::NotAPermutation { name: name(), order: order.to_vec(), n_in });
    }
    let params = parameter_spans(&record.source, &signature.function).map_err(|e| e.for_program(record, &signature))?;
    if params.len() != signature.params.len() {
        return Err(AugmentError::NoDefinition {
            name: name(),
            function: signature.function.clone(),
            expected: signature.params.len(),
        });
    }

    // Parameter positions of the inputs, in order; input slot k takes old input order[k]'s text.
    let slots: Vec<usize> =
        (0..signature.params.len()).filter(|&i| signature.params[i].role == ParamRole::Input).collect();
    let mut source = String::with_capacity(record.source.len());
    let mut new_params = signature.params.clone();
    let mut cursor = 0;
    for (i, span) in params.iter().enumerate() {
        let from = match slots.iter().position(|&s| s == i) {
            Some(k) => slots[order[k]],
            None => i,
        };
        new_params[i] = signature.params[from].clone();
        source.push_str(&record.source[cursor..span.0]);
        let (a, b) = params[from];
        source.push_str(&record.source[a..b]);
        cursor = span.1;
    }
    source.push_str(&record.source[cursor..]);
    let signature = Signature { params: new_params, ..signature };

    let n_out = record.pairs.n_out();
    let mut inputs = Vec::with_capacity(record.pairs.inputs().len());
    for pair in record.pairs.inputs().chunks_exact(n_in) {
        inputs.extend(order.iter().map(|&k| pair[k]));
    }
    let pairs = IoPairs::new(n_in, n_out, inputs, record.pairs.outputs().to_vec())
        .expect("reordering finite pairs keeps them finite and rectangular");
    let order_text: Vec<String> = order.iter().map(usize::to_string).collect();
    Ok(ProgramRecord {
        name: format!("{}~p{}", record.name, order_text.join(".")),
        function: record.function.clone(),
        source,
        signature: signature.to_string(),
        domain: order.iter().map(|&k| record.domain[k]).collect(),
        split: record.split.clone(),
        pairs,
    })
}

/// Up to `count` distinct input orders other than the identity for a function of `n_in` inputs,
/// drawn by `seed` (all of them when there are fewer).
pub fn distinct_orders(n_in: usize, count: usize, seed: u64) -> Vec<Vec<usize>> {
    let total = (1..=n_in).try_fold(1usize, |acc, k| acc.checked_mul(k)).unwrap_or(usize::MAX);
    let wanted = count.min(total.saturating_sub(1));
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // splitmix64: a fixed, dependency-free stream, so an augmented file never changes.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let identity: Vec<usize> = (0..n_in).collect();
    let mut orders: Vec<Vec<usize>> = Vec::with_capacity(wanted);
    while orders.len() < wanted {
        let mut order = identity.clone();
        for i in (1..n_in).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        if order != identity && !orders.contains(&order) {
            orders.push(order);
        }
    }
    orders
}

/// Why [`parameter_spans`] found no list.
enum SpanError {
    Lex(LexError),
    Referenced(usize),
    NoDefinition,
}

impl SpanError {
    fn for_program(self, record: &ProgramRecord, signature: &Signature) -> AugmentError {
        let (name, function) = (record.name.clone(), signature.function.clone());
        match self {
            SpanError::Lex(source) => AugmentError::Lex { name, source },
            SpanError::Referenced(uses) => AugmentError::Referenced { name, function, uses },
            SpanError::NoDefinition => AugmentError::NoDefinition { name, function, expected: signature.params.len() },
        }
    }
}

/// Byte ranges of the parameter declarations of `function`'s top-level definition, each from its
/// first token to the end of its last; the name must appear nowhere else.
fn parameter_spans(source: &str, function: &str) -> Result<Vec<(usize, usize)>, SpanError> {
    let tokens: Vec<c_tokens::Lexeme<'_>> = c_tokens::lex(source).collect::<Result<_, _>>().map_err(SpanError::Lex)?;
    let uses = tokens.iter().filter(|t| t.kind == TokenKind::Identifier && t.text == function).count();
    if uses != 1 {
        return Err(SpanError::Referenced(uses));
    }
    let mut depth = 0usize;
    let at = tokens.iter().enumerate().position(|(i, t)| {
        let top = depth == 0;
        match t.text {
            "{" | "(" | "[" => depth += 1,
            "}" | ")" | "]" => depth = depth.saturating_sub(1),
            _ => {}
        }
        top && t.kind == TokenKind::Identifier && t.text == function && tokens.get(i + 1).is_some_and(|n| n.text == "(")
    });
    let Some(at) = at else { return Err(SpanError::NoDefinition) };
    let mut spans = Vec::new();
    let (mut depth, mut first) = (0usize, None::<usize>);
    for (i, t) in tokens.iter().enumerate().skip(at + 1) {
        match t.text {
            "(" | "[" | "{" => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    if let Some(f) = first {
                        spans.push((tokens[f].offset_in(source), end_of(source, &tokens[i - 1])));
                    }
                    return match tokens.get(i + 1) {
                        Some(next) if next.text == "{" => Ok(spans),
                        _ => Err(SpanError::NoDefinition),
                    };
                }
            }
            "," if depth == 1 => {
                let f = first.take().ok_or(SpanError::NoDefinition)?;
                spans.push((tokens[f].offset_in(source), end_of(source, &tokens[i - 1])));
                continue;
            }
            _ => {}
        }
        first.get_or_insert(i);
    }
    Err(SpanError::NoDefinition)
}

fn end_of(source: &str, token: &c_tokens::Lexeme<'_>) -> usize {
    token.offset_in(source) + token.text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(source: &str, signature: &str, n_in: usize, n_out: usize) -> ProgramRecord {
        let pairs = 3;
        let inputs: Vec<f32> = (0..pairs * n_in).map(|v| v as f32).collect();
        let outputs: Vec<f32> = (0..pairs * n_out).map(|v| -(v as f32)).collect();
        ProgramRecord {
            name: "prog".into(),
            function: "f".into(),
            source: source.into(),
            signature: signature.into(),
            domain: (0..n_in).map(|k| (k as f32, k as f32 + 1.0)).collect(),
            split: "train".into(),
            pairs: IoPairs::new(n_in, n_out, inputs, outputs).unwrap(),
        }
    }

    #[test]
    fn inputs_swap_in_text_pairs_and_domain_and_out_pointers_stay() {
        let src = "#include <math.h>\nstatic double g(double t) { return t; }\nvoid f(double x, /* the gain */ const double k,\n  double *out, int n) { *out = g(x) * k + n; }\n";
        let r = record(src, "void f(double x, double k, double *out, int n)", 3, 1);
        let p = permute_inputs(&r, &[2, 0, 1]).unwrap();
        assert_eq!(
            p.source,
            "#include <math.h>\nstatic double g(double t) { return t; }\nvoid f(int n, /* the gain */ double x,\n  double *out, const double k) { *out = g(x) * k + n; }\n"
        );
        assert_eq!(p.signature, "void f(int n, double x, double *out, double k)");
        assert_eq!(p.name, "prog~p2.0.1");
        assert_eq!(p.domain, vec![(2.0, 3.0), (0.0, 1.0), (1.0, 2.0)]);
        assert_eq!(p.pairs.input(1), &[5.0, 3.0, 4.0]);
        assert_eq!(p.pairs.outputs(), r.pairs.outputs());
        assert_eq!(Signature::from_source(&p.source, "f").unwrap().to_string(), p.signature);
    }

    #[test]
    fn a_function_named_twice_or_a_wrong_order_is_refused() {
        let recursive = record(
            "double f(double x, double y) { return x > 0 ? f(x - 1, y) : y; }",
            "double f(double x, double y)",
            2,
            1,
        );
        let err = permute_inputs(&recursive, &[1, 0]).unwrap_err();
        assert!(matches!(err, AugmentError::Referenced { uses: 2, .. }));
        assert_eq!(err.refusal(), Some("name_used_outside_definition"));
        let prototype = record(
            "double f(double x, double y);\ndouble f(double x, double y) { return x - y; }",
            "double f(double x, double y)",
            2,
            1,
        );
        assert!(matches!(permute_inputs(&prototype, &[1, 0]), Err(AugmentError::Referenced { .. })));
        let plain = record("double f(double x, double y) { return x - y; }", "double f(double x, double y)", 2, 1);
        for order in [&[0usize, 0][..], &[1], &[0, 2]] {
            let err = permute_inputs(&plain, order).unwrap_err();
            assert!(err.to_string().contains("not a permutation"), "{err}");
            assert_eq!(err.refusal(), None, "a broken order is an error, not a program to leave out");
        }
        let knr = record("double f(x, y) double x, y; { return x - y; }", "double f(double x, double y)", 2, 1);
        let err = permute_inputs(&knr, &[1, 0]).unwrap_err();
        assert!(matches!(err, AugmentError::NoDefinition { .. }));
        assert_eq!(err.refusal(), Some("no_matching_definition"));
    }

    #[test]
    fn orders_are_distinct_seeded_and_never_the_identity() {
        assert_eq!(distinct_orders(2, 5, 1), vec![vec![1, 0]]);
        assert!(distinct_orders(1, 3, 1).is_empty());
        let all = distinct_orders(3, 10, 4);
        assert_eq!(all.len(), 5);
        let some = distinct_orders(6, 3, 9);
        assert_eq!(some, distinct_orders(6, 3, 9));
        assert_ne!(some, distinct_orders(6, 3, 10));
        assert!(some.iter().all(|o| o != &(0..6).collect::<Vec<_>>()));
    }
}
