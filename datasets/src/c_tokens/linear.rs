//! Linear sums written out: a canonicalising rewrite of C source text before it is tokenized.
//!
//! A C programmer writes a weighted sum the short way: `(p2 + 2.0 * p5 + p8) - (p0 + 2.0 * p3 + p6)`
//! leaves the weights of ±1 unwritten and takes the signs from the grouping. The same function
//! written out, `-1.0 * p0 + 1.0 * p2 - 2.0 * p3 + 2.0 * p5 - 1.0 * p6 + 1.0 * p8`, names every
//! input's weight as a literal beside it. CompNet learns the second form about 17× better
//! (docs/compnet.md, "Linear sums written out"), so [`write_out_linear_sums`] rewrites the first
//! into the second, as a compiler canonicalises expressions before it reads them.
//!
//! What is rewritten: the right-hand side of an assignment (`=`, `+=`, `-=`, `*=`, `/=`, a
//! declaration's initialiser) and the operand of `return`, when the whole of it is affine in
//! its variables: built from variables, numeric literals, parentheses, casts to `float` or
//! `double`, unary `+`/`-`, `+`, `-`, products with at least one constant factor and divisions by
//! a non-zero constant. It becomes `w1 * v1 + w2 * v2 + … + c`: one term per variable, in the
//! order the variables first appear in the source (parameters first), weights and the constant
//! folded to one literal each, zero weights dropped. The literals are `float` (`2.0f`) when the
//! expression computes in `float`, `double` otherwise.
//!
//! What is left as written: anything else (calls, array elements, products of two variables,
//! conditionals, integer-only arithmetic, whose division truncates), an expression of one
//! variable with weight 1 and no constant (`return dist;`), and an expression already in the
//! written-out form. The rewritten text is for reading: it equals the original up to
//! floating-point rounding (sums are reassociated and casts that only widen are dropped), as
//! under `-ffast-math`; it is never compiled in place of the original.

use std::collections::HashMap;

use super::{LexError, Lexeme, TokenKind, lex, parse_number};

/// The arithmetic type an operand computes in, ordered by C's usual conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Arith {
    Int,
    Float,
    Double,
}

/// An affine form: `Σ weights[v] · v + constant`, and the widest type seen in it (`None` below
/// every type: a variable whose declaration was not found).
#[derive(Debug, Clone)]
struct Affine {
    weights: Vec<(usize, f64)>,
    constant: f64,
    ty: Option<Arith>,
}

impl Affine {
    fn constant(value: f64, ty: Option<Arith>) -> Affine {
        Affine { weights: Vec::new(), constant: value, ty }
    }

    fn is_constant(&self) -> bool {
        self.weights.is_empty()
    }

    fn scaled(mut self, by: f64, ty: Option<Arith>) -> Affine {
        for (_, w) in &mut self.weights {
            *w *= by;
        }
        self.constant *= by;
        self.ty = self.ty.max(ty);
        self
    }

    fn plus(mut self, other: Affine, sign: f64) -> Affine {
        for (v, w) in other.weights {
            match self.weights.iter_mut().find(|(u, _)| *u == v) {
                Some((_, acc)) => *acc += sign * w,
                None => self.weights.push((v, sign * w)),
            }
        }
        self.constant += sign * other.constant;
        self.ty = self.ty.max(other.ty);
        self
    }
}

/// `source` with every affine right-hand side written out (see the module docs); the text
/// outside those expressions is kept byte for byte. Fails only where [`lex`] fails.
pub fn write_out_linear_sums(source: &str) -> Result<String, LexError> {
    let tokens = lex(source).collect::<Result<Vec<Lexeme<'_>>, LexError>>()?;
    let reader = Reader::new(&tokens);
    let mut out = String::with_capacity(source.len() + source.len() / 4);
    let mut copied = 0;
    let mut i = 0;
    while i < tokens.len() {
        let opens = matches!(
            (tokens[i].kind, tokens[i].text),
            (TokenKind::Punct, "=" | "+=" | "-=" | "*=" | "/=") | (TokenKind::Keyword, "return")
        );
        let Some(end) = opens.then(|| expression_end(&tokens, i + 1)).flatten() else {
            i += 1;
            continue;
        };
        if let Some(text) = reader.written_out(&tokens[i + 1..end]) {
            let start = tokens[i + 1].offset_in(source);
            let last = &tokens[end - 1];
            out.push_str(&source[copied..start]);
            out.push_str(&text);
            copied = last.offset_in(source) + last.text.len();
        }
        i = end;
    }
    out.push_str(&source[copied..]);
    Ok(out)
}

/// Where the expression starting at `start` ends (exclusive): the `;`, `,` or unmatched `)` that
/// closes it. `None` for an empty expression or one that runs into a brace (an initialiser list).
fn expression_end(tokens: &[Lexeme<'_>], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, t) in tokens.iter().enumerate().skip(start) {
        if t.kind != TokenKind::Punct {
            continue;
        }
        match t.text {
            "(" | "[" => depth += 1,
            ")" | "]" if depth == 0 => return (k > start).then_some(k),
            ")" | "]" => depth -= 1,
            ";" | "," if depth == 0 => return (k > start).then_some(k),
            "{" | "}" => return None,
            _ => {}
        }
    }
    None
}

/// What the rewrite knows of the whole source: the order identifiers first appear in, and the
/// declared arithmetic type of each.
struct Reader<'s> {
    order: HashMap<&'s str, usize>,
    names: Vec<&'s str>,
    declared: HashMap<&'s str, Arith>,
}

fn type_keyword(t: &Lexeme<'_>) -> Option<Arith> {
    match (t.kind, t.text) {
        (TokenKind::Keyword, "float") => Some(Arith::Float),
        (TokenKind::Keyword, "double") => Some(Arith::Double),
        (TokenKind::Keyword, "int" | "long" | "short" | "char" | "unsigned" | "signed" | "_Bool") => Some(Arith::Int),
        (
            TokenKind::Identifier,
            "size_t" | "int8_t" | "int16_t" | "int32_t" | "int64_t" | "uint8_t" | "uint16_t" | "uint32_t" | "uint64_t"
            | "bool",
        ) => Some(Arith::Int),
        _ => None,
    }
}

impl<'s> Reader<'s> {
    fn new(tokens: &[Lexeme<'s>]) -> Reader<'s> {
        let mut order = HashMap::new();
        let mut names = Vec::new();
        for t in tokens.iter().filter(|t| t.kind == TokenKind::Identifier) {
            order.entry(t.text).or_insert_with(|| {
                names.push(t.text);
                names.len() - 1
            });
        }
        Reader { order, names, declared: declarations(tokens) }
    }

    /// The written-out text of `expr`, or `None` where it is to be left as written.
    fn written_out(&self, expr: &[Lexeme<'s>]) -> Option<String> {
        let mut parser = Parser { tokens: expr, at: 0, reader: self };
        let affine = parser.sum()?;
        if parser.at != expr.len() {
            return None;
        }
        let ty = match affine.ty? {
            Arith::Int => return None,
            ty => ty,
        };
        let mut terms: Vec<(usize, f64)> = affine.weights.into_iter().filter(|&(_, w)| w != 0.0).collect();
        terms.sort_by_key(|&(v, _)| v);
        let lone_variable = terms.len() == 1 && terms[0].1 == 1.0 && affine.constant == 0.0;
        if terms.is_empty() || lone_variable || !affine.constant.is_finite() {
            return None;
        }
        let mut text = String::new();
        for (v, w) in &terms {
            push_term(&mut text, *w, Some(self.names[*v]), ty)?;
        }
        if affine.constant != 0.0 {
            push_term(&mut text, affine.constant, None, ty)?;
        }
        let same = lex(&text).map(|t| t.map(|t| t.text)).eq(expr.iter().map(|t| Ok(t.text)));
        (!same).then_some(text)
    }
}

/// Appends ` + w * name`, ` - |w| * name` (or `w * name`, `-|w| * name` first), or the constant
/// alone when `name` is `None`. `None` when `w` has no finite literal in `ty`.
fn push_term(text: &mut String, w: f64, name: Option<&str>, ty: Arith) -> Option<()> {
    let magnitude = literal(w.abs(), ty)?;
    match (text.is_empty(), w < 0.0) {
        (true, false) => {}
        (true, true) => text.push('-'),
        (false, false) => text.push_str(" + "),
        (false, true) => text.push_str(" - "),
    }
    text.push_str(&magnitude);
    if let Some(name) = name {
        text.push_str(" * ");
        text.push_str(name);
    }
    Some(())
}

/// The shortest literal of `ty` that reads back as `value` (`2.0f`, `0.7071`), `None` when the
/// value is not finite in `ty`.
fn literal(value: f64, ty: Arith) -> Option<String> {
    let (mut text, suffix) = match ty {
        Arith::Float if (value as f32).is_finite() => (format!("{}", value as f32), "f"),
        Arith::Double if value.is_finite() => (format!("{value}"), ""),
        _ => return None,
    };
    if !text.contains(['.', 'e']) {
        text.push_str(".0");
    }
    text.push_str(suffix);
    Some(text)
}

/// The arithmetic type of every declared name: `float a, *b`, `double x = 1, y`, parameters,
/// `for (int i = 0; …)`. Only the names right after a type (past `const` and `*`) and those
/// after a `,` of the same declaration count.
fn declarations<'s>(tokens: &[Lexeme<'s>]) -> HashMap<&'s str, Arith> {
    let mut declared = HashMap::new();
    let skip = |k: &mut usize| {
        while tokens.get(*k).is_some_and(|t| matches!(t.text, "*" | "const" | "volatile" | "restrict")) {
            *k += 1;
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        let Some(ty) = type_keyword(t) else { continue };
        if tokens.get(i + 1).and_then(type_keyword).is_some() {
            continue; // `unsigned int`, `long double`: the last word names the type
        }
        let ty = if t.text == "double" && i > 0 && tokens[i - 1].text == "long" { Arith::Double } else { ty };
        let mut k = i + 1;
        skip(&mut k);
        match tokens.get(k) {
            Some(name) if name.kind == TokenKind::Identifier => declared.insert(name.text, ty),
            _ => continue,
        };
        // The rest of this declarator list: names after each `,` at its own depth.
        let mut depth = 0usize;
        k += 1;
        while let Some(t) = tokens.get(k) {
            match t.text {
                "(" | "[" => depth += 1,
                ")" | "]" if depth == 0 => break,
                ")" | "]" => depth -= 1,
                ";" | "{" | "}" => break,
                "," if depth == 0 => {
                    k += 1;
                    skip(&mut k);
                    match tokens.get(k) {
                        Some(name) if name.kind == TokenKind::Identifier => {
                            declared.insert(name.text, ty);
                        }
                        _ => break,
                    }
                }
                _ => {}
            }
            k += 1;
        }
    }
    declared
}

/// A recursive-descent reader of affine expressions; any other construct gives `None`.
struct Parser<'t, 's> {
    tokens: &'t [Lexeme<'s>],
    at: usize,
    reader: &'t Reader<'s>,
}

impl Parser<'_, '_> {
    fn peek(&self, k: usize) -> Option<&str> {
        self.tokens.get(self.at + k).map(|t| t.text)
    }

    fn eat(&mut self, text: &str) -> bool {
        let hit = self.peek(0) == Some(text) && self.tokens[self.at].kind == TokenKind::Punct;
        self.at += usize::from(hit);
        hit
    }

    fn sum(&mut self) -> Option<Affine> {
        let mut acc = self.product()?;
        loop {
            let sign = if self.eat("+") {
                1.0
            } else if self.eat("-") {
                -1.0
            } else {
                return Some(acc);
            };
            let term = self.product()?;
            acc = acc.plus(term, sign);
        }
    }

    fn product(&mut self) -> Option<Affine> {
        let mut acc = self.unary()?;
        loop {
            if self.eat("*") {
                let factor = self.unary()?;
                acc = match (acc.is_constant(), factor.is_constant()) {
                    (_, true) => acc.scaled(factor.constant, factor.ty),
                    (true, false) => factor.scaled(acc.constant, acc.ty),
                    (false, false) => return None,
                };
            } else if self.eat("/") {
                let divisor = self.unary()?;
                if !divisor.is_constant() || divisor.constant == 0.0 {
                    return None;
                }
                acc = acc.scaled(1.0 / divisor.constant, divisor.ty);
            } else {
                return Some(acc);
            }
            if acc.ty == Some(Arith::Int) {
                return None; // integer products and quotients: C's truncation is not affine
            }
        }
    }

    fn unary(&mut self) -> Option<Affine> {
        if self.eat("-") {
            return Some(self.unary()?.scaled(-1.0, None));
        }
        if self.eat("+") {
            return self.unary();
        }
        if let (Some("("), Some(cast @ ("float" | "double")), Some(")")) = (self.peek(0), self.peek(1), self.peek(2)) {
            let ty = if cast == "float" { Arith::Float } else { Arith::Double };
            self.at += 3;
            let mut operand = self.unary()?;
            operand.ty = operand.ty.max(Some(ty));
            return Some(operand);
        }
        self.primary()
    }

    fn primary(&mut self) -> Option<Affine> {
        let t = *self.tokens.get(self.at)?;
        self.at += 1;
        match t.kind {
            TokenKind::Punct if t.text == "(" => {
                let inner = self.sum()?;
                self.eat(")").then_some(inner)
            }
            TokenKind::Number => {
                let n = parse_number(t.text).ok()?;
                // A float constant ends in a digit or its suffix (a hexadecimal one in its exponent).
                let ty = match (n.is_float, t.text.ends_with(['f', 'F'])) {
                    (false, _) => Arith::Int,
                    (true, true) => Arith::Float,
                    (true, false) => Arith::Double,
                };
                Some(Affine::constant(n.value, Some(ty)))
            }
            TokenKind::Identifier if !matches!(self.peek(0), Some("(" | "[" | "." | "->" | "++" | "--")) => {
                let v = *self.reader.order.get(t.text)?;
                let ty = self.reader.declared.get(t.text).copied();
                Some(Affine { weights: vec![(v, 1.0)], constant: 0.0, ty })
            }
            _ => None,
        }
    }
}
