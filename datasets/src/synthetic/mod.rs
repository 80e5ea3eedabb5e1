//! Random, deterministic numeric C functions from a small grammar, for CI and for augmenting
//! CompNet's training.
//!
//! A program is a function `syn_NNNNNN` of 1–9 (by default) `float` or `double` inputs that
//! returns one value and, sometimes, writes a second through a last out-pointer parameter
//! (`float *out`, `double *aux`...). Its body declares locals from expressions (arithmetic, libm
//! calls, `?:`), reassigns them, branches with `if`/`else`, and runs small `for` loops (constant
//! trip count ≤ 8, sometimes over a `const` coefficient array) that accumulate. Every input and
//! every value computed is read on the way to an output: values nothing else reads are added
//! into the outputs.
//!
//! Other families ([`Family`]): [`Family::Affine`], where a program is only `c0 * x0 ± c1 * x1 ± …
//! [± c]` per output, the family whose function is all in its literals (docs/compnet.md, "What
//! CompNet can learn"); and [`Family::Kernels`], small numeric kernels of the kinds approximate
//! computing replaces by networks (distances, stencils, phases, planar geometry…; [`kernels`]).
//!
//! Safe by construction on inputs in [−1, 1]: every expression carries an upper bound of its
//! magnitude; every libm call gets an argument inside its domain whatever the value (`logf(1.0f +
//! fabsf(e))`, `sqrtf(fabsf(e))`, `asinf(tanhf(e))`, division by `(1.0f + e * e)`); `expf` only
//! sees arguments bounded by 2.5; an expression whose bound passes 16 is squashed (`tanhf`,
//! `sinf`, `atanf`); outputs are squashed below 8. So no NaN or infinity can appear, and
//! |output| < 10 (ExeStack's filter) always holds.
//!
//! Program `index` of a seed depends on `(seed, index)` only: its random stream is ChaCha8 keyed
//! by both, read through `next_u64` (whose values rand_chacha keeps stable across versions).

use std::f64::consts::{FRAC_PI_2, PI};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::harness::Job;
use crate::signature::{Param, ParamRole, Scalar, Signature};

mod kernels;

pub use kernels::KernelKind;

/// Which programs a stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Family {
    /// The grammar of this module's header: expressions, libm calls, locals, branches, loops.
    #[default]
    Grammar,
    /// Every output is `c0 * x0 ± c1 * x1 ± … ± c`, with two-decimal coefficients, and nothing
    /// else: the simplest family a compiler of C must read, what it computes is in its literals.
    /// The shape and depth settings are unused.
    Affine,
    /// Small numeric kernels with random sizes and constants: weighted distances, stencil
    /// gradients, phases, planar geometry, polynomials, single neurons, clamped blends
    /// ([`kernels`]). The shape, depth and type settings are unused: each kernel picks its own.
    Kernels,
}

/// How programs are generated.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Most input parameters (at least 1 is used; default 9).
    pub max_inputs: usize,
    /// Deepest expression tree (default 3).
    pub max_depth: usize,
    /// Most statements at the top of the body, before the outputs (default 8).
    pub max_statements: usize,
    /// Share of programs computing in `double` rather than `float` (default 0.25).
    pub double_share: f64,
    /// Share of programs with a second output through `float *out` (default 0.4).
    pub out_pointer_share: f64,
    /// Whether bodies may contain `for` loops (default true).
    pub loops: bool,
    /// Whether bodies may contain `if`/`else` and `?:` (default true).
    pub branches: bool,
    /// Which programs (default [`Family::Grammar`]).
    pub family: Family,
    /// With [`Family::Kernels`]: the kinds drawn (empty, the default: all seven).
    pub kernel_kinds: Vec<KernelKind>,
    /// The stream's seed (default 0).
    pub seed: u64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            max_inputs: 9,
            max_depth: 3,
            max_statements: 8,
            double_share: 0.25,
            out_pointer_share: 0.4,
            loops: true,
            branches: true,
            family: Family::Grammar,
            kernel_kinds: Vec::new(),
            seed: 0,
        }
    }
}

/// One generated program.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticProgram {
    /// The function's name, `syn_` and the index in six or more digits.
    pub name: String,
    /// The C source: `#include <math.h>` and the function definition.
    pub source: String,
    /// The function's signature.
    pub signature: Signature,
}

impl SyntheticProgram {
    /// A harness job running this program on `inputs` (`n_in` per pair).
    pub fn job<'a>(&'a self, inputs: &'a [f32]) -> Job<'a> {
        Job { name: &self.name, source: &self.source, signature: &self.signature, inputs }
    }
}

/// Program `index` of `config.seed`'s stream: always the same text for the same config and index.
pub fn generate(config: &SyntheticConfig, index: u64) -> SyntheticProgram {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&config.seed.to_le_bytes());
    key[8..16].copy_from_slice(&index.to_le_bytes());
    key[16..].copy_from_slice(b"compnet-synth-v1");
    let mut rng = Draw(ChaCha8Rng::from_seed(key));
    let name = format!("syn_{index:06}");
    if config.family == Family::Kernels {
        return kernels::generate(&mut rng, name, index, config.seed, &config.kernel_kinds);
    }
    let ty = if rng.chance(config.double_share) { Scalar::Double } else { Scalar::Float };
    let n_in = 1 + rng.below(config.max_inputs.max(1));
    let out_name = rng.chance(config.out_pointer_share).then(|| *rng.pick(&["out", "aux", "second"]));
    let scheme = rng.below(if n_in <= LETTERS.len() { 4 } else { 3 });
    let inputs = input_names(scheme, n_in);
    let signature = signature(&name, ty, &inputs, out_name);
    let mut source = header(&signature, index, config.seed);
    if config.family == Family::Affine {
        let mut line = |lhs: &str, rng: &mut Draw| {
            source.push_str(&format!("    {lhs}{};\n", affine_text(rng, ty, &inputs)));
        };
        if let Some(out) = out_name {
            line(&format!("*{out} = "), &mut rng);
        }
        line("return ", &mut rng);
        source.push_str("}\n");
        return SyntheticProgram { name, source, signature };
    }

    let local_prefix = *rng.pick(&["t", "s", "tmp", "r"]);
    let mut body = Body {
        rng,
        config,
        ty,
        vars: inputs.iter().map(|n| Var { name: n.clone(), bound: 1.0, read: false, local: false }).collect(),
        loop_leaf: None,
        array_leaf: None,
        loop_read: false,
        array_read: false,
        reads: 0,
        lines: Vec::new(),
        indent: 1,
        n_locals: 0,
        local_prefix,
        loops: 0,
    };
    let n_statements = 1 + body.rng.below(config.max_statements.max(1));
    for _ in 0..n_statements {
        body.statement();
    }
    if let Some(out) = out_name {
        let e = body.output_expr(false);
        body.emit(format!("*{out} = {};", e.text));
    }
    let e = body.output_expr(true);
    body.emit(format!("return {};", e.text));
    for line in &body.lines {
        source.push_str(line);
        source.push('\n');
    }
    source.push_str("}\n");
    SyntheticProgram { name, source, signature }
}

/// `c0 * x0 ± c1 * x1 ± … [± c]` over `inputs`: coefficients of two decimals whose magnitudes
/// sum below [`OUTPUT_BOUND`] (each at most 4), every input read, a constant term half the time.
fn affine_text(rng: &mut Draw, ty: Scalar, inputs: &[String]) -> String {
    let terms = inputs.len() + 1;
    let cap = ((OUTPUT_BOUND - 0.5) / terms as f64).min(4.0);
    let coefficient = |rng: &mut Draw| (1 + rng.below((cap * 100.0) as usize)) as f64 / 100.0;
    let lit = |v: f64| format!("{v:.2}{}", if ty == Scalar::Float { "f" } else { "" });
    let mut text = String::new();
    for (k, x) in inputs.iter().enumerate() {
        let (c, minus) = (coefficient(rng), rng.chance(0.5));
        match (k, minus) {
            (0, false) => text.push_str(&format!("{} * {x}", lit(c))),
            (0, true) => text.push_str(&format!("-{} * {x}", lit(c))),
            (_, m) => text.push_str(&format!(" {} {} * {x}", if m { '-' } else { '+' }, lit(c))),
        }
    }
    if rng.chance(0.5) {
        let (c, minus) = (coefficient(rng), rng.chance(0.5));
        text.push_str(&format!(" {} {}", if minus { '-' } else { '+' }, lit(c)));
    }
    text
}

/// `ty name(ty input…[, ty *out])`: every generated program returns a value of its own type.
fn signature(name: &str, ty: Scalar, inputs: &[String], out: Option<&str>) -> Signature {
    let mut params: Vec<Param> = inputs.iter().map(|n| Param { name: n.clone(), ty, role: ParamRole::Input }).collect();
    if let Some(out) = out {
        params.push(Param { name: out.to_string(), ty, role: ParamRole::Output });
    }
    Signature { function: name.to_string(), ret: Some(ty), params }
}

/// The comment, include and opening line every generated program starts with.
fn header(signature: &Signature, index: u64, seed: u64) -> String {
    let mut source = String::with_capacity(1024);
    source.push_str(&format!("/* compnet synthetic program {index} of seed {seed} */\n"));
    source.push_str("#include <math.h>\n\n");
    source.push_str(&format!("{signature} {{\n"));
    source
}

/// `n` input names of naming scheme `scheme` (0 `x0…`, 1 `in0…`, 2 `p0…`, 3 letters; the letter
/// scheme holds at most [`LETTERS`]`.len()` names).
fn input_names(scheme: usize, n: usize) -> Vec<String> {
    (0..n)
        .map(|k| match scheme {
            0 => format!("x{k}"),
            1 => format!("in{k}"),
            2 => format!("p{k}"),
            _ => LETTERS[k].to_string(),
        })
        .collect()
}

/// The libm name for a program of type `ty` (`sinf` or `sin`).
fn libm(ty: Scalar, name: &str) -> String {
    if ty == Scalar::Float { format!("{name}f") } else { name.to_string() }
}

/// A C literal of type `ty`.
fn literal(ty: Scalar, v: f64) -> String {
    let mut s = format!("{v}");
    if !s.contains('.') && !s.contains('e') {
        s.push_str(".0");
    }
    if ty == Scalar::Float {
        s.push('f');
    }
    s
}

/// Input names of the letter scheme.
const LETTERS: [&str; 9] = ["a", "b", "c", "d", "e", "g", "h", "m", "q"];
/// An expression whose bound passes this is squashed.
const SOFT_BOUND: f64 = 16.0;
/// Outputs are squashed below this.
const OUTPUT_BOUND: f64 = 8.0;
/// `expf` only sees arguments bounded by this.
const EXP_ARG_BOUND: f64 = 2.5;

/// Uniform draws from the program's stream through `next_u64` only.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n` (`0` when `n == 0`).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.0.next_u64() % n as u64) as usize }
    }

    /// True with probability `p` (clamped to [0, 1]).
    fn chance(&mut self, p: f64) -> bool {
        ((self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A number of two decimals, uniform in [lo, hi] (`lo` when `hi < lo`).
    fn hundredths(&mut self, lo: f64, hi: f64) -> f64 {
        let (lo, hi) = ((lo * 100.0).round() as i64, (hi * 100.0).round() as i64);
        let steps = (hi - lo).max(0) as usize;
        (lo + self.below(steps + 1) as i64) as f64 / 100.0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len()).min(items.len().saturating_sub(1))]
    }

    /// An index drawn with the given weights (all zero: 0).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        0
    }
}

/// Operator precedence of an expression as an operand: atoms never need parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Prec {
    Atom,
    Unary,
    Mul,
    Add,
}

#[derive(Debug, Clone)]
struct Expr {
    text: String,
    /// Upper bound of |value| on inputs in [−1, 1].
    bound: f64,
    prec: Prec,
}

impl Expr {
    fn new(text: String, bound: f64, prec: Prec) -> Expr {
        Expr { text, bound, prec }
    }

    /// The text as the left operand of an operator of precedence `p`.
    fn left(&self, p: Prec) -> String {
        if self.prec > p { format!("({})", self.text) } else { self.text.clone() }
    }

    /// The text as the right operand of an operator of precedence `p` (a negation is always
    /// parenthesized there: `a * (-b)`, not `a * -b`).
    fn right(&self, p: Prec) -> String {
        let wrap = self.prec == Prec::Unary || (self.prec >= p && self.prec != Prec::Atom);
        if wrap { format!("({})", self.text) } else { self.text.clone() }
    }
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    bound: f64,
    read: bool,
    local: bool,
}

struct Body<'c> {
    rng: Draw,
    config: &'c SyntheticConfig,
    ty: Scalar,
    /// Inputs and the locals in scope.
    vars: Vec<Var>,
    /// `(float)i` and its bound inside a loop.
    loop_leaf: Option<(String, f64)>,
    /// `w[i]` and its bound inside a loop over a coefficient array.
    array_leaf: Option<(String, f64)>,
    /// Whether the loop variable was read since the loop began.
    loop_read: bool,
    /// Whether the coefficient array was read since the loop began.
    array_read: bool,
    /// Variables read so far (to tell expressions of literals only).
    reads: usize,
    lines: Vec<String>,
    indent: usize,
    n_locals: usize,
    local_prefix: &'static str,
    loops: usize,
}

impl Body<'_> {
    fn emit(&mut self, line: String) {
        self.lines.push(format!("{}{line}", "    ".repeat(self.indent)));
    }

    /// The libm name for this program's type (`sinf` or `sin`).
    fn f(&self, name: &str) -> String {
        libm(self.ty, name)
    }

    /// A C literal of this program's type.
    fn lit(&self, v: f64) -> String {
        literal(self.ty, v)
    }

    fn constant(&mut self) -> Expr {
        let v = if self.rng.chance(0.3) {
            // Constants as people write them, π to six digits included.
            #[allow(clippy::approx_constant)]
            let nice = [0.5, 2.0, 3.0, 0.25, 1.5, 0.1, 10.0, 3.14159];
            *self.rng.pick(&nice)
        } else {
            let hundredths = 1 + self.rng.below(200) as i64;
            let sign = if self.rng.chance(0.3) { -1 } else { 1 };
            (sign * hundredths) as f64 / 100.0
        };
        let prec = if v < 0.0 { Prec::Unary } else { Prec::Atom };
        Expr::new(self.lit(v), v.abs(), prec)
    }

    /// A positive constant in [lo, hi] with two decimals.
    fn positive(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.hundredths(lo, hi)
    }

    fn leaf(&mut self) -> Expr {
        let n_inputs = self.vars.iter().filter(|v| !v.local).count();
        let n_locals = self.vars.len() - n_inputs;
        let weights = [
            5,
            if n_locals > 0 { 4 } else { 0 },
            if self.loop_leaf.is_some() { 3 } else { 0 },
            if self.array_leaf.is_some() { 3 } else { 0 },
            1,
        ];
        match self.rng.weighted(&weights) {
            0 => self.var_leaf(false),
            1 => self.var_leaf(true),
            2 => self.loop_leaf().unwrap_or_else(|| self.var_leaf(false)),
            3 => self.array_leaf().unwrap_or_else(|| self.var_leaf(false)),
            _ => self.constant(),
        }
    }

    /// `(float)i` inside a loop.
    fn loop_leaf(&mut self) -> Option<Expr> {
        let (text, bound) = self.loop_leaf.clone()?;
        self.loop_read = true;
        self.reads += 1;
        Some(Expr::new(text, bound, Prec::Atom))
    }

    /// `w[i]` inside a loop over a coefficient array.
    fn array_leaf(&mut self) -> Option<Expr> {
        let (text, bound) = self.array_leaf.clone()?;
        self.array_read = true;
        self.reads += 1;
        Some(Expr::new(text, bound, Prec::Atom))
    }

    /// An input (`local == false`) or local, preferring one not read yet.
    fn var_leaf(&mut self, local: bool) -> Expr {
        let candidates: Vec<usize> = (0..self.vars.len()).filter(|&i| self.vars[i].local == local).collect();
        let unread: Vec<usize> = candidates.iter().copied().filter(|&i| !self.vars[i].read).collect();
        let pool = if !unread.is_empty() && self.rng.chance(0.7) { &unread } else { &candidates };
        if pool.is_empty() {
            return self.constant();
        }
        let i = *self.rng.pick(pool);
        self.vars[i].read = true;
        self.reads += 1;
        Expr::new(self.vars[i].name.clone(), self.vars[i].bound, Prec::Atom)
    }

    /// `e` itself if its bound is at most `limit`, else `e` through a bounded function.
    fn squash(&mut self, e: Expr, limit: f64) -> Expr {
        if e.bound <= limit {
            return e;
        }
        match self.rng.below(4) {
            0 => Expr::new(format!("{}({})", self.f("tanh"), e.text), 1.0, Prec::Atom),
            1 => Expr::new(format!("{}({})", self.f("sin"), e.text), 1.0, Prec::Atom),
            2 => Expr::new(format!("{}({})", self.f("atan"), e.text), FRAC_PI_2, Prec::Atom),
            _ => {
                let c = *self.rng.pick(&[2.0, 4.0, 5.0]);
                let inner = Expr::new(format!("{} * {}", e.left(Prec::Mul), self.lit(1.0 / c)), e.bound / c, Prec::Mul);
                Expr::new(format!("{} * {}({})", self.lit(c), self.f("tanh"), inner.text), c, Prec::Mul)
            }
        }
    }

    fn expr(&mut self, depth: usize) -> Expr {
        if depth == 0 || self.rng.chance(0.2) {
            return self.leaf();
        }
        self.operation(depth)
    }

    /// An expression that reads a variable (a lone literal becomes a variable).
    fn varying(&mut self, depth: usize) -> Expr {
        let reads = self.reads;
        let e = self.expr(depth);
        if self.reads > reads { e } else { self.var_leaf(false) }
    }

    /// Two operands that are not the same text (`x - x` would be a constant) and not both
    /// literals.
    fn two(&mut self, d: usize) -> (Expr, Expr) {
        let reads = self.reads;
        let a = self.expr(d);
        let mut b = if self.reads > reads { self.expr(d) } else { self.varying(d) };
        for _ in 0..3 {
            if b.text != a.text {
                break;
            }
            b = self.varying(d);
        }
        (a, b)
    }

    /// An expression of `depth ≥ 1` whose top is an operation, not a leaf.
    fn operation(&mut self, depth: usize) -> Expr {
        let d = depth - 1;
        let reads = self.reads;
        let branches = self.config.branches;
        let weights = [6, 5, 2, 7, 3, 2, if branches { 1 } else { 0 }, 1];
        let e = match self.rng.weighted(&weights) {
            0 => {
                let (a, b) = self.two(d);
                let op = *self.rng.pick(&["+", "-"]);
                Expr::new(format!("{} {op} {}", a.left(Prec::Add), b.right(Prec::Add)), a.bound + b.bound, Prec::Add)
            }
            1 => {
                let (a, b) = self.two(d);
                Expr::new(format!("{} * {}", a.left(Prec::Mul), b.right(Prec::Mul)), a.bound * b.bound, Prec::Mul)
            }
            2 => self.division(d),
            3 => self.unary_call(d),
            4 => self.binary_call(d),
            5 => {
                let c = self.positive(0.05, 3.0);
                let a = self.varying(d);
                Expr::new(format!("{} * {}", self.lit(c), a.right(Prec::Mul)), c * a.bound, Prec::Mul)
            }
            6 => {
                let cond = self.condition();
                let (a, b) = self.two(d);
                Expr::new(format!("({cond} ? {} : {})", a.text, b.text), a.bound.max(b.bound), Prec::Atom)
            }
            _ => {
                let a = self.expr(d);
                Expr::new(format!("-{}", a.right(Prec::Unary)), a.bound, Prec::Unary)
            }
        };
        // Only leaves may be constant: `sinf(0.5f) * 2.0f` becomes `sinf(0.5f) * 2.0f * x1`.
        let e = if self.reads == reads {
            let local = self.vars.iter().any(|v| v.local) && self.rng.chance(0.3);
            let v = self.var_leaf(local);
            if self.rng.chance(0.5) {
                Expr::new(format!("{} + {}", e.left(Prec::Add), v.text), e.bound + v.bound, Prec::Add)
            } else {
                Expr::new(format!("{} * {}", e.left(Prec::Mul), v.text), e.bound * v.bound, Prec::Mul)
            }
        } else {
            e
        };
        self.squash(e, SOFT_BOUND)
    }

    /// `a / (c + b * b)` or `a / (c + fabsf(b))`, c in [0.5, 2]: the denominator is at least c.
    fn division(&mut self, d: usize) -> Expr {
        let a = self.expr(d);
        let b = self.expr(d.min(1));
        let c = *self.rng.pick(&[0.5, 1.0, 1.0, 2.0]);
        let denominator = if self.rng.chance(0.5) {
            format!("{} + {} * {}", self.lit(c), b.left(Prec::Mul), b.right(Prec::Mul))
        } else {
            format!("{} + {}({})", self.lit(c), self.f("fabs"), b.text)
        };
        Expr::new(format!("{} / ({denominator})", a.left(Prec::Mul)), a.bound / c, Prec::Mul)
    }

    fn unary_call(&mut self, d: usize) -> Expr {
        let a = self.varying(d);
        let call = |body: &Self, name: &str, arg: &str, bound: f64| {
            Expr::new(format!("{}({arg})", body.f(name)), bound, Prec::Atom)
        };
        match self.rng.below(12) {
            0 => call(self, "sin", &a.text, 1.0),
            1 => call(self, "cos", &a.text, 1.0),
            2 => call(self, "tanh", &a.text, 1.0),
            3 => call(self, "atan", &a.text, FRAC_PI_2),
            4 if a.bound <= EXP_ARG_BOUND => call(self, "exp", &a.text, a.bound.exp()),
            4 => {
                let inner = format!("-{}({})", self.f("fabs"), a.text);
                call(self, "exp", &inner, 1.0)
            }
            5 => {
                let arg = format!("{} + {}({})", self.lit(1.0), self.f("fabs"), a.text);
                call(self, "log", &arg, (1.0 + a.bound).ln())
            }
            6 => {
                let arg = format!("{}({})", self.f("fabs"), a.text);
                call(self, "sqrt", &arg, a.bound.sqrt())
            }
            7 => call(self, "fabs", &a.text, a.bound),
            8 => call(self, "cbrt", &a.text, a.bound.cbrt()),
            9 => {
                let arg = format!("{}({})", self.f("tanh"), a.text);
                call(self, "asin", &arg, FRAC_PI_2)
            }
            10 => {
                let arg = format!("{}({})", self.f("sin"), a.text);
                call(self, "acos", &arg, PI)
            }
            _ => call(self, "floor", &a.text, a.bound + 1.0),
        }
    }

    fn binary_call(&mut self, d: usize) -> Expr {
        let call = |body: &Self, name: &str, x: &str, y: &str, bound: f64| {
            Expr::new(format!("{}({x}, {y})", body.f(name)), bound, Prec::Atom)
        };
        let kind = self.rng.below(7);
        if kind == 4 || kind == 5 {
            // Powers read one operand only (a second one generated and dropped would leave its
            // variables marked as read).
            let a = self.varying(d);
            if kind == 4 {
                let k = 2 + self.rng.below(2) as i32;
                let exponent = self.lit(f64::from(k));
                return call(self, "pow", &a.text, &exponent, a.bound.powi(k));
            }
            let base = format!("{} + {}({})", self.lit(1.0), self.f("fabs"), a.text);
            let p = *self.rng.pick(&[0.5, 1.5]);
            let exponent = self.lit(p);
            return call(self, "pow", &base, &exponent, (1.0 + a.bound).powf(p));
        }
        let (a, b) = self.two(d);
        match kind {
            0 => call(self, "atan2", &a.text, &b.text, PI),
            1 => call(self, "fmin", &a.text, &b.text, a.bound.max(b.bound)),
            2 => call(self, "fmax", &a.text, &b.text, a.bound.max(b.bound)),
            3 => call(self, "hypot", &a.text, &b.text, a.bound.hypot(b.bound)),
            _ => {
                let divisor = format!("{} + {}({})", self.lit(1.0), self.f("fabs"), b.text);
                call(self, "fmod", &a.text, &divisor, a.bound)
            }
        }
    }

    /// A comparison of small expressions, sometimes two joined by `&&` or `||`.
    fn condition(&mut self) -> String {
        let one = |body: &mut Self| -> String {
            let a = body.varying(1);
            match body.rng.below(4) {
                0 => {
                    let b = body.expr(1);
                    let op = *body.rng.pick(&["<", ">", "<=", ">="]);
                    format!("{} {op} {}", a.text, b.text)
                }
                1 => {
                    let c = body.constant();
                    let op = *body.rng.pick(&["<", ">"]);
                    format!("{} {op} {}", a.text, c.text)
                }
                2 => {
                    let b = body.expr(1);
                    format!("{} * {} > {}", a.left(Prec::Mul), b.right(Prec::Mul), body.lit(0.0))
                }
                _ => {
                    let c = body.positive(0.1, 1.0);
                    format!("{}({}) < {}", body.f("fabs"), a.text, body.lit(c))
                }
            }
        };
        let first = one(self);
        if self.rng.chance(0.2) {
            let op = *self.rng.pick(&["&&", "||"]);
            let second = one(self);
            format!("{first} {op} {second}")
        } else {
            first
        }
    }

    fn expr_of_random_depth(&mut self) -> Expr {
        let depth = 1 + self.rng.below(self.config.max_depth.max(1));
        self.expr(depth)
    }

    fn statement(&mut self) {
        let has_locals = self.vars.iter().any(|v| v.local);
        let weights = [
            5,
            if has_locals { 3 } else { 0 },
            if self.config.branches { 2 } else { 0 },
            if self.config.loops && self.loops < 2 { 2 } else { 0 },
        ];
        match self.rng.weighted(&weights) {
            0 => self.declaration(),
            1 => self.update(),
            2 => self.if_statement(),
            _ => self.loop_statement(),
        }
    }

    fn new_local(&mut self, bound: f64) -> String {
        let name = format!("{}{}", self.local_prefix, self.n_locals);
        self.n_locals += 1;
        self.vars.push(Var { name: name.clone(), bound, read: false, local: true });
        name
    }

    fn declaration(&mut self) {
        let e = self.expr_of_random_depth();
        let name = self.new_local(e.bound);
        self.emit(format!("{} {name} = {};", self.ty.c_name(), e.text));
    }

    /// An assignment or compound assignment to an existing local.
    fn update(&mut self) {
        let locals: Vec<usize> = (0..self.vars.len()).filter(|&i| self.vars[i].local).collect();
        if locals.is_empty() {
            return self.declaration();
        }
        let i = *self.rng.pick(&locals);
        let (name, old) = (self.vars[i].name.clone(), self.vars[i].bound);
        let depth = 1 + self.rng.below(self.config.max_depth.clamp(1, 2));
        let mut e = self.varying(depth);
        if e.text == name {
            e = self.varying(depth);
        }
        let (line, bound) = match self.rng.below(4) {
            0 => (format!("{name} = {};", e.text), e.bound),
            1 if old + e.bound <= SOFT_BOUND => (format!("{name} += {};", e.text), old + e.bound),
            2 if old + e.bound <= SOFT_BOUND => (format!("{name} -= {};", e.text), old + e.bound),
            3 if old * e.bound <= SOFT_BOUND => (format!("{name} *= {};", e.text), old * e.bound),
            _ => {
                let sum = Expr::new(format!("{name} + {}", e.right(Prec::Add)), old + e.bound, Prec::Add);
                let s = self.squash(sum, SOFT_BOUND);
                (format!("{name} = {};", s.text), s.bound)
            }
        };
        self.vars[i].bound = bound;
        // The new value is not read yet (the outputs will read it if nothing else does).
        self.vars[i].read = false;
        self.emit(line);
    }

    /// `if (cond) { ... } else { ... }` assigning existing locals. Afterwards a variable's bound
    /// is the largest over the paths, and it counts as read only if every path read it.
    fn if_statement(&mut self) {
        if !self.vars.iter().any(|v| v.local) {
            self.declaration();
        }
        let cond = self.condition();
        self.emit(format!("if ({cond}) {{"));
        let before: Vec<(f64, bool)> = self.vars.iter().map(|v| (v.bound, v.read)).collect();
        self.branch_body();
        let mut merged: Vec<(f64, bool)> =
            before.iter().zip(&self.vars).map(|(b, v)| (b.0.max(v.bound), b.1 && v.read)).collect();
        if self.rng.chance(0.6) {
            let after_then: Vec<bool> = self.vars.iter().map(|v| v.read).collect();
            for (v, b) in self.vars.iter_mut().zip(&before) {
                (v.bound, v.read) = *b;
            }
            self.emit("} else {".to_string());
            self.branch_body();
            merged = merged
                .iter()
                .zip(&self.vars)
                .zip(after_then)
                .map(|((m, v), then_read)| (m.0.max(v.bound), then_read && v.read))
                .collect();
        }
        for (v, m) in self.vars.iter_mut().zip(merged) {
            (v.bound, v.read) = m;
        }
        self.emit("}".to_string());
    }

    fn branch_body(&mut self) {
        self.indent += 1;
        for _ in 0..1 + self.rng.below(2) {
            self.update();
        }
        self.indent -= 1;
    }

    /// An accumulator and a `for` loop of 2–8 iterations updating it.
    fn loop_statement(&mut self) {
        self.loops += 1;
        let n = 2 + self.rng.below(7);
        let ty = self.ty.c_name();
        let init = if self.rng.chance(0.5) { self.constant() } else { self.expr(1) };
        let acc = format!("{}{}", self.local_prefix, self.n_locals);
        self.n_locals += 1;
        self.emit(format!("{ty} {acc} = {};", init.text));
        let var = *self.rng.pick(&["i", "j", "k", "n"]);
        let mut array = None;
        if self.rng.chance(0.35) {
            let name = format!("{}{}", self.rng.pick(&["w", "coef", "kw"]), self.loops);
            let values: Vec<Expr> = (0..n).map(|_| self.constant()).collect();
            let bound = values.iter().map(|v| v.bound).fold(0.0, f64::max);
            let list: Vec<String> = values.into_iter().map(|v| v.text).collect();
            self.emit(format!("const {ty} {name}[{n}] = {{ {} }};", list.join(", ")));
            array = Some((format!("{name}[{var}]"), bound));
        }
        let one_based = array.is_none() && self.rng.chance(0.3);
        if one_based {
            self.emit(format!("for (int {var} = 1; {var} <= {n}; {var}++) {{"));
            self.loop_leaf = Some((format!("({ty}){var}"), n as f64));
        } else {
            self.emit(format!("for (int {var} = 0; {var} < {n}; {var}++) {{"));
            self.loop_leaf = Some((format!("({ty}){var}"), (n - 1) as f64));
        }
        self.array_leaf = array;
        self.loop_read = false;
        self.array_read = false;
        self.indent += 1;
        let scope = self.vars.len();
        let depth = 1 + self.rng.below(self.config.max_depth.clamp(1, 2));
        let mut b = self.expr(depth);
        // The body depends on the iteration: through the array if there is one, else through `i`.
        if self.array_leaf.is_some() && !self.array_read {
            let w = self.array_leaf().unwrap_or_else(|| self.constant());
            b = Expr::new(format!("{} * {}", w.text, b.right(Prec::Mul)), w.bound * b.bound, Prec::Mul);
        } else if !self.loop_read && !self.array_read {
            let i = self.loop_leaf().unwrap_or_else(|| self.constant());
            let c = self.positive(0.05, 0.5);
            let step = format!("{} * {}", self.lit(c), i.text);
            b = Expr::new(format!("{} + {step}", b.left(Prec::Add)), b.bound + c * i.bound, Prec::Add);
        }
        if self.rng.chance(0.3) {
            let name = self.new_local(b.bound);
            self.emit(format!("{ty} {name} = {};", b.text));
            if let Some(v) = self.vars.last_mut() {
                v.read = true;
            }
            b = Expr::new(name, b.bound, Prec::Atom);
        }
        let (line, bound) = match self.rng.below(5) {
            0 => (format!("{acc} += {};", b.text), init.bound + n as f64 * b.bound),
            1 => {
                let c = *self.rng.pick(&[0.5, 0.25, 0.75, -0.5]);
                let c_text = Expr::new(self.lit(c), c.abs(), if c < 0.0 { Prec::Unary } else { Prec::Atom });
                let line = format!("{acc} = {} * {acc} + {};", c_text.left(Prec::Mul), b.right(Prec::Add));
                (line, init.bound + b.bound / (1.0 - c.abs()))
            }
            2 => (format!("{acc} = {}({acc} + {});", self.f("tanh"), b.right(Prec::Add)), init.bound.max(1.0)),
            3 => {
                let half = self.lit(0.5);
                let line = format!("{acc} = {half} * {}({acc}) + {};", self.f("sin"), b.right(Prec::Add));
                (line, init.bound.max(0.5 + b.bound))
            }
            _ => {
                let name = *self.rng.pick(&["fmax", "fmin"]);
                (format!("{acc} = {}({acc}, {});", self.f(name), b.text), init.bound.max(b.bound))
            }
        };
        self.emit(line);
        // Locals declared in the body go out of scope.
        self.vars.truncate(scope);
        self.indent -= 1;
        self.emit("}".to_string());
        self.loop_leaf = None;
        self.array_leaf = None;
        self.vars.push(Var { name: acc.clone(), bound, read: false, local: true });
        if bound > SOFT_BOUND {
            let e = self.squash(Expr::new(acc.clone(), bound, Prec::Atom), SOFT_BOUND);
            if let Some(v) = self.vars.last_mut() {
                v.bound = e.bound;
            }
            self.emit(format!("{acc} = {};", e.text));
        }
    }

    /// An output expression: a fresh expression plus every input and local not read yet (all of
    /// them for the return value), squashed below [`OUTPUT_BOUND`].
    fn output_expr(&mut self, last: bool) -> Expr {
        let depth = 1 + self.rng.below(self.config.max_depth.max(1));
        let mut e = self.operation(depth);
        let unread: Vec<usize> = (0..self.vars.len()).filter(|&i| !self.vars[i].read).collect();
        let take = if last { unread.len() } else { unread.len().div_ceil(2) };
        for &i in unread.iter().take(take) {
            self.vars[i].read = true;
            let v = Expr::new(self.vars[i].name.clone(), self.vars[i].bound, Prec::Atom);
            let term = if self.rng.chance(0.5) {
                v
            } else {
                let c = self.positive(0.05, 2.0);
                Expr::new(format!("{} * {}", self.lit(c), v.text), c * v.bound, Prec::Mul)
            };
            let op = *self.rng.pick(&["+", "-"]);
            e = Expr::new(
                format!("{} {op} {}", e.left(Prec::Add), term.right(Prec::Add)),
                e.bound + term.bound,
                Prec::Add,
            );
        }
        self.squash(e, OUTPUT_BOUND)
    }
}
