//! The surrogate MLP as a burn module, and its conversion to the runtime's [`Surrogate`].
//!
//! The module computes exactly what `compnet_runtime` defines a surrogate to compute on
//! *normalised* values; the normalisation is kept outside the module (it is fitted from data, not
//! trained) and folded in when the module becomes a [`Surrogate`].

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{relu, sigmoid, tanh};
use burn::tensor::{Device, Tensor, TensorData};
use compnet_runtime::{Activation, Affine, Layer, Metadata, Surrogate, SurrogateError};

/// Widths and activations of a surrogate MLP.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Topology {
    /// `n_in, hidden…, n_out`.
    pub widths: Vec<usize>,
    /// One per layer (`widths.len() - 1`).
    pub activations: Vec<String>,
}

impl Topology {
    /// `n_in → hidden… → n_out` with `hidden_activation` on hidden layers and identity on the output.
    pub fn mlp(n_in: usize, hidden: &[usize], n_out: usize, hidden_activation: Activation) -> Self {
        let widths: Vec<usize> = std::iter::once(n_in).chain(hidden.iter().copied()).chain([n_out]).collect();
        let activations = (0..widths.len() - 1)
            .map(|k| if k + 2 == widths.len() { Activation::Identity } else { hidden_activation })
            .map(|a| a.name().to_owned())
            .collect();
        Self { widths, activations }
    }

    /// The activations, parsed.
    pub fn parsed_activations(&self) -> anyhow::Result<Vec<Activation>> {
        self.activations
            .iter()
            .map(|a| {
                Activation::from_name(a)
                    .ok_or_else(|| anyhow::anyhow!("unknown activation {a:?} (known: identity, sigmoid, tanh, relu)"))
            })
            .collect()
    }
}

/// The trainable surrogate MLP (on normalised inputs and outputs).
#[derive(Module, Debug)]
pub struct SurrogateMlp {
    layers: Vec<Linear>,
    #[module(skip)]
    activations: Vec<Activation>,
}

impl SurrogateMlp {
    /// A freshly initialised MLP of the given topology on `device`.
    pub fn new(topology: &Topology, device: &Device) -> anyhow::Result<Self> {
        let activations = topology.parsed_activations()?;
        anyhow::ensure!(
            topology.widths.len() >= 2 && activations.len() == topology.widths.len() - 1,
            "topology needs at least 2 widths and one activation per layer: {topology:?}"
        );
        let layers = topology.widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect();
        Ok(Self { layers, activations })
    }

    /// `[batch, n_in] → [batch, n_out]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.layers.iter().zip(&self.activations).fold(x, |h, (layer, act)| {
            let z = layer.forward(h);
            match act {
                Activation::Identity => z,
                Activation::Sigmoid => sigmoid(z),
                Activation::Tanh => tanh(z),
                Activation::Relu => relu(z),
            }
        })
    }

    /// A module computing `s`'s layers (its normalisation stays outside, as in training).
    pub fn from_surrogate(s: &Surrogate, device: &Device) -> Self {
        let layers = s
            .layers
            .iter()
            .map(|l| {
                // The runtime stores one row per output; burn wants `[d_in, d_out]`.
                let w: Vec<f32> =
                    (0..l.n_in).flat_map(|i| (0..l.n_out).map(move |o| l.weights[o * l.n_in + i])).collect();
                let weight = Tensor::<2>::from_data(TensorData::new(w, [l.n_in, l.n_out]), device);
                let bias = Tensor::<1>::from_data(TensorData::new(l.biases.clone(), [l.n_out]), device);
                let mut linear = LinearConfig::new(l.n_in, l.n_out).init(device);
                linear.weight = Param::from_tensor(weight);
                linear.bias = Some(Param::from_tensor(bias));
                linear
            })
            .collect();
        Self { layers, activations: s.layers.iter().map(|l| l.activation).collect() }
    }

    /// The runtime surrogate this module computes, with the normalisation folded in.
    pub fn to_surrogate(
        &self,
        meta: Metadata,
        domain: Vec<(f32, f32)>,
        input_norm: Affine,
        output_norm: Affine,
    ) -> Result<Surrogate, SurrogateError> {
        let layers = self
            .layers
            .iter()
            .zip(&self.activations)
            .map(|(l, &activation)| {
                // burn stores `[d_in, d_out]`; the runtime wants one row per output.
                let w = l.weight.val();
                let [n_in, n_out] = w.dims();
                let w: Vec<f32> = w.into_data().try_to_vec().expect("f32 weights");
                let weights =
                    (0..n_out).flat_map(|o| (0..n_in).map(move |i| (o, i))).map(|(o, i)| w[i * n_out + o]).collect();
                let biases = match &l.bias {
                    Some(b) => b.val().into_data().try_to_vec().expect("f32 biases"),
                    None => vec![0.0; n_out],
                };
                Layer { n_in, n_out, weights, biases, activation }
            })
            .collect();
        Surrogate::new(meta, domain, input_norm, output_norm, layers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #2 item 6: the runtime's kernel agrees with burn's forward pass to 1e-5.
    #[test]
    fn runtime_kernel_agrees_with_burn_forward() {
        let device = Device::flex();
        for (hidden, act) in
            [(vec![8], Activation::Sigmoid), (vec![16, 8], Activation::Tanh), (vec![32], Activation::Relu)]
        {
            let topo = Topology::mlp(9, &hidden, 3, act);
            let model = SurrogateMlp::new(&topo, &device).unwrap();
            let n = 257;
            let xs: Vec<f32> = (0..n * 9).map(|i| ((i * 7919 % 2001) as f32 / 1000.0) - 1.0).collect();
            let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [n, 9]), &device);
            let burn_y: Vec<f32> = model.forward(x).into_data().try_to_vec().unwrap();
            let s = model
                .to_surrogate(Metadata::named("t"), vec![(-1.0, 1.0); 9], Affine::identity(9), Affine::identity(3))
                .unwrap();
            let rt_y = s.eval_batch(&xs).unwrap();
            let worst = burn_y.iter().zip(&rt_y).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst <= 1e-5, "{hidden:?} {act:?}: max |burn − runtime| = {worst}");
        }
    }
}
