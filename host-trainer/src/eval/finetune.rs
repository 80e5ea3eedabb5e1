//! Finetuning many surrogates at once: every (program, trial) is one row of a parameter tensor
//! `[surrogates, n_params]` of the covering shape, trained by Adam on its own pairs in one batched
//! tensor program. Each surrogate keeps the test loss of its lowest-validation epoch.

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};

use crate::compnet::CoveringShape;
use crate::compnet::network::run_covering;

/// One set of pairs (train, validation or test) for every surrogate, padded to the longest:
/// `x [m, n, n_in]`, `y [m, n, n_out]`, and `w [m, n, 1]` (1 for a real pair, 0 for padding).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PairBlock {
    /// Pairs per surrogate after padding.
    pub n: usize,
    /// Inputs, normalised and padded to the covering inputs.
    pub x: Vec<f32>,
    /// Outputs, padded to the covering outputs.
    pub y: Vec<f32>,
    /// Pair weights.
    pub w: Vec<f32>,
}

impl PairBlock {
    /// Packs per-surrogate pair lists (`(inputs, outputs)` row-major, covering widths).
    pub fn pack(sets: &[(Vec<f32>, Vec<f32>)], n_in: usize, n_out: usize) -> PairBlock {
        let n = sets.iter().map(|(x, _)| x.len() / n_in).max().unwrap_or(0).max(1);
        let mut block = PairBlock { n, ..PairBlock::default() };
        for (x, y) in sets {
            let k = x.len() / n_in;
            block.x.extend_from_slice(x);
            block.x.resize(block.x.len() + (n - k) * n_in, 0.0);
            block.y.extend_from_slice(y);
            block.y.resize(block.y.len() + (n - k) * n_out, 0.0);
            block.w.extend((0..n).map(|i| if i < k { 1.0 } else { 0.0 }));
        }
        block
    }

    /// On the device, each surrogate's pairs cut into `chunks` rows of at most [`CHUNK_PAIRS`]
    /// (the last padded with weight 0): `x [m · chunks, CHUNK_PAIRS, n_in]`, ….
    fn upload(&self, m: usize, n_in: usize, n_out: usize, device: &Device) -> DeviceBlock {
        let chunks = self.n.div_ceil(CHUNK_PAIRS);
        let rows = if chunks > 1 { CHUNK_PAIRS } else { self.n };
        let pad = |v: &[f32], width: usize| -> Vec<f32> {
            if chunks * rows == self.n {
                return v.to_vec();
            }
            let mut out = vec![0.0; m * chunks * rows * width];
            for (s, row) in v.chunks(self.n * width).enumerate() {
                out[s * chunks * rows * width..][..row.len()].copy_from_slice(row);
            }
            out
        };
        let shape = |width: usize| [m * chunks, rows, width];
        DeviceBlock {
            chunks,
            x: Tensor::from_data(TensorData::new(pad(&self.x, n_in), shape(n_in)), device),
            y: Tensor::from_data(TensorData::new(pad(&self.y, n_out), shape(n_out)), device),
            w: Tensor::from_data(TensorData::new(pad(&self.w, 1), shape(1)), device),
        }
    }
}

/// Pairs per row of a surrogate's block on the device. A surrogate with 200,000 pairs in one
/// row makes every reduction over pairs (the loss, the weights' gradients) a long, narrow one
/// that a GPU runs slowly; cut into rows of this many, its copies (one per row, their gradients
/// summed by the copy's backward) run as a wide batch, as CompNet training's 1,024 pairs do.
const CHUNK_PAIRS: usize = 2048;

struct DeviceBlock {
    /// Rows per surrogate.
    chunks: usize,
    x: Tensor<3>,
    y: Tensor<3>,
    w: Tensor<3>,
}

/// The surrogates' tasks: their pairs and which outputs are real.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tasks {
    /// Surrogates.
    pub m: usize,
    /// Training pairs.
    pub train: PairBlock,
    /// Validation pairs (best-epoch selection).
    pub val: PairBlock,
    /// Test pairs.
    pub test: PairBlock,
    /// `[m, n_out]`: 1 on real outputs.
    pub out_mask: Vec<f32>,
}

/// Finetuning settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FinetuneConfig {
    /// Full-batch Adam steps (epochs).
    pub epochs: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Test losses are recorded every this many epochs (for the epochs-to-target measure).
    pub record_every: usize,
}

/// What finetuning measured per surrogate.
#[derive(Debug, Clone, PartialEq)]
pub struct FinetuneResult {
    /// Test loss of the initialisation (epoch 0).
    pub initial_test: Vec<f64>,
    /// Test loss at the lowest-validation epoch (epoch 0 included).
    pub best_test: Vec<f64>,
    /// That lowest validation loss.
    pub best_val: Vec<f64>,
    /// That epoch.
    pub best_epoch: Vec<usize>,
    /// `(epoch, test loss per surrogate)`, every `record_every` epochs, epoch 0 first.
    pub curve: Vec<(usize, Vec<f64>)>,
    /// `[m, n_params]`: each surrogate's parameters at its lowest-validation epoch.
    pub best_params: Vec<f32>,
}

/// The trainable parameters of all surrogates.
#[derive(Module, Debug)]
struct SurrogateBank {
    params: Param<Tensor<2>>,
}

/// `[m]`: each surrogate's mean squared error over its real pairs and outputs.
fn loss_per_surrogate(covering: &CoveringShape, params: Tensor<2>, b: &DeviceBlock, out_mask: &Tensor<3>) -> Tensor<1> {
    let [m, n_params] = params.dims();
    let c = b.chunks;
    // One copy of a surrogate's parameters per row of its pairs.
    let copies =
        if c > 1 { params.reshape([m, 1, n_params]).repeat_dim(1, c).reshape([m * c, n_params]) } else { params };
    let n_out = out_mask.dims()[2];
    let out_mask = out_mask.clone().reshape([m, 1, 1, n_out]);
    let per_row = |t: Tensor<3>| {
        let [_, rows, width] = t.dims();
        t.reshape([m, c, rows, width])
    };
    let err = per_row((run_covering(covering, copies, b.x.clone()) - b.y.clone()).square()) * out_mask.clone();
    let w = per_row(b.w.clone());
    let count = (w.clone().sum_dim(2).sum_dim(1) * out_mask.sum_dim(3)).reshape([m]).clamp_min(1.0);
    (err * w).sum_dim(3).sum_dim(2).sum_dim(1).reshape([m]) / count
}

fn read(t: Tensor<1>) -> anyhow::Result<Vec<f64>> {
    Ok(t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| anyhow::anyhow!("reading losses: {e:?}"))?
        .into_iter()
        .map(f64::from)
        .collect())
}

/// Finetunes `m` surrogates from `init` (`[m, n_params]` row-major) on `tasks`.
pub fn finetune(
    covering: &CoveringShape,
    init: &[f32],
    tasks: &Tasks,
    config: &FinetuneConfig,
    device: &Device,
) -> anyhow::Result<FinetuneResult> {
    let (m, n_params) = (tasks.m, covering.n_params());
    anyhow::ensure!(init.len() == m * n_params, "{} initial parameters for {m} surrogates of {n_params}", init.len());
    let (n_in, n_out) = (covering.n_in, covering.n_out);
    let train_device = device.clone().autodiff();
    let train = tasks.train.upload(m, n_in, n_out, &train_device);
    let val = tasks.val.upload(m, n_in, n_out, device);
    let test = tasks.test.upload(m, n_in, n_out, device);
    let out_mask_train = Tensor::<3>::from_data(TensorData::new(tasks.out_mask.clone(), [m, 1, n_out]), &train_device);
    let out_mask = Tensor::<3>::from_data(TensorData::new(tasks.out_mask.clone(), [m, 1, n_out]), device);

    let mut bank = SurrogateBank {
        params: Param::from_tensor(Tensor::from_data(TensorData::new(init.to_vec(), [m, n_params]), &train_device)),
    };
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
    let val_loss = |p: Tensor<2>| loss_per_surrogate(covering, p, &val, &out_mask);
    let test_loss = |p: Tensor<2>| loss_per_surrogate(covering, p, &test, &out_mask);
    let mut best_params = bank.params.val().inner();
    let mut best_val = val_loss(best_params.clone());
    let t0 = test_loss(best_params.clone());
    let mut best_epoch = Tensor::<1>::zeros([m], device);
    let mut recorded = vec![(0usize, t0.clone())];
    for epoch in 1..=config.epochs {
        // Sum over surrogates: each row's gradient is its own loss's gradient.
        let loss = loss_per_surrogate(covering, bank.params.val(), &train, &out_mask_train).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &bank);
        bank = optim.step(config.learning_rate, bank, grads);
        let params = bank.params.val().inner();
        let v = val_loss(params.clone());
        let better = v.clone().lower(best_val.clone());
        best_val = best_val.mask_where(better.clone(), v);
        best_epoch = best_epoch.mask_where(better.clone(), Tensor::<1>::full([m], epoch as f32, device));
        let rows = better.reshape([m, 1]).repeat_dim(1, n_params);
        best_params = best_params.mask_where(rows, params.clone());
        // The test set is read only where a curve point is recorded, and once for the kept
        // parameters below: selection never sees it, and an epoch costs a training and a
        // validation pass.
        if epoch % config.record_every.max(1) == 0 || epoch == config.epochs {
            recorded.push((epoch, test_loss(params)));
        }
    }
    let best_test = test_loss(best_params.clone());
    let curve = recorded.into_iter().map(|(e, t)| Ok((e, read(t)?))).collect::<anyhow::Result<Vec<_>>>()?;
    Ok(FinetuneResult {
        initial_test: read(t0)?,
        best_test: read(best_test)?,
        best_val: read(best_val)?,
        best_epoch: read(best_epoch)?.into_iter().map(|e| e as usize).collect(),
        curve,
        best_params: best_params
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading parameters: {e:?}"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two surrogates finetuned together reach what each reaches alone (rows are independent),
    /// and a surrogate already at its target keeps its epoch-0 test loss as the best.
    #[test]
    fn rows_are_independent_and_best_epoch_is_kept() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![4], n_out: 1, activation: "tanh".into() };
        let n = covering.n_params();
        let task = |k: f32| {
            let x: Vec<f32> = (0..40).map(|i| ((i * 7 % 13) as f32 / 6.5) - 1.0).collect();
            let y: Vec<f32> = x.chunks(2).map(|p| (k * p[0]).sin() + p[1] * 0.5).collect();
            (x, y)
        };
        let (a, b) = (task(1.0), task(2.5));
        let split = |t: &(Vec<f32>, Vec<f32>)| {
            ((t.0[..30].to_vec(), t.1[..15].to_vec()), (t.0[30..].to_vec(), t.1[15..].to_vec()))
        };
        let (a_tr, a_va) = split(&a);
        let (b_tr, b_va) = split(&b);
        let both = Tasks {
            m: 2,
            train: PairBlock::pack(&[a_tr.clone(), b_tr.clone()], 2, 1),
            val: PairBlock::pack(&[a_va.clone(), b_va.clone()], 2, 1),
            test: PairBlock::pack(&[a_va.clone(), b_va.clone()], 2, 1),
            out_mask: vec![1.0, 1.0],
        };
        let only_b = Tasks {
            m: 1,
            train: PairBlock::pack(&[b_tr], 2, 1),
            val: PairBlock::pack(std::slice::from_ref(&b_va), 2, 1),
            test: PairBlock::pack(&[b_va], 2, 1),
            out_mask: vec![1.0],
        };
        let config = FinetuneConfig { epochs: 60, learning_rate: 0.01, record_every: 20 };
        let init: Vec<f32> = [covering.random_params(1), covering.random_params(2)].concat();
        let r2 = finetune(&covering, &init, &both, &config, &device).unwrap();
        let r1 = finetune(&covering, &init[n..], &only_b, &config, &device).unwrap();
        assert!((r2.best_test[1] - r1.best_test[0]).abs() < 1e-5 * r1.best_test[0].max(1.0));
        assert!(r2.best_test[0] < r2.initial_test[0] && r2.best_test[1] < r2.initial_test[1]);
        assert_eq!(r2.curve.iter().map(|c| c.0).collect::<Vec<_>>(), vec![0, 20, 40, 60]);
        // Zero learning rate: nothing improves, so the best epoch is 0.
        let still =
            finetune(&covering, &init, &both, &FinetuneConfig { learning_rate: 0.0, ..config }, &device).unwrap();
        assert_eq!(still.best_epoch, vec![0, 0]);
        assert_eq!(still.best_test, still.initial_test);
        assert_eq!(still.best_params, init);
    }

    /// A block of more pairs than a row holds is cut into rows; the loss is the plain mean over
    /// all of a surrogate's real pairs, as with one row.
    #[test]
    fn pairs_cut_into_rows_give_the_same_loss() {
        let device = Device::flex();
        let covering = CoveringShape { n_in: 2, hidden: vec![4], n_out: 2, activation: "sigmoid".into() };
        let sets: Vec<(Vec<f32>, Vec<f32>)> = [5000usize, 2100]
            .iter()
            .map(|&n| {
                let x: Vec<f32> = (0..2 * n).map(|i| ((i * 31 % 97) as f32 / 48.0) - 1.0).collect();
                let y: Vec<f32> = (0..2 * n).map(|i| ((i * 17 % 89) as f32 / 44.0) - 1.0).collect();
                (x, y)
            })
            .collect();
        let block = PairBlock::pack(&sets, 2, 2);
        let chunked = block.upload(2, 2, 2, &device);
        assert_eq!((chunked.chunks, chunked.x.dims()), (3, [6, CHUNK_PAIRS, 2]));
        let whole = DeviceBlock {
            chunks: 1,
            x: Tensor::from_data(TensorData::new(block.x.clone(), [2, block.n, 2]), &device),
            y: Tensor::from_data(TensorData::new(block.y.clone(), [2, block.n, 2]), &device),
            w: Tensor::from_data(TensorData::new(block.w.clone(), [2, block.n, 1]), &device),
        };
        let params: Vec<f32> = [covering.random_params(3), covering.random_params(4)].concat();
        let p = Tensor::<2>::from_data(TensorData::new(params, [2, covering.n_params()]), &device);
        // Only the first output of the second surrogate is real.
        let mask = Tensor::<3>::from_data(TensorData::new(vec![1.0, 1.0, 1.0, 0.0], [2, 1, 2]), &device);
        let a = read(loss_per_surrogate(&covering, p.clone(), &chunked, &mask)).unwrap();
        let b = read(loss_per_surrogate(&covering, p.clone(), &whole, &mask)).unwrap();
        for (u, v) in a.iter().zip(&b) {
            assert!((u - v).abs() < 1e-5 * v, "{u} in rows, {v} in one");
        }
        // And the same gradient: the copies' gradients are summed back into each surrogate's.
        let gradient = |blk: &DeviceBlock| -> Vec<f32> {
            let on_tape = |t: &Tensor<3>| t.clone().autodiff();
            let blk = DeviceBlock { chunks: blk.chunks, x: on_tape(&blk.x), y: on_tape(&blk.y), w: on_tape(&blk.w) };
            let leaf = p.clone().autodiff().require_grad();
            let loss = loss_per_surrogate(&covering, leaf.clone(), &blk, &on_tape(&mask)).sum();
            leaf.grad(&loss.backward()).expect("a gradient").into_data().try_to_vec::<f32>().unwrap()
        };
        let (ga, gb) = (gradient(&chunked), gradient(&whole));
        let largest = gb.iter().fold(0f32, |m, g| m.max(g.abs()));
        assert!(largest > 0.0);
        for (u, v) in ga.iter().zip(&gb) {
            assert!((u - v).abs() <= 1e-5 * largest, "gradient {u} in rows, {v} in one");
        }
    }

    #[test]
    fn pack_pads_and_weights() {
        let b = PairBlock::pack(&[(vec![1.0, 2.0], vec![3.0]), (vec![4.0, 5.0, 6.0, 7.0], vec![8.0, 9.0])], 2, 1);
        assert_eq!(b.n, 2);
        assert_eq!(b.x, vec![1.0, 2.0, 0.0, 0.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(b.y, vec![3.0, 0.0, 8.0, 9.0]);
        assert_eq!(b.w, vec![1.0, 0.0, 1.0, 1.0]);
    }
}
