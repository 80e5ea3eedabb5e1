/// The nonlinearity applied after a layer's affine map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Activation {
    /// `x`
    Identity = 0,
    /// `1 / (1 + e^-x)`
    Sigmoid = 1,
    /// `tanh x`
    Tanh = 2,
    /// `max(x, 0)`
    Relu = 3,
}

impl Activation {
    /// All activations, in code order.
    pub const ALL: [Activation; 4] = [Self::Identity, Self::Sigmoid, Self::Tanh, Self::Relu];

    /// The activation stored as `code` in a blob, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(code as usize).copied()
    }

    /// Its code in a blob.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Its lower-case name (`"sigmoid"`), as used on the command line and in ONNX.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Sigmoid => "sigmoid",
            Self::Tanh => "tanh",
            Self::Relu => "relu",
        }
    }

    /// The activation called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Applies the activation to every value of `v` (one decision, then a loop the compiler
    /// vectorises).
    #[inline(always)]
    pub fn apply_all(self, v: &mut [f32]) {
        match self {
            Self::Identity => {}
            Self::Sigmoid => v.iter_mut().for_each(|x| *x = Self::Sigmoid.apply(*x)),
            Self::Tanh => v.iter_mut().for_each(|x| *x = Self::Tanh.apply(*x)),
            Self::Relu => v.iter_mut().for_each(|x| *x = Self::Relu.apply(*x)),
        }
    }

    /// Applies the activation. Sigmoid and tanh use [`exp`], this crate's own branch-free
    /// exponential, so every target (x86, Cortex-M, the batched and single-call paths) computes the
    /// same bits and the batched loops vectorise.
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Self::Identity => x,
            Self::Sigmoid => 1.0 / (1.0 + exp(-x)),
            Self::Tanh => 2.0 / (1.0 + exp(-2.0 * x)) - 1.0,
            Self::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
        }
    }
}

/// `e^x` for f32 without branches or tables (so loops over it vectorise, and a Cortex-M4F runs it in
/// a few dozen instructions): `e^x = 2^n · e^r` with `n = round(x / ln 2)` and
/// `r = x − n·ln 2 ∈ [−ln 2 / 2, ln 2 / 2]` (Cody–Waite split of ln 2), `e^r` by its degree-7 Taylor
/// polynomial (truncation error < 5e-9 relative), `2^n` built in the exponent bits. Inputs are
/// clamped to [−87, 88] (the normal f32 range), so the result is finite and never NaN for finite
/// input. Relative error ≤ 3e-7 against the exact value (tested).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = core::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_145_75; // ln 2 rounded to 17 bits: n·LN2_HI is exact
    const LN2_LO: f32 = 1.428_606_8e-6; // ln 2 − LN2_HI
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2²³: adding and subtracting it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    // Adding ROUND leaves round(x / ln 2) = n in the low mantissa bits: the bits are 0x4B40_0000 + n.
    // Reading n from the bits (not with `as i32`, whose saturation is scalar code) keeps it SIMD.
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    let two_n = shifted.to_bits().wrapping_sub(0x4B40_0000).wrapping_add(127) << 23;
    p * f32::from_bits(two_n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_code(a.code()), Some(a));
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_code(4), None);
    }

    #[test]
    fn exp_is_accurate_over_the_whole_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x <= 88.0 {
            let exact = (x as f64).exp();
            worst = worst.max(((exp(x) as f64) - exact).abs() / exact);
            x += 0.001_37;
        }
        assert!(worst < 3e-7, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1e30) > 0.0 && exp(1e30).is_finite() && exp(-200.0) >= 0.0);
    }

    #[test]
    fn values_match_f64_definitions() {
        for &x in &[-20.0f32, -3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.7, 15.0] {
            let xd = x as f64;
            assert!((Activation::Sigmoid.apply(x) as f64 - 1.0 / (1.0 + (-xd).exp())).abs() < 2e-7, "sigmoid({x})");
            assert!((Activation::Tanh.apply(x) as f64 - xd.tanh()).abs() < 3e-7, "tanh({x})");
            assert_eq!(Activation::Relu.apply(x), x.max(0.0));
            assert_eq!(Activation::Identity.apply(x), x);
        }
    }
}
