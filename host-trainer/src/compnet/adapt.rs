//! Adapting many surrogates to their own tasks in a few optimiser steps, batched over programs:
//! the inner loop of first-order meta-learning. Two users: the FOMAML baseline (one shared start,
//! adapted per program) and CompNet training's meta term (each program's generated start,
//! adapted, then judged on held-back pairs: a CompNet rewarded for starts that finetune well).
//!
//! Both are *first order*: the adapted parameters are computed off the autodiff tape, and the
//! outer gradient is the query loss's gradient at the adapted parameters, applied to the start
//! ([`first_order`]). No second derivatives, so the cost is `steps` small forward and backward
//! passes of the surrogates, not of the hypernetwork.

use burn::tensor::Tensor;

use super::covering::CoveringShape;
use super::network::{masked_mse_per_program, run_covering};

/// The inner optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InnerOptimizer {
    /// Plain gradient descent (MAML's inner loop).
    Sgd,
    /// Adam (β 0.9, 0.999, ε 1e-8), per parameter: what the evaluation's finetuning uses, so the
    /// first steps of the inner loop are the first epochs of a real finetuning.
    Adam,
}

/// `steps` optimiser steps on each program's own loss.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InnerLoop {
    /// Steps (full batch on the support pairs).
    pub steps: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Optimiser.
    pub optimizer: InnerOptimizer,
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f32 = 1e-8;

impl InnerLoop {
    /// `start [programs, n_params]` (off the tape) after the inner loop on the pairs `x`, `y`
    /// (`[programs, pairs, width]`, on an autodiff device) with output `mask [programs, 1, n_out]`.
    /// Programs never mix: each row moves along its own program's loss gradient.
    pub fn adapt(
        &self,
        covering: &CoveringShape,
        start: Tensor<2>,
        x: &Tensor<3>,
        y: &Tensor<3>,
        mask: &Tensor<3>,
    ) -> Tensor<2> {
        // Adam's moments (unused by SGD) start at zero, so step 1 needs no case of its own.
        let (mut m, mut v) = (start.zeros_like(), start.zeros_like());
        let mut phi = start;
        for t in 1..=self.steps {
            let leaf = phi.clone().autodiff().require_grad();
            let loss = summed_program_mse(covering, leaf.clone(), x.clone(), y.clone(), mask.clone());
            let g = leaf.grad(&loss.backward()).expect("the inner leaf has a gradient");
            phi = match self.optimizer {
                InnerOptimizer::Sgd => phi - g.mul_scalar(self.learning_rate),
                InnerOptimizer::Adam => {
                    m = m.mul_scalar(BETA1) + g.clone().mul_scalar(1.0 - BETA1);
                    v = v.mul_scalar(BETA2) + g.square().mul_scalar(1.0 - BETA2);
                    let m_hat = m.clone().div_scalar(1.0 - BETA1.powi(t as i32));
                    let v_hat = v.clone().div_scalar(1.0 - BETA2.powi(t as i32));
                    phi - (m_hat / (v_hat.sqrt().add_scalar(EPSILON))).mul_scalar(self.learning_rate)
                }
            };
        }
        phi
    }
}

/// Sum over programs of each program's masked MSE: each row's gradient is its own program's.
pub fn summed_program_mse(
    covering: &CoveringShape,
    params: Tensor<2>,
    x: Tensor<3>,
    y: Tensor<3>,
    mask: Tensor<3>,
) -> Tensor<1> {
    masked_mse_per_program(run_covering(covering, params, x), y, mask).sum()
}

/// The start moved to `adapted` with the move held constant: its value is `adapted`, and a loss
/// of it sends its gradient (taken at `adapted`) straight to `start` — first-order MAML's outer
/// gradient. `start` is on an autodiff device, `adapted` off the tape.
pub fn first_order(start: Tensor<2>, adapted: Tensor<2>) -> Tensor<2> {
    let shift = adapted - start.clone().inner();
    start + shift.autodiff()
}

#[cfg(test)]
mod tests {
    use burn::module::{Module, Param};
    use burn::optim::{AdamConfig, GradientsParams};
    use burn::tensor::{Device, TensorData};

    use super::*;
    use crate::compnet::network::masked_mse;

    #[derive(Module, Debug)]
    struct Bank {
        params: Param<Tensor<2>>,
    }

    /// Two programs: their starts (off the tape) and their pairs and output mask (on the tape).
    fn task(device: &Device) -> (CoveringShape, Tensor<2>, Tensor<3>, Tensor<3>, Tensor<3>) {
        let covering = CoveringShape { n_in: 2, hidden: vec![5], n_out: 2, activation: "sigmoid".into() };
        let params: Vec<f32> = [covering.random_params(7), covering.random_params(8)].concat();
        let x: Vec<f32> = (0..2 * 12 * 2).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let y: Vec<f32> = x.iter().enumerate().map(|(i, v)| if i % 4 < 2 { v.sin() } else { 0.3 * v }).collect();
        let n = covering.n_params();
        (
            covering,
            Tensor::from_data(TensorData::new(params, [2, n]), device),
            Tensor::<3>::from_data(TensorData::new(x, [2, 12, 2]), device).autodiff(),
            Tensor::<3>::from_data(TensorData::new(y, [2, 12, 2]), device).autodiff(),
            // The second program has one real output.
            Tensor::<3>::from_data(TensorData::new(vec![1.0, 1.0, 1.0, 0.0], [2, 1, 2]), device).autodiff(),
        )
    }

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The inner Adam is burn's Adam (ε 1e-8) on each program's loss, and programs never mix.
    #[test]
    fn inner_adam_is_burns_adam_per_program() {
        let (covering, start, xa, ya, ma) = task(&Device::flex());
        let inner = InnerLoop { steps: 7, learning_rate: 0.01, optimizer: InnerOptimizer::Adam };
        let ours = values(inner.adapt(&covering, start.clone(), &xa, &ya, &ma));

        let mut bank = Bank { params: Param::from_tensor(start.clone().autodiff()) };
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        for _ in 0..7 {
            let loss = summed_program_mse(&covering, bank.params.val(), xa.clone(), ya.clone(), ma.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &bank);
            bank = optim.step(0.01, bank, grads);
        }
        let burns = values(bank.params.val().inner());
        let moved = ours.iter().zip(values(start.clone())).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(moved > 0.02, "seven Adam steps of 0.01 move a parameter by about 0.07, not {moved}");
        for (a, b) in ours.iter().zip(&burns) {
            assert!((a - b).abs() < 1e-5, "inner Adam {a}, burn's Adam {b}");
        }

        // Program 1 alone adapts to what it reaches beside program 0.
        let n = covering.n_params();
        let one = |t: &Tensor<3>| t.clone().narrow(0, 1, 1);
        let alone = values(inner.adapt(&covering, start.slice([1..2, 0..n]), &one(&xa), &one(&ya), &one(&ma)));
        for (a, b) in alone.iter().zip(&ours[n..]) {
            assert!((a - b).abs() < 1e-6, "alone {a}, beside another program {b}");
        }
    }

    /// SGD steps are `φ ← φ − lr·∇`, checked against one gradient taken by hand.
    #[test]
    fn inner_sgd_step_is_a_gradient_step() {
        let (covering, start, xa, ya, ma) = task(&Device::flex());
        let inner = InnerLoop { steps: 1, learning_rate: 0.5, optimizer: InnerOptimizer::Sgd };
        let adapted = values(inner.adapt(&covering, start.clone(), &xa, &ya, &ma));
        let leaf = start.clone().autodiff().require_grad();
        let g = values(leaf.grad(&summed_program_mse(&covering, leaf.clone(), xa, ya, ma).backward()).unwrap());
        for ((a, s), g) in adapted.iter().zip(values(start)).zip(g) {
            assert!((a - (s - 0.5 * g)).abs() < 1e-6);
        }
    }

    /// The outer loss at [`first_order`]'s value is the query loss at the adapted parameters, and
    /// its gradient with respect to the start is that loss's gradient at the adapted parameters.
    #[test]
    fn first_order_sends_the_adapted_gradient_to_the_start() {
        let (covering, start, xa, ya, ma) = task(&Device::flex());
        let inner = InnerLoop { steps: 5, learning_rate: 0.05, optimizer: InnerOptimizer::Adam };
        let adapted = inner.adapt(&covering, start.clone(), &xa, &ya, &ma);

        let theta = start.clone().autodiff().require_grad();
        let moved = first_order(theta.clone(), adapted.clone());
        let outer = masked_mse(run_covering(&covering, moved, xa.clone()), ya.clone(), ma.clone());
        let at = adapted.clone().autodiff().require_grad();
        let reference = masked_mse(run_covering(&covering, at.clone(), xa), ya, ma);
        let (outer_value, reference_value): (f32, f32) = (outer.clone().into_scalar(), reference.clone().into_scalar());
        assert!((outer_value - reference_value).abs() < 1e-6 * reference_value.max(1.0));
        let g_start = values(theta.grad(&outer.backward()).unwrap());
        let g_adapted = values(at.grad(&reference.backward()).unwrap());
        assert!(g_adapted.iter().any(|g| g.abs() > 1e-4));
        for (a, b) in g_start.iter().zip(&g_adapted) {
            assert!((a - b).abs() < 1e-6, "outer gradient {a} at the start, {b} at the adapted parameters");
        }
    }
}
