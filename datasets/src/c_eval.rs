//! A tree-walking interpreter of the small C the synthetic generator writes, so that a synthetic
//! program's outputs can be computed without a C compiler: thousands of programs a second where
//! the sandboxed harness builds tens (docs/compnet.md, "What CompNet can learn").
//!
//! The subset: one function of `float` or `double` inputs with a return value and optional
//! scalar out-pointers; locals declared with an initialiser (`float t0 = …;`), `const` arrays of
//! literals, `=`, `+=`, `-=`, `*=`, `*out = …;`, `if`/`else` with braces, counted `for` loops
//! (`for (int i = A; i < B; i++)` or `<=`), `return`; expressions of literals, variables, array
//! elements, casts to the program's type, unary `-` and `!`, `* /`, `+ -`, comparisons, `&&`,
//! `||`, `?:` and the libm calls the generator uses. Anything else is an [`EvalError`] naming the
//! token and its line.
//!
//! Arithmetic follows C's on x86-64 and AArch64 (`FLT_EVAL_METHOD` 0): a `float` program rounds
//! every operation to `float`, and its libm calls are the `f`-suffixed ones (`sinf`), which Rust's
//! `f32` methods call too. The harness's outputs are the reference (test
//! `datasets/tests/c_eval.rs`: the generator's programs agree to a few ulps).

use std::collections::HashMap;

use crate::IoPairs;
use crate::c_tokens::{TokenKind, lex, parse_number};
use crate::signature::{ParamRole, Scalar, Signature};

/// Why a source is not a function this interpreter runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct EvalError {
    /// Line (from 1) of the token the problem was found at (0: the end of the text).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// A parsed function, ready to run on many inputs.
#[derive(Debug, Clone)]
pub struct Function {
    float: bool,
    n_in: usize,
    n_out_params: usize,
    n_slots: usize,
    arrays: Vec<Vec<f64>>,
    body: Vec<Stmt>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone)]
enum Expr {
    Num(f64),
    Var(usize),
    Index(usize, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(Bin, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Libm, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Libm {
    Sin,
    Cos,
    Tanh,
    Atan,
    Exp,
    Log,
    Sqrt,
    Fabs,
    Cbrt,
    Asin,
    Acos,
    Floor,
    Pow,
    Atan2,
    Fmin,
    Fmax,
    Hypot,
    Fmod,
}

/// `f(a[, b])` with Rust's methods of `a`'s type, which call the C library's `sin`/`sinf`…: one
/// table for both precisions.
macro_rules! libm_call {
    ($f:expr, $a:expr, $b:expr) => {
        match $f {
            Libm::Sin => $a.sin(),
            Libm::Cos => $a.cos(),
            Libm::Tanh => $a.tanh(),
            Libm::Atan => $a.atan(),
            Libm::Exp => $a.exp(),
            Libm::Log => $a.ln(),
            Libm::Sqrt => $a.sqrt(),
            Libm::Fabs => $a.abs(),
            Libm::Cbrt => $a.cbrt(),
            Libm::Asin => $a.asin(),
            Libm::Acos => $a.acos(),
            Libm::Floor => $a.floor(),
            Libm::Pow => $a.powf($b),
            Libm::Atan2 => $a.atan2($b),
            Libm::Fmin => $a.min($b),
            Libm::Fmax => $a.max($b),
            Libm::Hypot => $a.hypot($b),
            Libm::Fmod => $a % $b,
        }
    };
}

impl Libm {
    fn named(name: &str) -> Option<(Libm, usize)> {
        Some(match name {
            "sin" => (Libm::Sin, 1),
            "cos" => (Libm::Cos, 1),
            "tanh" => (Libm::Tanh, 1),
            "atan" => (Libm::Atan, 1),
            "exp" => (Libm::Exp, 1),
            "log" => (Libm::Log, 1),
            "sqrt" => (Libm::Sqrt, 1),
            "fabs" => (Libm::Fabs, 1),
            "cbrt" => (Libm::Cbrt, 1),
            "asin" => (Libm::Asin, 1),
            "acos" => (Libm::Acos, 1),
            "floor" => (Libm::Floor, 1),
            "pow" => (Libm::Pow, 2),
            "atan2" => (Libm::Atan2, 2),
            "fmin" => (Libm::Fmin, 2),
            "fmax" => (Libm::Fmax, 2),
            "hypot" => (Libm::Hypot, 2),
            "fmod" => (Libm::Fmod, 2),
            _ => return None,
        })
    }

    fn f64(self, a: f64, b: f64) -> f64 {
        libm_call!(self, a, b)
    }

    fn f32(self, a: f32, b: f32) -> f32 {
        libm_call!(self, a, b)
    }
}

#[derive(Debug, Clone)]
enum Target {
    Slot(usize),
    Out(usize),
}

#[derive(Debug, Clone)]
enum Stmt {
    /// `target op= value` (`op` None: plain assignment).
    Assign(Target, Option<Bin>, Expr),
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `for (int slot = from; slot < to; slot++)` (`to` exclusive).
    For(usize, i64, i64, Vec<Stmt>),
    Return(Expr),
}

struct Parser<'s> {
    tokens: Vec<(TokenKind, &'s str, usize)>,
    at: usize,
    float: bool,
    slots: HashMap<String, usize>,
    n_slots: usize,
    arrays: HashMap<String, usize>,
    array_values: Vec<Vec<f64>>,
    outs: HashMap<String, usize>,
}

impl<'s> Parser<'s> {
    fn error(&self, problem: impl Into<String>) -> EvalError {
        let line = self.tokens.get(self.at).map_or(0, |t| t.2);
        EvalError { line, problem: problem.into() }
    }

    fn peek(&self) -> &'s str {
        self.tokens.get(self.at).map_or("", |t| t.1)
    }

    fn peek_at(&self, k: usize) -> &'s str {
        self.tokens.get(self.at + k).map_or("", |t| t.1)
    }

    fn next(&mut self) -> Result<(TokenKind, &'s str), EvalError> {
        let t = self.tokens.get(self.at).ok_or_else(|| self.error("unexpected end of the function"))?;
        self.at += 1;
        Ok((t.0, t.1))
    }

    fn expect(&mut self, text: &str) -> Result<(), EvalError> {
        if self.peek() == text {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected `{text}`, found `{}`", self.peek())))
        }
    }

    fn eat(&mut self, text: &str) -> bool {
        let found = self.peek() == text;
        self.at += usize::from(found);
        found
    }

    fn ident(&mut self) -> Result<&'s str, EvalError> {
        match self.next()? {
            (TokenKind::Identifier, name) => Ok(name),
            (_, other) => {
                self.at -= 1;
                Err(self.error(format!("expected a name, found `{other}`")))
            }
        }
    }

    fn is_type(word: &str) -> bool {
        matches!(word, "float" | "double" | "int")
    }

    fn new_slot(&mut self, name: &str) -> usize {
        let slot = self.n_slots;
        self.n_slots += 1;
        self.slots.insert(name.to_string(), slot);
        slot
    }

    fn block(&mut self) -> Result<Vec<Stmt>, EvalError> {
        self.expect("{")?;
        let mut body = Vec::new();
        while !self.eat("}") {
            if let Some(s) = self.statement()? {
                body.push(s);
            }
        }
        Ok(body)
    }

    fn statement(&mut self) -> Result<Option<Stmt>, EvalError> {
        match self.peek() {
            "const" => {
                self.at += 1;
                let ty = self.next()?.1;
                if !Self::is_type(ty) {
                    return Err(self.error(format!("unsupported type `{ty}`")));
                }
                let name = self.ident()?;
                self.expect("[")?;
                self.next()?;
                self.expect("]")?;
                self.expect("=")?;
                self.expect("{")?;
                let mut values = Vec::new();
                loop {
                    let negative = self.eat("-");
                    let v = self.number()?;
                    values.push(if negative { -v } else { v });
                    if self.eat("}") {
                        break;
                    }
                    self.expect(",")?;
                }
                self.expect(";")?;
                self.arrays.insert(name.to_string(), self.array_values.len());
                self.array_values.push(values);
                Ok(None)
            }
            "float" | "double" => {
                self.at += 1;
                let name = self.ident()?;
                self.expect("=")?;
                let value = self.expr()?;
                self.expect(";")?;
                let slot = self.new_slot(name);
                Ok(Some(Stmt::Assign(Target::Slot(slot), None, value)))
            }
            "return" => {
                self.at += 1;
                let value = self.expr()?;
                self.expect(";")?;
                Ok(Some(Stmt::Return(value)))
            }
            "if" => {
                self.at += 1;
                self.expect("(")?;
                let cond = self.expr()?;
                self.expect(")")?;
                let then = self.block()?;
                let otherwise = if self.eat("else") { self.block()? } else { Vec::new() };
                Ok(Some(Stmt::If(cond, then, otherwise)))
            }
            "for" => self.for_loop().map(Some),
            "*" => {
                self.at += 1;
                let name = self.ident()?;
                let k = *self.outs.get(name).ok_or_else(|| self.error(format!("`*{name}` is not an out-pointer")))?;
                self.assignment(Target::Out(k)).map(Some)
            }
            word => {
                if self.tokens.get(self.at).map(|t| t.0) != Some(TokenKind::Identifier) {
                    return Err(self.error(format!("unsupported statement `{word}`")));
                }
                let name = self.ident()?;
                let slot = *self.slots.get(name).ok_or_else(|| self.error(format!("unknown variable `{name}`")))?;
                self.assignment(Target::Slot(slot)).map(Some)
            }
        }
    }

    fn assignment(&mut self, target: Target) -> Result<Stmt, EvalError> {
        let op = match self.next()?.1 {
            "=" => None,
            "+=" => Some(Bin::Add),
            "-=" => Some(Bin::Sub),
            "*=" => Some(Bin::Mul),
            "/=" => Some(Bin::Div),
            other => {
                self.at -= 1;
                return Err(self.error(format!("expected an assignment, found `{other}`")));
            }
        };
        let value = self.expr()?;
        self.expect(";")?;
        Ok(Stmt::Assign(target, op, value))
    }

    /// `for (int i = A; i < B; i++) { … }` or `i <= B`.
    fn for_loop(&mut self) -> Result<Stmt, EvalError> {
        self.expect("for")?;
        self.expect("(")?;
        self.expect("int")?;
        let var = self.ident()?;
        self.expect("=")?;
        let from = self.integer()?;
        self.expect(";")?;
        if self.ident()? != var {
            return Err(self.error("the loop condition must test the loop variable"));
        }
        let inclusive = match self.next()?.1 {
            "<" => false,
            "<=" => true,
            other => return Err(self.error(format!("unsupported loop test `{other}`"))),
        };
        let to = self.integer()? + i64::from(inclusive);
        self.expect(";")?;
        if self.ident()? != var || !self.eat("++") {
            return Err(self.error("the loop must step with `i++`"));
        }
        self.expect(")")?;
        let shadowed = self.slots.get(var).copied();
        let slot = self.new_slot(var);
        let body = self.block()?;
        match shadowed {
            Some(s) => self.slots.insert(var.to_string(), s),
            None => self.slots.remove(var),
        };
        Ok(Stmt::For(slot, from, to, body))
    }

    fn integer(&mut self) -> Result<i64, EvalError> {
        let v = self.number()?;
        if v.fract() != 0.0 {
            return Err(self.error(format!("expected an integer, found {v}")));
        }
        Ok(v as i64)
    }

    /// A literal's value, rounded to `float` when it has an `f` suffix.
    fn number(&mut self) -> Result<f64, EvalError> {
        match self.next()? {
            (TokenKind::Number, text) => {
                let n = parse_number(text).map_err(|p| self.error(format!("malformed number `{text}`: {p}")))?;
                let suffixed = n.is_float && text.ends_with(['f', 'F']);
                if self.float && n.is_float && !suffixed {
                    // C would compute that operation in double: not this interpreter's arithmetic.
                    return Err(self.error(format!("`{text}` is a double literal in a float function")));
                }
                Ok(if suffixed { n.value as f32 as f64 } else { n.value })
            }
            (_, other) => {
                self.at -= 1;
                Err(self.error(format!("expected a number, found `{other}`")))
            }
        }
    }

    fn expr(&mut self) -> Result<Expr, EvalError> {
        let cond = self.binary(0)?;
        if !self.eat("?") {
            return Ok(cond);
        }
        let a = self.expr()?;
        self.expect(":")?;
        let b = self.expr()?;
        Ok(Expr::Cond(Box::new(cond), Box::new(a), Box::new(b)))
    }

    /// Binary operators by precedence level, lowest first.
    fn binary(&mut self, level: usize) -> Result<Expr, EvalError> {
        const LEVELS: [&[(&str, Bin)]; 6] = [
            &[("||", Bin::Or)],
            &[("&&", Bin::And)],
            &[("==", Bin::Eq), ("!=", Bin::Ne)],
            &[("<", Bin::Lt), (">", Bin::Gt), ("<=", Bin::Le), (">=", Bin::Ge)],
            &[("+", Bin::Add), ("-", Bin::Sub)],
            &[("*", Bin::Mul), ("/", Bin::Div)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut e = self.binary(level + 1)?;
        while let Some(&(_, op)) = LEVELS[level].iter().find(|(t, _)| *t == self.peek()) {
            self.at += 1;
            let rhs = self.binary(level + 1)?;
            e = Expr::Bin(op, Box::new(e), Box::new(rhs));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, EvalError> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == "(" && matches!(self.peek_at(1), "float" | "double") && self.peek_at(2) == ")" {
            // A cast to the program's type: the loop counters it converts are exact.
            self.at += 3;
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, EvalError> {
        if self.eat("(") {
            let e = self.expr()?;
            self.expect(")")?;
            return Ok(e);
        }
        if self.tokens.get(self.at).map(|t| t.0) == Some(TokenKind::Number) {
            let v = self.number()?;
            return Ok(Expr::Num(v));
        }
        let name = self.ident()?;
        if self.eat("(") {
            let base = if self.float { name.strip_suffix('f').unwrap_or("") } else { name };
            let (f, arity) = Libm::named(base).ok_or_else(|| self.error(format!("unsupported call `{name}`")))?;
            let mut args = vec![self.expr()?];
            while self.eat(",") {
                args.push(self.expr()?);
            }
            self.expect(")")?;
            if args.len() != arity {
                return Err(self.error(format!("`{name}` takes {arity} arguments, given {}", args.len())));
            }
            return Ok(Expr::Call(f, args));
        }
        if self.eat("[") {
            let a = *self.arrays.get(name).ok_or_else(|| self.error(format!("unknown array `{name}`")))?;
            let index = self.expr()?;
            self.expect("]")?;
            return Ok(Expr::Index(a, Box::new(index)));
        }
        let slot = *self.slots.get(name).ok_or_else(|| self.error(format!("unknown variable `{name}`")))?;
        Ok(Expr::Var(slot))
    }
}

impl Function {
    /// Parses `signature`'s function out of `source`.
    pub fn parse(source: &str, signature: &Signature) -> Result<Function, EvalError> {
        let float = match signature.ret {
            Some(Scalar::Float) => true,
            Some(Scalar::Double) => false,
            _ => return Err(EvalError { line: 0, problem: "the function must return float or double".into() }),
        };
        // Each token's line, from its offset in the source (the lexer's texts are slices of it).
        let line_of = |text: &str| {
            let offset = text.as_ptr() as usize - source.as_ptr() as usize;
            1 + source.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count()
        };
        let tokens: Vec<(TokenKind, &str, usize)> = lex(source)
            .map(|l| l.map(|l| (l.kind, l.text, line_of(l.text))))
            .collect::<Result<_, _>>()
            .map_err(|e| EvalError { line: e.line(), problem: e.to_string() })?;
        let mut p = Parser {
            tokens,
            at: 0,
            float,
            slots: HashMap::new(),
            n_slots: 0,
            arrays: HashMap::new(),
            array_values: Vec::new(),
            outs: HashMap::new(),
        };
        let start = (0..p.tokens.len())
            .find(|&k| p.tokens[k].1 == signature.function && p.tokens.get(k + 1).map(|t| t.1) == Some("("))
            .ok_or_else(|| EvalError { line: 0, problem: format!("no function `{}`", signature.function) })?;
        p.at = start;
        while p.peek() != "{" {
            p.next()?;
        }
        let (mut n_in, mut n_out_params) = (0, 0);
        for param in &signature.params {
            if param.ty != signature.ret.unwrap_or(Scalar::Float) {
                return Err(EvalError {
                    line: 0,
                    problem: format!("parameter `{}` is not of the return type", param.name),
                });
            }
            match param.role {
                ParamRole::Input => {
                    p.new_slot(&param.name);
                    n_in += 1;
                }
                ParamRole::Output => {
                    p.outs.insert(param.name.clone(), n_out_params);
                    n_out_params += 1;
                }
            }
        }
        let body = p.block()?;
        Ok(Function { float, n_in, n_out_params, n_slots: p.n_slots, arrays: p.array_values, body })
    }

    /// Outputs in the harness's order: the return value, then the out-pointers.
    pub fn n_out(&self) -> usize {
        1 + self.n_out_params
    }

    /// Runs the function on `inputs` (one per input parameter, converted to the function's type)
    /// into `outputs` ([`Self::n_out`] values; out-pointers never written stay 0).
    pub fn run(&self, inputs: &[f64], outputs: &mut [f64]) {
        assert_eq!(inputs.len(), self.n_in, "inputs");
        assert_eq!(outputs.len(), self.n_out(), "outputs");
        let mut slots = vec![0.0; self.n_slots];
        for (s, &x) in slots.iter_mut().zip(inputs) {
            *s = self.round(x);
        }
        outputs.fill(0.0);
        self.block(&self.body, &mut slots, outputs);
    }

    fn round(&self, v: f64) -> f64 {
        if self.float { v as f32 as f64 } else { v }
    }

    /// Runs `body`; true once `return` ran.
    fn block(&self, body: &[Stmt], slots: &mut [f64], outputs: &mut [f64]) -> bool {
        for s in body {
            match s {
                Stmt::Assign(target, op, e) => {
                    let v = self.eval(e, slots);
                    let cell = match target {
                        Target::Slot(k) => &mut slots[*k],
                        Target::Out(k) => &mut outputs[1 + k],
                    };
                    *cell = match op {
                        None => v,
                        Some(op) => self.arith(*op, *cell, v),
                    };
                }
                Stmt::If(c, then, otherwise) => {
                    let taken = if self.eval(c, slots) != 0.0 { then } else { otherwise };
                    if self.block(taken, slots, outputs) {
                        return true;
                    }
                }
                Stmt::For(k, from, to, inner) => {
                    for i in *from..*to {
                        slots[*k] = i as f64;
                        if self.block(inner, slots, outputs) {
                            return true;
                        }
                    }
                }
                Stmt::Return(e) => {
                    outputs[0] = self.eval(e, slots);
                    return true;
                }
            }
        }
        false
    }

    fn arith(&self, op: Bin, a: f64, b: f64) -> f64 {
        let v = match op {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Lt => f64::from(u8::from(a < b)),
            Bin::Gt => f64::from(u8::from(a > b)),
            Bin::Le => f64::from(u8::from(a <= b)),
            Bin::Ge => f64::from(u8::from(a >= b)),
            Bin::Eq => f64::from(u8::from(a == b)),
            Bin::Ne => f64::from(u8::from(a != b)),
            Bin::And | Bin::Or => unreachable!("short-circuit operators are evaluated in eval"),
        };
        self.round(v)
    }

    fn eval(&self, e: &Expr, slots: &[f64]) -> f64 {
        match e {
            Expr::Num(v) => self.round(*v),
            Expr::Var(k) => slots[*k],
            Expr::Index(a, i) => {
                let values = &self.arrays[*a];
                let i = self.eval(i, slots);
                values.get(i as usize).copied().unwrap_or(f64::NAN)
            }
            Expr::Neg(a) => -self.eval(a, slots),
            Expr::Not(a) => f64::from(u8::from(self.eval(a, slots) == 0.0)),
            Expr::Bin(Bin::And, a, b) => f64::from(u8::from(self.eval(a, slots) != 0.0 && self.eval(b, slots) != 0.0)),
            Expr::Bin(Bin::Or, a, b) => f64::from(u8::from(self.eval(a, slots) != 0.0 || self.eval(b, slots) != 0.0)),
            Expr::Bin(op, a, b) => self.arith(*op, self.eval(a, slots), self.eval(b, slots)),
            Expr::Cond(c, a, b) => {
                if self.eval(c, slots) != 0.0 {
                    self.eval(a, slots)
                } else {
                    self.eval(b, slots)
                }
            }
            Expr::Call(f, args) => {
                let a = self.eval(&args[0], slots);
                let b = args.get(1).map_or(0.0, |b| self.eval(b, slots));
                if self.float { f64::from(f.f32(a as f32, b as f32)) } else { f.f64(a, b) }
            }
        }
    }
}

/// Runs `source`'s function on `inputs` (`n_in` per pair) as the harness would for a dataset,
/// with its output checks: `Err((reason, message))` with the harness's reason names for
/// non-finite outputs (`non_finite_output`) and outputs beyond `max_abs_output`
/// (`huge_output_value`), and `unsupported_by_interpreter` for a source outside the subset.
pub fn evaluate(
    source: &str,
    signature: &Signature,
    inputs: &[f32],
    max_abs_output: f64,
) -> Result<IoPairs, (String, String)> {
    let f = Function::parse(source, signature).map_err(|e| ("unsupported_by_interpreter".to_owned(), e.to_string()))?;
    let n_in = signature.n_in();
    let mut outputs = Vec::with_capacity(inputs.len() / n_in.max(1) * f.n_out());
    let (mut x, mut y) = (vec![0.0; n_in], vec![0.0; f.n_out()]);
    for (k, pair) in inputs.chunks_exact(n_in.max(1)).enumerate() {
        for (xi, &v) in x.iter_mut().zip(pair) {
            *xi = f64::from(v);
        }
        f.run(&x, &mut y);
        for (o, &v) in y.iter().enumerate() {
            if !v.is_finite() {
                return Err(("non_finite_output".into(), format!("pair {k}: output {o} is {v}")));
            }
            if v.abs() > max_abs_output {
                return Err((
                    "huge_output_value".into(),
                    format!("pair {k}: |output {o}| = {} > {max_abs_output}", v.abs()),
                ));
            }
            outputs.push(v as f32);
        }
    }
    IoPairs::new(n_in, f.n_out(), inputs.to_vec(), outputs).map_err(|e| ("internal_error".into(), e.to_string()))
}
