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

    /// Applies the activation (libm's `expf`/`tanhf`, so every target computes the same bits).
    #[inline(always)]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Self::Identity => x,
            Self::Sigmoid => 1.0 / (1.0 + libm::expf(-x)),
            Self::Tanh => libm::tanhf(x),
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
    fn values_match_f64_definitions() {
        for &x in &[-20.0f32, -3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.7, 15.0] {
            let xd = x as f64;
            assert!((Activation::Sigmoid.apply(x) as f64 - 1.0 / (1.0 + (-xd).exp())).abs() < 1e-7);
            assert!((Activation::Tanh.apply(x) as f64 - xd.tanh()).abs() < 1e-7);
            assert_eq!(Activation::Relu.apply(x), x.max(0.0));
            assert_eq!(Activation::Identity.apply(x), x);
        }
    }
}
