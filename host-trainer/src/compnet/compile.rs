//! One C function → CompNet → its surrogate, in one forward pass on the CPU.

use burn::tensor::Device;
use compnet_datasets::c_tokens::Vocabulary;
use compnet_runtime::{Metadata, Surrogate};

use super::network::{CompNet, TokenBatch};

/// A compiled function.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The generated surrogate (inputs normalised from `domain`, raw outputs).
    pub surrogate: Surrogate,
    /// The generated parameters in the covering shape's flat layout, before cropping.
    pub params: Vec<f32>,
    /// Tokens of the source (`[CLS]` included).
    pub tokens: usize,
    /// Whether the source was longer than the CompNet reads (it saw the first `max_tokens`).
    pub truncated: bool,
}

/// Compiles the function whose source is `source` (`meta` names it) with `domain` per input
/// and `n_out` outputs.
pub fn compile(
    net: &CompNet,
    vocabulary: &Vocabulary,
    source: &str,
    meta: Metadata,
    domain: &[(f32, f32)],
    n_out: usize,
    device: &Device,
) -> anyhow::Result<Compiled> {
    let covering = net.covering();
    anyhow::ensure!(
        covering.covers(domain.len(), n_out),
        "{} has {} inputs and {n_out} outputs, outside this CompNet's covering shape {:?}: \
         train a surrogate from random weights with `compnet fit --source … --function …` instead",
        meta.name,
        domain.len(),
        covering.widths()
    );
    let mut tokens = vocabulary
        .encode_source(source, usize::MAX)
        .map_err(|e| anyhow::anyhow!("cannot tokenize the source of {}: {e}", meta.name))?;
    let count = tokens.len();
    tokens.truncate(net.max_tokens());
    let params: Vec<f32> = net
        .generate(TokenBatch::new(&[tokens.as_slice()], 1, net.max_tokens(), device))
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading the generated parameters: {e:?}"))?;
    let surrogate = covering.surrogate(&params, meta, domain, n_out)?;
    Ok(Compiled { surrogate, params, tokens: count, truncated: count > net.max_tokens() })
}
