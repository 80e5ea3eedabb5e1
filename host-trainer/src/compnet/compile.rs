//! One C function → CompNet → its surrogate, in one forward pass on the CPU.

use burn::tensor::Device;
use compnet_datasets::signature::Signature;
use compnet_runtime::{Metadata, Surrogate};

use super::covering::training_frame;
use super::network::{CompNet, TokenBatch};

/// A compiled function.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The generated surrogate (inputs normalised from `domain`, raw outputs).
    pub surrogate: Surrogate,
    /// The generated parameters in the covering shape's flat layout (in `domain`'s frame), before
    /// cropping.
    pub params: Vec<f32>,
    /// The same as CompNet wrote them, for inputs normalised from its training frame: read on
    /// `domain`, the compiled function's shape stretched onto it (the finetuning's second start).
    pub stretched: Vec<f32>,
    /// Tokens of the source (`[CLS]` included).
    pub tokens: usize,
    /// Whether the source was longer than the CompNet reads (it saw the first `max_tokens`).
    pub truncated: bool,
}

/// Compiles the function `signature` declares, whose source is `source` (`meta` names it), for
/// inputs on `domain` (one `(lo, hi)` per input). CompNet writes the surrogate for the frame it
/// was trained in ([`training_frame`]); it is moved to `domain`'s before it is returned. The
/// source is read as `net` was trained to read it ([`CompNet::vocabulary`]).
pub fn compile(
    net: &CompNet,
    source: &str,
    signature: &Signature,
    meta: Metadata,
    domain: &[(f32, f32)],
    device: &Device,
) -> anyhow::Result<Compiled> {
    let covering = net.covering();
    let n_out = signature.n_out();
    anyhow::ensure!(
        domain.len() == signature.n_in(),
        "{} domains given for the {} inputs of {}",
        domain.len(),
        signature.n_in(),
        meta.name
    );
    anyhow::ensure!(
        covering.covers(domain.len(), n_out),
        "{} has {} inputs and {n_out} outputs, outside this CompNet's covering shape {:?}: \
         train a surrogate from random weights with `compnet fit --source … --function …` instead",
        meta.name,
        domain.len(),
        covering.widths()
    );
    let mut tokens = net
        .vocabulary()
        .encode_program(source, usize::MAX)
        .map_err(|e| anyhow::anyhow!("cannot tokenize the source of {}: {e}", meta.name))?;
    let count = tokens.len();
    tokens.truncate(net.max_tokens());
    let mut params: Vec<f32> = net
        .generate(TokenBatch::new(&[&tokens], 1, net.max_tokens(), device))
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading the generated parameters: {e:?}"))?;
    let stretched = params.clone();
    covering.reframe(&mut params, &training_frame(signature), domain);
    let surrogate = covering.surrogate(&params, meta, domain, n_out)?;
    Ok(Compiled { surrogate, params, stretched, tokens: count, truncated: count > net.max_tokens() })
}
