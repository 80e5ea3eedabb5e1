//! The kernel family ([`Family::Kernels`](super::Family::Kernels)): small numeric kernels of the
//! kinds approximate computing hands to neural networks, each drawn with random sizes, weights and
//! constants. Seven kinds:
//!
//! | kind | inputs | computes |
//! |---|---|---|
//! | distance | 1–4 dims, to a second vector or a constant centre | weighted L2 (or its square), L1 or L∞ |
//! | stencil | 4–9 | one or two integer-weighted sums, their magnitude, optionally clamped |
//! | phase | 1–2 | `sin`/`cos` of an affine angle, one or both |
//! | geometry | 2 | planar: a two-link arm's angles (law of cosines), polar angle and radius, a radial bump |
//! | polynomial | 1–2 | a Horner polynomial of degree 2–5, or a bilinear form |
//! | neuron | 1–6 | sigmoid, `tanh` or (scaled) ReLU of an affine sum |
//! | blend | 1–3 | a clamped linear interpolation or a smoothstep |
//!
//! These are the neighbourhood of ParrotBench's programs (sobel is a stencil magnitude, kmeans a
//! distance, fft a phase, inversek2j the arm): a CompNet trained on them measures what covering a
//! benchmark's kind of function buys, not how a CompNet trained on a general corpus generalises.
//! None of ParrotBench's sources is generated (the texts differ: one function, the program's own
//! type throughout, return value first), and the weights are drawn, so a kernel rarely computes a
//! ParrotBench function exactly.
//!
//! Every program runs in the interpreter ([`crate::c_eval`]) as well as through the harness, and
//! is safe on inputs in [−1, 1] by construction: square roots of non-negative sums, `acos`/`asin`
//! of clamped arguments, division by `r2 + 0.01`; outputs stay below
//! [`OUTPUT_BOUND`](super::OUTPUT_BOUND) in magnitude.

use std::fmt;
use std::str::FromStr;

use super::{Draw, OUTPUT_BOUND, SyntheticProgram, header, input_names, libm, literal, signature};
use crate::signature::Scalar;

/// One of the family's seven kinds, by name (`compnet dataset synthetic --kernels --kinds
/// distance,stencil` draws those alone, e.g. for a curriculum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KernelKind {
    /// Weighted L2 (or its square), L1 or L∞ distances.
    Distance,
    /// Integer-weighted sums of 4–9 inputs and their magnitude.
    Stencil,
    /// `sin`/`cos` of an affine angle.
    Phase,
    /// A two-link arm's angles, polar angle and radius, a radial bump.
    Geometry,
    /// Horner polynomials and bilinear forms.
    Polynomial,
    /// Sigmoid, `tanh` or ReLU of an affine sum.
    Neuron,
    /// Clamped interpolations and smoothsteps.
    Blend,
}

impl KernelKind {
    /// The seven kinds, in the module table's order.
    pub const ALL: [KernelKind; 7] = [
        KernelKind::Distance,
        KernelKind::Stencil,
        KernelKind::Phase,
        KernelKind::Geometry,
        KernelKind::Polynomial,
        KernelKind::Neuron,
        KernelKind::Blend,
    ];

    /// The kind's name, as `--kinds` reads it.
    pub fn name(self) -> &'static str {
        match self {
            KernelKind::Distance => "distance",
            KernelKind::Stencil => "stencil",
            KernelKind::Phase => "phase",
            KernelKind::Geometry => "geometry",
            KernelKind::Polynomial => "polynomial",
            KernelKind::Neuron => "neuron",
            KernelKind::Blend => "blend",
        }
    }

    /// How often the family draws it, relative to the others.
    fn weight(self) -> u32 {
        match self {
            KernelKind::Distance | KernelKind::Stencil => 3,
            KernelKind::Phase | KernelKind::Geometry | KernelKind::Polynomial => 2,
            KernelKind::Neuron | KernelKind::Blend => 1,
        }
    }
}

impl fmt::Display for KernelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KernelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        KernelKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<&str> = KernelKind::ALL.iter().map(|k| k.name()).collect();
            format!("unknown kernel kind `{s}` (the kinds: {})", names.join(", "))
        })
    }
}

/// Program `index` of the kernel family, drawn from `rng` (the program's own stream), of one of
/// `kinds` (all seven when empty). With all seven the stream is the same as with none named.
pub(super) fn generate(rng: &mut Draw, name: String, index: u64, seed: u64, kinds: &[KernelKind]) -> SyntheticProgram {
    let ty = if rng.chance(0.5) { Scalar::Double } else { Scalar::Float };
    let kind = Kind::draw(rng, kinds);
    let n_in = kind.inputs();
    let scheme = rng.below(4);
    let mut k = Kernel { rng, ty, x: input_names(scheme, n_in), lines: Vec::new(), out: None };
    match kind {
        Kind::Distance { dims, paired } => k.distance(dims, paired),
        Kind::Stencil { .. } => k.stencil(),
        Kind::Phase { .. } => k.phase(),
        Kind::Geometry => k.geometry(),
        Kind::Polynomial { .. } => k.polynomial(),
        Kind::Neuron { .. } => k.neuron(),
        Kind::Blend { .. } => k.blend(),
    }
    let signature = signature(&name, ty, &k.x, k.out);
    let mut source = header(&signature, index, seed);
    for line in &k.lines {
        source.push_str("    ");
        source.push_str(line);
        source.push('\n');
    }
    source.push_str("}\n");
    SyntheticProgram { name, source, signature }
}

/// What a kernel computes, with the shape that fixes its inputs.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Distance { dims: usize, paired: bool },
    Stencil { inputs: usize },
    Phase { inputs: usize },
    Geometry,
    Polynomial { inputs: usize },
    Neuron { inputs: usize },
    Blend { inputs: usize },
}

impl Kind {
    /// A kind of `allowed` (all when empty), by [`KernelKind::weight`], and its shape.
    fn draw(rng: &mut Draw, allowed: &[KernelKind]) -> Kind {
        let weights = KernelKind::ALL.map(|k| if allowed.is_empty() || allowed.contains(&k) { k.weight() } else { 0 });
        match KernelKind::ALL[rng.weighted(&weights)] {
            KernelKind::Distance => {
                let dims = 1 + rng.below(4);
                Kind::Distance { dims, paired: rng.chance(0.6) }
            }
            KernelKind::Stencil => Kind::Stencil { inputs: 4 + rng.below(6) },
            KernelKind::Phase => Kind::Phase { inputs: 1 + usize::from(rng.chance(0.3)) },
            KernelKind::Geometry => Kind::Geometry,
            KernelKind::Polynomial => Kind::Polynomial { inputs: 1 + usize::from(rng.chance(0.3)) },
            KernelKind::Neuron => Kind::Neuron { inputs: 1 + rng.below(6) },
            KernelKind::Blend => Kind::Blend { inputs: 1 + 2 * usize::from(rng.chance(0.5)) },
        }
    }

    /// The number of input parameters.
    fn inputs(self) -> usize {
        match self {
            Kind::Distance { dims, paired } => {
                if paired {
                    2 * dims
                } else {
                    dims
                }
            }
            Kind::Geometry => 2,
            Kind::Stencil { inputs }
            | Kind::Phase { inputs }
            | Kind::Polynomial { inputs }
            | Kind::Neuron { inputs }
            | Kind::Blend { inputs } => inputs,
        }
    }
}

/// A kernel's body being written.
struct Kernel<'r> {
    rng: &'r mut Draw,
    ty: Scalar,
    /// The input names.
    x: Vec<String>,
    lines: Vec<String>,
    /// The out-pointer's name, when the kernel writes a second output.
    out: Option<&'static str>,
}

impl Kernel<'_> {
    fn lit(&self, v: f64) -> String {
        literal(self.ty, v)
    }

    fn f(&self, name: &str) -> String {
        libm(self.ty, name)
    }

    /// `T name = value;`
    fn local(&mut self, name: &str, value: String) {
        self.lines.push(format!("{} {name} = {value};", self.ty.c_name()));
    }

    /// `if (v > hi) { v = hi; }` and the same below `lo`.
    fn clamp(&mut self, v: &str, lo: f64, hi: f64) {
        let (lo, hi) = (self.lit(lo), self.lit(hi));
        self.lines.push(format!("if ({v} > {hi}) {{ {v} = {hi}; }}"));
        self.lines.push(format!("if ({v} < {lo}) {{ {v} = {lo}; }}"));
    }

    /// A second output through `*out`, written before the return.
    fn second(&mut self, value: String) {
        let out = *self.rng.pick(&["out", "aux", "second"]);
        self.out = Some(out);
        self.lines.push(format!("*{out} = {value};"));
    }

    /// `±v` with `v` of two decimals in [lo, hi], negative with probability `p_negative`.
    fn signed(&mut self, lo: f64, hi: f64, p_negative: f64) -> f64 {
        let v = self.rng.hundredths(lo, hi);
        if self.rng.chance(p_negative) { -v } else { v }
    }

    /// ` + c` or ` - |c|`: a constant term after the first.
    fn constant_term(&self, c: f64) -> String {
        if c < 0.0 { format!(" - {}", self.lit(-c)) } else { format!(" + {}", self.lit(c)) }
    }

    /// `c * term` (`term` alone for a weight of 1, `-term` for −1) as the first term of a sum,
    /// or ` + c * term` / ` - c * term` after it.
    fn term(&self, first: bool, c: f64, term: &str) -> String {
        let body = if c.abs() == 1.0 { term.to_string() } else { format!("{} * {term}", self.lit(c.abs())) };
        match (first, c < 0.0) {
            (true, false) => body,
            (true, true) => format!("-{body}"),
            (false, false) => format!(" + {body}"),
            (false, true) => format!(" - {body}"),
        }
    }

    /// A weighted distance between the first `dims` inputs and the next `dims` (`paired`) or a
    /// constant centre.
    fn distance(&mut self, dims: usize, paired: bool) {
        let mut diff_bound = 2.0;
        for k in 0..dims {
            let rhs = if paired {
                self.x[dims + k].clone()
            } else {
                let c = self.signed(0.0, 1.0, 0.5);
                diff_bound = f64::max(diff_bound, 1.0 + c.abs());
                if c < 0.0 { format!("({})", self.lit(c)) } else { self.lit(c) }
            };
            let value = format!("{} - {rhs}", self.x[k]);
            self.local(&format!("d{k}"), value);
        }
        let weights: Vec<f64> =
            (0..dims).map(|_| if self.rng.chance(0.4) { 1.0 } else { self.rng.hundredths(0.25, 2.0) }).collect();
        let total: f64 = weights.iter().sum();
        match self.rng.weighted(&[5, 2, 2, 1]) {
            // L2 or its square
            r @ (0 | 1) => {
                let sum: String =
                    weights.iter().enumerate().map(|(k, &w)| self.term(k == 0, w, &format!("d{k} * d{k}"))).collect();
                self.local("sum", sum);
                let square_bound = total * diff_bound * diff_bound;
                if r == 0 {
                    let value = format!("{}(sum)", self.f("sqrt"));
                    self.local("dist", value);
                } else {
                    let scale = scale_below(square_bound);
                    let value = if scale == 1.0 { "sum".to_string() } else { format!("{} * sum", self.lit(scale)) };
                    self.local("dist", value);
                }
            }
            // L1
            2 => {
                let fabs = self.f("fabs");
                let sum: String =
                    weights.iter().enumerate().map(|(k, &w)| self.term(k == 0, w, &format!("{fabs}(d{k})"))).collect();
                let scale = scale_below(total * diff_bound);
                let value = if scale == 1.0 { sum } else { format!("{} * ({sum})", self.lit(scale)) };
                self.local("dist", value);
            }
            // L∞
            _ => {
                let fabs = self.f("fabs");
                self.local("dist", format!("{fabs}(d0)"));
                for k in 1..dims {
                    let value = format!("dist = {}(dist, {fabs}(d{k}));", self.f("fmax"));
                    self.lines.push(value);
                }
            }
        }
        if self.rng.chance(0.3) {
            let one = self.lit(1.0);
            self.second(format!("{one} / ({one} + dist)"));
        }
        self.lines.push("return dist;".into());
    }

    /// One or two integer-weighted sums of the inputs, their magnitude, optionally clamped.
    fn stencil(&mut self) {
        let n = self.x.len();
        let two = self.rng.chance(0.8);
        let mut bound = 0.0;
        for g in 0..1 + usize::from(two) {
            let mut c: Vec<i32> = (0..n).map(|_| [0, 0, 0, 1, 1, -1, -1, 2, -2][self.rng.below(9)]).collect();
            while c.iter().filter(|&&v| v != 0).count() < 2 {
                let at = self.rng.below(n);
                c[at] = if self.rng.chance(0.5) { 1 } else { -1 };
            }
            let weight_sum: i32 = c.iter().map(|v| v.abs()).sum();
            bound = f64::max(bound, weight_sum as f64);
            let name = ["gx", "gy"][g];
            let grouped = self.rng.chance(0.5);
            let value = self.weighted_sum(&c, grouped);
            self.local(name, value);
        }
        let (value, bound) = if two {
            let fabs = self.f("fabs");
            match self.rng.weighted(&[3, 1, 1]) {
                0 => (format!("{}(gx * gx + gy * gy)", self.f("sqrt")), bound * std::f64::consts::SQRT_2),
                1 => (format!("{fabs}(gx) + {fabs}(gy)"), 2.0 * bound),
                _ => (format!("{}({fabs}(gx), {fabs}(gy))", self.f("fmax")), bound),
            }
        } else if self.rng.chance(0.5) {
            (format!("{}(gx)", self.f("fabs")), bound)
        } else {
            ("gx".to_string(), bound)
        };
        let scale = scale_below(bound);
        let value = if scale == 1.0 { value } else { format!("{} * {value}", self.lit(scale)) };
        self.local("mag", value);
        if self.rng.chance(0.5) {
            let cap = self.rng.hundredths(0.2, f64::min(3.0, bound * scale));
            let cap = self.lit(cap);
            self.lines.push(format!("if (mag > {cap}) {{ mag = {cap}; }}"));
        }
        self.lines.push("return mag;".into());
    }

    /// `(x2 + 2 * x5 + x8) - (x0 + 2 * x3 + x6)`: the positive weights' terms minus the
    /// negative ones' (`grouped`, when there are both), or one signed sum.
    fn weighted_sum(&self, c: &[i32], grouped: bool) -> String {
        let terms = |sign: i32| -> String {
            let mut s = String::new();
            for (k, &v) in c.iter().enumerate().filter(|(_, v)| v.signum() == sign) {
                s.push_str(&self.term(s.is_empty(), v.abs() as f64, &self.x[k]));
            }
            s
        };
        let (pos, neg) = (terms(1), terms(-1));
        if grouped && !pos.is_empty() && !neg.is_empty() {
            format!("({pos}) - ({neg})")
        } else {
            let mut s = String::new();
            for (k, &v) in c.iter().enumerate().filter(|(_, v)| **v != 0) {
                s.push_str(&self.term(s.is_empty(), v as f64, &self.x[k]));
            }
            s
        }
    }

    /// `sin` and/or `cos` of an affine angle.
    fn phase(&mut self) {
        let c = self.signed(0.3, 7.0, 0.5);
        let mut angle = self.term(true, c, &self.x[0]);
        if self.x.len() > 1 {
            let c = self.signed(0.3, 3.0, 0.5);
            angle.push_str(&self.term(false, c, &self.x[1]));
        }
        if self.rng.chance(0.4) {
            // Offsets up to π in two decimals.
            #[allow(clippy::approx_constant)]
            let p = self.signed(0.01, 3.14, 0.5);
            angle.push_str(&self.constant_term(p));
        }
        self.local("angle", angle);
        let amplitude = if self.rng.chance(0.6) { 1.0 } else { self.rng.hundredths(0.2, 3.0) };
        let (first, other) = if self.rng.chance(0.5) { ("sin", "cos") } else { ("cos", "sin") };
        let wave = |k: &Self, f: &str| {
            let call = format!("{}(angle)", k.f(f));
            if amplitude == 1.0 { call } else { format!("{} * {call}", k.lit(amplitude)) }
        };
        if self.rng.chance(0.6) {
            let second = wave(self, other);
            self.second(second);
        }
        let value = wave(self, first);
        self.lines.push(format!("return {value};"));
    }

    /// Planar geometry of the point (x, y): a two-link arm's joint angles, polar coordinates, or
    /// a radial bump.
    fn geometry(&mut self) {
        let (x, y) = (self.x[0].clone(), self.x[1].clone());
        self.local("r2", format!("{x} * {x} + {y} * {y}"));
        match self.rng.weighted(&[3, 2, 1]) {
            0 => {
                let (l1, l2) = (self.rng.hundredths(0.3, 0.8), self.rng.hundredths(0.3, 0.8));
                self.local("l1", self.lit(l1));
                self.local("l2", self.lit(l2));
                self.local("cosine", format!("(r2 - l1 * l1 - l2 * l2) / ({} * l1 * l2)", self.lit(2.0)));
                self.clamp("cosine", -1.0, 1.0);
                self.local("elbow", format!("{}(cosine)", self.f("acos")));
                if self.rng.chance(0.7) {
                    self.local("k1", format!("l1 + l2 * {}(elbow)", self.f("cos")));
                    self.local("k2", format!("l2 * {}(elbow)", self.f("sin")));
                    self.local("ratio", format!("({y} * k1 - {x} * k2) / (r2 + {})", self.lit(0.01)));
                    self.clamp("ratio", -1.0, 1.0);
                    self.local("shoulder", format!("{}(ratio)", self.f("asin")));
                    self.second("elbow".into());
                    self.lines.push("return shoulder;".into());
                } else {
                    self.lines.push("return elbow;".into());
                }
            }
            1 => {
                self.local("radius", format!("{}(r2)", self.f("sqrt")));
                self.local("theta", format!("{}({y}, {x})", self.f("atan2")));
                if self.rng.chance(0.5) {
                    self.second("radius".into());
                }
                self.lines.push("return theta;".into());
            }
            _ => {
                let k = self.rng.hundredths(0.5, 4.0);
                self.lines.push(format!("return {}(-{} * r2);", self.f("exp"), self.lit(k)));
            }
        }
    }

    /// A Horner polynomial of one input, or a bilinear form of two.
    fn polynomial(&mut self) {
        if self.x.len() == 2 {
            let (x, y) = (self.x[0].clone(), self.x[1].clone());
            let c: Vec<f64> = (0..4).map(|_| self.signed(0.05, 1.9, 0.5)).collect();
            let mut s = self.term(true, c[0], &format!("{x} * {y}"));
            s.push_str(&self.term(false, c[1], &x));
            s.push_str(&self.term(false, c[2], &y));
            s.push_str(&self.constant_term(c[3]));
            self.lines.push(format!("return {s};"));
            return;
        }
        let x = self.x[0].clone();
        let degree = 2 + self.rng.below(4);
        let cap = f64::min(2.0, (OUTPUT_BOUND - 0.5) / (degree + 1) as f64);
        let c: Vec<f64> = (0..=degree).map(|_| self.signed(0.05, cap, 0.5)).collect();
        self.local("acc", self.lit(c[0]));
        for &ck in &c[1..] {
            let add = self.constant_term(ck);
            self.lines.push(format!("acc = acc * {x}{add};"));
        }
        self.lines.push("return acc;".into());
    }

    /// An activation of `w · x + b`.
    fn neuron(&mut self) {
        let mut z = String::new();
        let mut bound = 0.0;
        for k in 0..self.x.len() {
            let w = self.signed(0.1, 2.0, 0.5);
            bound += w.abs();
            z.push_str(&self.term(k == 0, w, &self.x[k]));
        }
        let b = self.signed(0.0, 1.0, 0.5);
        bound += b.abs();
        z.push_str(&self.constant_term(b));
        self.local("z", z);
        let one = self.lit(1.0);
        let value = match self.rng.below(3) {
            0 => format!("{one} / ({one} + {}(-z))", self.f("exp")),
            1 => format!("{}(z)", self.f("tanh")),
            _ => {
                let scale = scale_below(bound);
                let relu = format!("{}(z, {})", self.f("fmax"), self.lit(0.0));
                if scale == 1.0 { relu } else { format!("{} * {relu}", self.lit(scale)) }
            }
        };
        self.lines.push(format!("return {value};"));
    }

    /// A linear interpolation between two inputs by a clamped third, or a smoothstep of one.
    fn blend(&mut self) {
        if self.x.len() == 3 {
            let (a, b, t) = (self.x[0].clone(), self.x[1].clone(), self.x[2].clone());
            let (shift, gain) = (self.rng.hundredths(0.0, 0.5), self.rng.hundredths(0.5, 2.0));
            self.local("u", format!("({t} + {}) * {}", self.lit(shift), self.lit(gain)));
            self.clamp("u", 0.0, 1.0);
            self.lines.push(format!("return {a} + u * ({b} - {a});"));
        } else {
            let x = self.x[0].clone();
            let e0 = self.signed(0.0, 0.9, 0.7);
            let width = self.rng.hundredths(0.2, 1.5);
            self.local("u", format!("({x} - ({})) / {}", self.lit(e0), self.lit(width)));
            self.clamp("u", 0.0, 1.0);
            let three = self.lit(3.0);
            self.lines.push(format!("return u * u * ({three} - {} * u);", self.lit(2.0)));
        }
    }
}

/// A two-decimal factor that takes a value bounded by `bound` below [`OUTPUT_BOUND`] (1 when it
/// already is).
fn scale_below(bound: f64) -> f64 {
    if bound <= OUTPUT_BOUND { 1.0 } else { (OUTPUT_BOUND / bound * 100.0).floor() / 100.0 }
}
