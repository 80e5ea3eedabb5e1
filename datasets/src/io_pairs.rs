//! Input/output pairs of one program: row-major `f32` matrices of `len × n_in` and `len × n_out`.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// What is wrong with a set of I/O pairs.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IoPairsError {
    /// The flat buffers do not hold a whole number of rows of the stated widths.
    #[error(
        "I/O pairs of width {n_in}→{n_out}: {inputs} input values and {outputs} output values do not make whole rows of the same count"
    )]
    Ragged {
        /// Inputs per pair.
        n_in: usize,
        /// Outputs per pair.
        n_out: usize,
        /// Input values given.
        inputs: usize,
        /// Output values given.
        outputs: usize,
    },
    /// A pair holds NaN or an infinity.
    #[error("I/O pair {pair} holds a non-finite value ({value}) in its {side}")]
    NonFinite {
        /// Index of the pair.
        pair: usize,
        /// `"inputs"` or `"outputs"`.
        side: &'static str,
        /// The value.
        value: f32,
    },
}

/// Input/output pairs of one program.
#[derive(Debug, Clone, PartialEq)]
pub struct IoPairs {
    n_in: usize,
    n_out: usize,
    inputs: Vec<f32>,
    outputs: Vec<f32>,
}

impl IoPairs {
    /// Pairs from row-major buffers; fails if the buffers are ragged or hold NaN/inf.
    pub fn new(n_in: usize, n_out: usize, inputs: Vec<f32>, outputs: Vec<f32>) -> Result<Self, IoPairsError> {
        let ragged = IoPairsError::Ragged { n_in, n_out, inputs: inputs.len(), outputs: outputs.len() };
        if n_in == 0 || n_out == 0 || !inputs.len().is_multiple_of(n_in) || !outputs.len().is_multiple_of(n_out) {
            return Err(ragged);
        }
        if inputs.len() / n_in != outputs.len() / n_out {
            return Err(ragged);
        }
        for (side, buf, w) in [("inputs", &inputs, n_in), ("outputs", &outputs, n_out)] {
            if let Some(i) = buf.iter().position(|v| !v.is_finite()) {
                return Err(IoPairsError::NonFinite { pair: i / w, side, value: buf[i] });
            }
        }
        Ok(Self { n_in, n_out, inputs, outputs })
    }

    /// Inputs per pair.
    pub fn n_in(&self) -> usize {
        self.n_in
    }
    /// Outputs per pair.
    pub fn n_out(&self) -> usize {
        self.n_out
    }
    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.inputs.len() / self.n_in
    }
    /// True when there is no pair.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
    /// All inputs, row-major.
    pub fn inputs(&self) -> &[f32] {
        &self.inputs
    }
    /// All outputs, row-major.
    pub fn outputs(&self) -> &[f32] {
        &self.outputs
    }
    /// Inputs of pair `i`.
    pub fn input(&self, i: usize) -> &[f32] {
        &self.inputs[i * self.n_in..(i + 1) * self.n_in]
    }
    /// Outputs of pair `i`.
    pub fn output(&self, i: usize) -> &[f32] {
        &self.outputs[i * self.n_out..(i + 1) * self.n_out]
    }

    /// The pairs at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut inputs = Vec::with_capacity(indices.len() * self.n_in);
        let mut outputs = Vec::with_capacity(indices.len() * self.n_out);
        for &i in indices {
            inputs.extend_from_slice(self.input(i));
            outputs.extend_from_slice(self.output(i));
        }
        Self { n_in: self.n_in, n_out: self.n_out, inputs, outputs }
    }

    /// The same pairs with output `k` alone.
    ///
    /// # Panics
    /// If `k` is not below [`IoPairs::n_out`].
    pub fn output_column(&self, k: usize) -> Self {
        assert!(k < self.n_out, "output {k} of pairs with {} outputs", self.n_out);
        let outputs = self.outputs.iter().skip(k).step_by(self.n_out).copied().collect();
        Self { n_in: self.n_in, n_out: 1, inputs: self.inputs.clone(), outputs }
    }

    /// A seeded shuffle split: the first `fraction` of a permutation, and the rest.
    pub fn split(&self, fraction: f64, seed: u64) -> (Self, Self) {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let cut = ((self.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
        (self.select(&order[..cut]), self.select(&order[cut..]))
    }

    /// Per-column minimum and maximum of the inputs (`(lo, hi)` per input).
    pub fn input_ranges(&self) -> Vec<(f32, f32)> {
        column_ranges(&self.inputs, self.n_in)
    }
    /// Per-column minimum and maximum of the outputs.
    pub fn output_ranges(&self) -> Vec<(f32, f32)> {
        column_ranges(&self.outputs, self.n_out)
    }
}

fn column_ranges(buf: &[f32], width: usize) -> Vec<(f32, f32)> {
    let mut r = vec![(f32::INFINITY, f32::NEG_INFINITY); width];
    for row in buf.chunks_exact(width) {
        for (c, &v) in r.iter_mut().zip(row) {
            c.0 = c.0.min(v);
            c.1 = c.1.max(v);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_column_keeps_the_inputs_and_that_output() {
        let pairs = IoPairs::new(1, 2, vec![0.0, 1.0, 2.0], vec![10.0, 20.0, 11.0, 21.0, 12.0, 22.0]).unwrap();
        let second = pairs.output_column(1);
        assert_eq!((second.n_in(), second.n_out(), second.len()), (1, 1, 3));
        assert_eq!(second.inputs(), pairs.inputs());
        assert_eq!(second.outputs(), [20.0, 21.0, 22.0]);
        assert_eq!(pairs.output_column(0).outputs(), [10.0, 11.0, 12.0]);
    }

    #[test]
    fn rejects_ragged_and_nan() {
        assert!(matches!(IoPairs::new(2, 1, vec![0.0; 3], vec![0.0; 2]), Err(IoPairsError::Ragged { .. })));
        assert!(matches!(IoPairs::new(2, 1, vec![0.0; 4], vec![0.0; 3]), Err(IoPairsError::Ragged { .. })));
        let e = IoPairs::new(1, 1, vec![0.0, 1.0], vec![0.0, f32::NAN]).unwrap_err();
        assert!(matches!(e, IoPairsError::NonFinite { pair: 1, side: "outputs", value } if value.is_nan()));
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let p =
            IoPairs::new(1, 1, (0..100).map(|i| i as f32).collect(), (0..100).map(|i| -(i as f32)).collect()).unwrap();
        let (a, b) = p.split(0.8, 7);
        assert_eq!((a.len(), b.len()), (80, 20));
        let mut all: Vec<f32> = a.inputs().iter().chain(b.inputs()).copied().collect();
        all.sort_by(f32::total_cmp);
        assert_eq!(all, (0..100).map(|i| i as f32).collect::<Vec<_>>());
        for i in 0..a.len() {
            assert_eq!(a.output(i)[0], -a.input(i)[0]);
        }
        assert_eq!(p.split(0.8, 7), (a, b));
    }
}
