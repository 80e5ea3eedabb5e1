//! The paper's evaluation protocol: initialisations (CPN, RND, PTS, MAML) finetuned on growing
//! shares of each program's data, many surrogates at once.
//!
//! * [`finetune`]: batched finetuning with best-validation selection.
//! * [`baselines`]: the PTS and FOMAML initialisations.
//! * [`protocol`]: sizes × methods × programs × trials, improvements and epochs to target.
//! * [`interval`]: how far an improvement moves with the trials (a paired bootstrap).
//! * [`report`]: Markdown tables beside the paper's figures, plots.
//! * [`colour`]: the colour-quantization application (kmeans), MSE and SSIM.

pub mod baselines;
pub mod colour;
pub mod finetune;
pub mod interval;
pub mod protocol;
pub mod report;
