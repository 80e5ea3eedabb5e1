//! The protocol of PAPER.md: for each data size, each initialisation and each program, 9
//! trials finetune a surrogate on a random share of the program's training pairs (80:20 train and
//! validation) and report the test loss of the lowest-validation epoch; all trials and programs
//! of one (size, method) run as one batched finetuning.

use anyhow::Context;
use burn::tensor::Device;
use compnet_datasets::IoPairs;
use compnet_datasets::c_tokens::EncodedProgram;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::finetune::{FinetuneConfig, FinetuneResult, PairBlock, Tasks, finetune};
use crate::compnet::network::TokenBatch;
use crate::compnet::recycle::{recycle_dormant, spread_live};
use crate::compnet::{CompNet, CoveringShape, RandomInit};

/// An initialisation compared by the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Method {
    /// The CompNet-generated surrogate.
    Cpn,
    /// Random initialisation (Xavier-uniform weights, zero biases).
    Rnd,
    /// One surrogate pretrained on every training program's pairs.
    Pts,
    /// First-order MAML's meta-learned initialisation.
    Fomaml,
}

impl Method {
    /// All four, in report order.
    pub const ALL: [Method; 4] = [Method::Cpn, Method::Fomaml, Method::Pts, Method::Rnd];

    /// The method a table's name (any case) stands for.
    pub fn parse(name: &str) -> anyhow::Result<Method> {
        Method::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name)).with_context(|| {
            let names: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
            format!("unknown method {name:?}: the methods are {}", names.join(", "))
        })
    }

    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Method::Cpn => "CPN",
            Method::Rnd => "RND",
            Method::Pts => "PTS",
            Method::Fomaml => "FOMAML",
        }
    }
}

/// A program of a benchmark: its text (as token ids), domain and pairs.
#[derive(Debug, Clone)]
pub struct BenchProgram {
    /// Program name.
    pub name: String,
    /// `[CLS]` and the encoded source with its literal values, at most the CompNet's length.
    pub tokens: EncodedProgram,
    /// The C source `tokens` encodes, for other CompNets to read their own way (`--cpn-also`).
    pub source: String,
    /// Input domain, one `(lo, hi)` per input: every method's surrogate reads its inputs
    /// normalised from it.
    pub domain: Vec<(f32, f32)>,
    /// The domain CompNet was trained to read each input from (`compnet::covering::training_frame`
    /// of the signature; ExeStack's programs: their domain): CPN's start is moved from it to
    /// `domain`.
    pub frame: Vec<(f32, f32)>,
    /// The program's training pairs (100 % of its training I/O).
    pub train: IoPairs,
    /// Its test pairs.
    pub test: IoPairs,
}

/// The start a trial's kept surrogate was finetuned from ([`run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The method's own: the compiled surrogate, PTS's and FOMAML's parameters, RND's draw.
    Own,
    /// CPN: CompNet's output stretched onto the domain with its dormant units recycled
    /// ([`Inits::cpn_recycle`]); PTS and FOMAML with twins: their start recycled; RND: a second draw.
    Recycled,
    /// CPN: the compiled surrogate with its parked units made copies of its live ones
    /// ([`Inits::cpn_spread`]); PTS and FOMAML with twins: their start spread; RND: a third draw.
    Spread,
    /// CPN: the compiled surrogate of another CompNet ([`Inits::cpn_also`], by its index).
    Also(u8),
    /// CPN: another CompNet's output stretched onto the domain, its dormant units recycled.
    AlsoRecycled(u8),
}

/// One more CompNet's reading of each program, for CPN to start from beside its own
/// ([`Inits::cpn_also`]).
#[derive(Debug, Clone)]
pub struct CpnReading {
    /// The compiled surrogates, `[programs, n_params]`, each in its domain's frame.
    pub compiled: Vec<f32>,
    /// Its output read with its training frame stretched onto the domain (as
    /// [`Inits::cpn_stretched`]; empty: `compiled`).
    pub stretched: Vec<f32>,
}

/// The initial parameters each method gives each program.
#[derive(Debug, Clone)]
pub struct Inits {
    /// CPN: `[programs, n_params]`, each in its domain's frame (what `compnet compile` writes).
    pub cpn: Vec<f32>,
    /// CompNet's parameters as it writes them, read with its training frame stretched onto the
    /// program's domain (`[programs, n_params]`; empty: `cpn`). CPN's second start recycles these:
    /// where the frame is a box around the domain (kmeans' [0, 1] in [−1, 1]), `cpn` is the
    /// compiled function on that corner of the box, and this is its whole shape fitted to the
    /// domain, which finetuned better for kmeans' and sobel's distances and fft's sine
    /// (docs/compnet.md, "The frame"); where they are the same box, the two are equal.
    pub cpn_stretched: Vec<f32>,
    /// PTS: `[n_params]`.
    pub pts: Vec<f32>,
    /// FOMAML: `[n_params]`.
    pub fomaml: Vec<f32>,
    /// [`recycle_dormant`]'s threshold for CPN's second start, judged on each trial's training
    /// inputs ([`run`]; 0: the compiled start only). At 0 % the compiled surrogate is the answer
    /// and is left alone.
    pub cpn_recycle: f32,
    /// CPN's third start: the compiled surrogate with its dormant units (the same threshold) made
    /// copies of its live ones, each copy's incoming weights moved by this share of the Xavier
    /// spread ([`spread_live`]; 0: no third start; needs `cpn_recycle` > 0). A bump shared by many
    /// units bends to a few pairs where fresh units overfit them (fft_sin on 26 pairs), and the
    /// compiled start stays for programs whose few live units finetune best (kmeans).
    pub cpn_spread: f32,
    /// The control for CPN's starts: every method finetunes as many per trial as CPN and keeps
    /// the one with the lowest validation loss, PTS and FOMAML their start and its recycled (and
    /// spread) versions with CPN's settings, RND as many random draws ([`run`]; needs
    /// `cpn_recycle` > 0).
    pub twins: bool,
    /// How RND draws its starts ([`RandomInit::XAVIER`]: the paper's baseline; otherwise a
    /// scaled control, which every ratio is then over).
    pub rnd: RandomInit,
    /// More CompNets of the same covering shape (`compnet eval --cpn-also`): from 0.1 % on, CPN
    /// also finetunes each one's compiled surrogate and, with `cpn_recycle`, its stretched
    /// reading recycled, and each trial keeps the start of lowest validation loss. At 0 % CPN is
    /// the first CompNet's compiled surrogate alone (with no pairs nothing can choose). With
    /// `twins` every method gets as many more starts: RND more draws, PTS and FOMAML their start
    /// recycled with other fresh weights.
    pub cpn_also: Vec<CpnReading>,
}

impl Inits {
    /// CompNet's parameters for every program, as it writes them (in each program's `frame`),
    /// from the programs' texts as this CompNet encodes them.
    pub fn generate_cpn(net: &CompNet, seqs: &[&EncodedProgram], device: &Device) -> anyhow::Result<Vec<f32>> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(64) {
            let p = net.generate(TokenBatch::new(chunk, 64, net.max_tokens(), device));
            out.extend(
                p.into_data().try_to_vec::<f32>().map_err(|e| anyhow::anyhow!("reading CPN parameters: {e:?}"))?,
            );
        }
        Ok(out)
    }

    /// `generate_cpn`'s parameters moved from each program's frame to its domain's.
    pub fn reframed(covering: &CoveringShape, raw: &[f32], programs: &[BenchProgram]) -> Vec<f32> {
        let mut out = raw.to_vec();
        for (params, p) in out.chunks_mut(covering.n_params()).zip(programs) {
            covering.reframe(params, &p.frame, &p.domain);
        }
        out
    }

    /// The start of `program` (its place in these inits) in `trial`; `id` seeds RND.
    fn params(
        &self,
        method: Method,
        covering: &CoveringShape,
        (program, id): (usize, u64),
        trial: usize,
        seed: u64,
    ) -> Vec<f32> {
        let n = covering.n_params();
        match method {
            Method::Cpn => row(&self.cpn, program, n).to_vec(),
            Method::Pts => self.pts.clone(),
            Method::Fomaml => self.fomaml.clone(),
            Method::Rnd => {
                covering.random_params_with(seed ^ (id << 20) ^ (trial as u64 + 1).wrapping_mul(0x51_7cc1), self.rnd)
            }
        }
    }
}

/// One (size, method) run over every program and trial.
#[derive(Debug, Clone)]
pub struct Run {
    /// Share of each program's training pairs.
    pub size: f64,
    /// The initialisation.
    pub method: Method,
    /// `[program][trial]` test loss at the lowest-validation epoch.
    pub test: Vec<Vec<f64>>,
    /// `[program]`: `(epoch, mean test loss over trials)` every recorded epoch.
    pub curves: Vec<Vec<(usize, f64)>>,
    /// `[program][trial]` the selected parameters.
    pub params: Vec<Vec<Vec<f32>>>,
    /// `[program][trial]` the start the trial kept (all [`Start::Own`] for a method with one).
    pub kept_start: Vec<Vec<Start>>,
}

impl Run {
    /// The methods that have runs among `runs`, in report order.
    pub fn methods(runs: &[Run]) -> Vec<Method> {
        Method::ALL.into_iter().filter(|&m| runs.iter().any(|r| r.method == m)).collect()
    }

    /// The same run restricted to the programs in `span`.
    pub fn programs(&self, span: std::ops::Range<usize>) -> Run {
        Run {
            size: self.size,
            method: self.method,
            test: self.test[span.clone()].to_vec(),
            curves: self.curves[span.clone()].to_vec(),
            params: self.params[span.clone()].to_vec(),
            kept_start: self.kept_start[span].to_vec(),
        }
    }

    /// Runs of disjoint program sets (each with the programs' places in the whole) as one run of
    /// `n` programs; every place must be given once.
    pub fn merge(parts: &[(&[usize], Run)], n: usize) -> Run {
        let first = &parts[0].1;
        let mut test = vec![Vec::new(); n];
        let mut curves = vec![Vec::new(); n];
        let mut params = vec![Vec::new(); n];
        let mut kept_start = vec![Vec::new(); n];
        for (places, run) in parts {
            assert!(run.size == first.size && run.method == first.method, "merging runs of one size and method");
            for (k, &at) in places.iter().enumerate() {
                test[at] = run.test[k].clone();
                curves[at] = run.curves[k].clone();
                params[at] = run.params[k].clone();
                kept_start[at] = run.kept_start[k].clone();
            }
        }
        assert!(test.iter().all(|t| !t.is_empty()), "every program has a run");
        Run { size: first.size, method: first.method, test, curves, params, kept_start }
    }

    /// Mean test loss over trials, per program.
    pub fn mean_test(&self) -> Vec<f64> {
        self.test.iter().map(|t| t.iter().sum::<f64>() / t.len().max(1) as f64).collect()
    }
}

/// Pairs `idx` of `pairs` in the covering layout.
fn padded(pairs: &IoPairs, idx: &[usize], domain: &[(f32, f32)], covering: &CoveringShape) -> (Vec<f32>, Vec<f32>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    covering.push_pairs(pairs, idx.iter().copied(), domain, &mut x, &mut y);
    (x, y)
}

/// `(training, validation)` pairs of one trial at `size` of `n` pairs: at least 2 drawn, split
/// 80:20 with at least one for validation.
pub fn trial_pairs(n: usize, size: f64) -> (usize, usize) {
    let take = ((n as f64 * size).round() as usize).clamp(2, n.max(2));
    let val = ((take as f64 * 0.2).round() as usize).max(1);
    (take - val, val)
}

/// Pairs drawn for one trial at `size` ([`trial_pairs`] of them), seeded.
pub fn trial_split(n: usize, size: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let (train, val) = trial_pairs(n, size);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    idx.truncate(train + val);
    (idx[..train].to_vec(), idx[train..].to_vec())
}

/// A program's seed part, from its name (FNV-1a): a program gets the same trial subsets and RND
/// draws whichever other programs run beside it, in this run or in another (sobel alone and the
/// other five programs in a second command give what all six together give).
pub fn program_id(name: &str) -> u64 {
    name.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193)).into()
}

/// Runs every method in `methods` at one size on every program, `trials` times, as one batched
/// finetuning of `methods × programs × trials` surrogates. Each program's subsets and RND draws
/// are seeded by `seed` and its name ([`program_id`]).
///
/// With [`Inits::cpn_recycle`], CPN finetunes two starts per trial, the compiled surrogate and
/// CompNet's output stretched onto the domain ([`Inits::cpn_stretched`]) with its dormant units
/// recycled, and each trial keeps the one whose best validation loss is lower (validation pairs
/// only: the test pairs never choose). The compiled start's
/// few live units finetune well where they suffice (kmeans: 5.2× RND at 100 %) and stall where
/// they do not (fft_sin); the recycled start has the capacity and the compiled function.
/// With [`Inits::cpn_spread`] CPN has a third start, the compiled surrogate spread
/// ([`spread_live`]), and each trial keeps the lowest of three.
/// With [`Inits::twins`] every method gets as many starts the same way (RND more draws, which
/// no trial of the program draws first), so that more tries alone are not what CPN gains.
#[allow(clippy::too_many_arguments)]
pub fn run(
    programs: &[BenchProgram],
    covering: &CoveringShape,
    inits: &Inits,
    methods: &[Method],
    size: f64,
    trials: usize,
    config: &FinetuneConfig,
    seed: u64,
    device: &Device,
) -> anyhow::Result<Vec<Run>> {
    // A block of `programs × trials` surrogates per (method, start), a method's blocks together.
    let recycling = size > 0.0 && inits.cpn_recycle > 0.0;
    let also = if size > 0.0 { inits.cpn_also.len() } else { 0 };
    anyhow::ensure!(also <= usize::from(u8::MAX), "at most {} more CompNets, not {also}", u8::MAX);
    let blocks: Vec<(Method, Start)> = methods
        .iter()
        .flat_map(|&m| {
            let more = recycling && (m == Method::Cpn || inits.twins);
            let spread = more && inits.cpn_spread > 0.0;
            let others = if m == Method::Cpn || inits.twins { also } else { 0 };
            std::iter::once((m, Start::Own))
                .chain(more.then_some((m, Start::Recycled)))
                .chain(spread.then_some((m, Start::Spread)))
                .chain((0..others as u8).flat_map(move |k| {
                    std::iter::once((m, Start::Also(k))).chain(recycling.then_some((m, Start::AlsoRecycled(k))))
                }))
        })
        .collect();
    let (mut train, mut val, mut test, mut init, mut out_mask) = (vec![], vec![], vec![], vec![], vec![]);
    let test_pairs: Vec<_> =
        programs.iter().map(|p| padded(&p.test, &(0..p.test.len()).collect::<Vec<_>>(), &p.domain, covering)).collect();
    let n_params = covering.n_params();
    for &(method, kind) in &blocks {
        for (p, program) in programs.iter().enumerate() {
            let id = program_id(&program.name);
            for t in 0..trials {
                // The same subsets for every method: methods differ only in where they start.
                let trial_seed = seed ^ (id << 32) ^ ((t as u64) << 8) ^ size.to_bits().rotate_left(17);
                let (tr, va) = trial_split(program.train.len(), size, trial_seed);
                train.push(padded(&program.train, &tr, &program.domain, covering));
                val.push(padded(&program.train, &va, &program.domain, covering));
                test.push(test_pairs[p].clone());
                let inputs = &train.last().expect("pushed above").0;
                // `start` with its dormant units recycled on this trial's training inputs.
                let recycled = |mut start: Vec<f32>, seed: u64| -> anyhow::Result<Vec<f32>> {
                    recycle_dormant(covering, &mut start, inputs, inits.cpn_recycle, seed)
                        .with_context(|| format!("recycling {}'s dormant units", program.name))?;
                    Ok(start)
                };
                let start = match (kind, method) {
                    (Start::Own, _) => inits.params(method, covering, (p, id), t, seed),
                    // Draws of trials `t + trials` and `t + 2 · trials`, which no trial draws first.
                    (Start::Recycled, Method::Rnd) => inits.params(method, covering, (p, id), t + trials, seed),
                    (Start::Spread, Method::Rnd) => inits.params(method, covering, (p, id), t + 2 * trials, seed),
                    // Twins of the other CompNets' starts: RND draws no trial draws first, PTS
                    // and FOMAML their start recycled with other fresh weights.
                    (Start::Also(k) | Start::AlsoRecycled(k), Method::Rnd) => {
                        let j = 3 + 2 * usize::from(k) + usize::from(matches!(kind, Start::AlsoRecycled(_)));
                        inits.params(method, covering, (p, id), t + j * trials, seed)
                    }
                    (Start::Also(k) | Start::AlsoRecycled(k), Method::Pts | Method::Fomaml) => {
                        let j = 2 * u64::from(k) + u64::from(matches!(kind, Start::AlsoRecycled(_))) + 1;
                        recycled(inits.params(method, covering, (p, id), t, seed), trial_seed ^ (j << 48))?
                    }
                    (Start::Also(k), _) => row(&inits.cpn_also[usize::from(k)].compiled, p, n_params).to_vec(),
                    (Start::AlsoRecycled(k), _) => {
                        let reading = &inits.cpn_also[usize::from(k)];
                        recycled(
                            row(stretched_or(&reading.stretched, &reading.compiled), p, n_params).to_vec(),
                            trial_seed,
                        )?
                    }
                    (Start::Recycled, _) => {
                        let start = if method == Method::Cpn {
                            row(stretched_or(&inits.cpn_stretched, &inits.cpn), p, n_params).to_vec()
                        } else {
                            inits.params(method, covering, (p, id), t, seed)
                        };
                        recycled(start, trial_seed)?
                    }
                    (Start::Spread, _) => {
                        let mut start = inits.params(method, covering, (p, id), t, seed);
                        spread_live(covering, &mut start, inputs, inits.cpn_recycle, inits.cpn_spread, trial_seed)
                            .with_context(|| format!("spreading {}'s live units", program.name))?;
                        start
                    }
                };
                init.extend(start);
                out_mask.extend(covering.output_mask(program.train.n_out()));
            }
        }
    }
    let per_block = programs.len() * trials;
    let (n_in, n_out) = (covering.n_in, covering.n_out);
    let tasks = Tasks {
        m: blocks.len() * per_block,
        train: PairBlock::pack(&train, n_in, n_out),
        val: PairBlock::pack(&val, n_in, n_out),
        test: PairBlock::pack(&test, n_in, n_out),
        out_mask,
    };
    // At 0 % data there is nothing to train on: the test loss of the initialisation itself.
    let epochs = if size == 0.0 { 0 } else { config.epochs };
    let r: FinetuneResult = finetune(covering, &init, &tasks, &FinetuneConfig { epochs, ..config.clone() }, device)?;
    Ok(methods
        .iter()
        .map(|&method| {
            // The method's blocks, its own start first: each trial keeps the start of lowest
            // best validation loss, the earlier on a tie.
            let own: Vec<usize> = (0..blocks.len()).filter(|&k| blocks[k].0 == method).collect();
            let first = own[0];
            // `[program · trials + trial]`: the surrogate each trial keeps.
            let kept: Vec<usize> = (0..per_block)
                .map(|i| {
                    own.iter().map(|&k| k * per_block + i).fold(first * per_block + i, |best, at| {
                        if r.best_val[at] < r.best_val[best] { at } else { best }
                    })
                })
                .collect();
            let by_program = |p: usize| &kept[p * trials..(p + 1) * trials];
            let curves = (0..programs.len())
                .map(|p| {
                    let rows = by_program(p);
                    r.curve.iter().map(|(e, l)| (*e, rows.iter().map(|&i| l[i]).sum::<f64>() / trials as f64)).collect()
                })
                .collect();
            Run {
                size,
                method,
                test: (0..programs.len()).map(|p| by_program(p).iter().map(|&i| r.best_test[i]).collect()).collect(),
                curves,
                params: (0..programs.len())
                    .map(|p| {
                        by_program(p)
                            .iter()
                            .map(|&i| r.best_params[i * n_params..(i + 1) * n_params].to_vec())
                            .collect()
                    })
                    .collect(),
                kept_start: (0..programs.len())
                    .map(|p| by_program(p).iter().map(|&i| blocks[i / per_block].1).collect())
                    .collect(),
            }
        })
        .collect())
}

/// Program `p`'s parameters in a `[programs, n]` array.
fn row(all: &[f32], p: usize, n: usize) -> &[f32] {
    &all[p * n..(p + 1) * n]
}

/// A CompNet's stretched reading where it is given, else its compiled surrogates (the same
/// reading where the frame is the domain).
fn stretched_or<'a>(stretched: &'a [f32], compiled: &'a [f32]) -> &'a [f32] {
    if stretched.is_empty() { compiled } else { stretched }
}

/// Geometric mean over programs of `RND mean ÷ method mean`.
pub fn improvement(rnd: &[f64], method: &[f64]) -> f64 {
    let logs: Vec<f64> = rnd.iter().zip(method).map(|(r, m)| (r.max(1e-12) / m.max(1e-12)).ln()).collect();
    (logs.iter().sum::<f64>() / logs.len().max(1) as f64).exp()
}

/// The first recorded epoch whose loss is at most `target`.
pub fn epochs_to(curve: &[(usize, f64)], target: f64) -> Option<usize> {
    curve.iter().find(|(_, l)| *l <= target).map(|(e, _)| *e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_splits_are_seeded_disjoint_and_sized() {
        let (tr, va) = trial_split(1024, 0.1, 3);
        assert_eq!((tr.len(), va.len()), (82, 20));
        assert!(tr.iter().all(|i| !va.contains(i)));
        assert_eq!(trial_split(1024, 0.1, 3), (tr, va));
        assert_ne!(trial_split(1024, 0.1, 4).0, trial_split(1024, 0.1, 3).0);
        let (tr, va) = trial_split(1024, 0.001, 1);
        assert_eq!((tr.len(), va.len()), (1, 1));
        let (tr, va) = trial_split(1024, 1.0, 1);
        assert_eq!((tr.len(), va.len()), (819, 205));
    }

    #[test]
    fn merged_runs_put_each_program_in_its_place() {
        let part = |progs: &[f64]| Run {
            size: 0.1,
            method: Method::Cpn,
            test: progs.iter().map(|&v| vec![v, v]).collect(),
            curves: progs.iter().map(|&v| vec![(0, v)]).collect(),
            params: progs.iter().map(|&v| vec![vec![v as f32]; 2]).collect(),
            kept_start: progs
                .iter()
                .map(|&v| vec![if v > 11.0 { Start::Spread } else { Start::Own }, Start::Own])
                .collect(),
        };
        let (a, b) = ([0usize, 2, 3], [1usize]);
        let merged = Run::merge(&[(&a, part(&[10.0, 12.0, 13.0])), (&b, part(&[11.0]))], 4);
        assert_eq!(merged.mean_test(), [10.0, 11.0, 12.0, 13.0]);
        assert_eq!(merged.curves[1], [(0, 11.0)]);
        assert_eq!(merged.params[3][1], [13.0]);
        assert_eq!(merged.kept_start[2], [Start::Spread, Start::Own]);
        assert_eq!(merged.kept_start[0], [Start::Own, Start::Own]);
    }

    /// A program gets the same subsets, RND draws and losses alone as beside another, which is
    /// what lets a large benchmark be run in parts and joined.
    #[test]
    fn a_program_alone_gets_what_it_gets_beside_others() {
        let covering = CoveringShape { n_in: 2, hidden: vec![4], n_out: 1, activation: "sigmoid".into() };
        let program = |name: &str, n: usize, k: f32| toy_program(name, n, 20, |a, b| (k * a).sin() * b);
        let (a, b) = (program("a.c:f", 300, 1.0), program("b.c:g", 120, 2.0));
        let n = covering.n_params();
        let cpn_a = vec![0.1; n];
        let cpn_b = covering.random_params(9);
        let inits = |cpn: Vec<f32>| toy_inits(cpn, vec![0.05; n], 0.0);
        let config = FinetuneConfig { epochs: 20, learning_rate: 0.01, record_every: 10 };
        let device = Device::flex();
        let methods = [Method::Cpn, Method::Rnd];
        let both = run(
            &[a, b.clone()],
            &covering,
            &inits([cpn_a, cpn_b.clone()].concat()),
            &methods,
            0.5,
            3,
            &config,
            1,
            &device,
        )
        .unwrap();
        let alone = run(&[b], &covering, &inits(cpn_b), &methods, 0.5, 3, &config, 1, &device).unwrap();
        for (x, y) in both.iter().zip(&alone) {
            assert_eq!(x.method, y.method);
            for (u, v) in x.test[1].iter().zip(&y.test[0]) {
                assert!((u - v).abs() <= 1e-5 * v.max(1e-3), "{:?}: {u} beside another, {v} alone", x.method);
            }
            assert_eq!(x.params[1].len(), 3);
        }
        // RND's trials differ from each other, and from another program's.
        assert_ne!(both[1].params[1][0], both[1].params[1][1]);
        assert_ne!(program_id("a.c:f"), program_id("b.c:g"));
    }

    /// A program of two inputs on [−1, 1]² and one output `f(x0, x1)`: `n` pairs, the last
    /// `n_test` of them its test pairs.
    fn toy_program(name: &str, n: usize, n_test: usize, f: impl Fn(f32, f32) -> f32) -> BenchProgram {
        let x: Vec<f32> = (0..2 * n).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        let y: Vec<f32> = x.chunks(2).map(|p| f(p[0], p[1])).collect();
        let pairs = IoPairs::new(2, 1, x, y).unwrap();
        BenchProgram {
            name: name.into(),
            tokens: EncodedProgram::from_ids(vec![1]),
            source: String::new(),
            domain: vec![(-1.0, 1.0); 2],
            frame: vec![(-1.0, 1.0); 2],
            train: pairs.select(&(0..n - n_test).collect::<Vec<_>>()),
            test: pairs.select(&(n - n_test..n).collect::<Vec<_>>()),
        }
    }

    /// The start tests' task: a sine bump of two inputs (300 pairs, 40 of them the test set), a
    /// covering of two hidden layers, 60 epochs of finetuning.
    fn bump_task() -> (CoveringShape, BenchProgram, FinetuneConfig) {
        (
            CoveringShape { n_in: 2, hidden: vec![6, 5], n_out: 1, activation: "sigmoid".into() },
            toy_program("bump.c:f", 300, 40, |a, b| (3.0 * a).sin() * b),
            FinetuneConfig { epochs: 60, learning_rate: 0.01, record_every: 10 },
        )
    }

    /// Which start each trial of `more` (one program) kept, checking each against `fewer`, the
    /// same run without the starts in `added`: a trial that kept a start both runs have has
    /// exactly `fewer`'s loss, one that kept an added start another.
    fn kept_added<'a>(fewer: &Run, more: &'a Run, added: &[Start]) -> &'a [Start] {
        let kept = &more.kept_start[0];
        for (t, start) in kept.iter().enumerate() {
            let (u, v) = (more.test[0][t], fewer.test[0][t]);
            if added.contains(start) {
                assert_ne!(u, v, "{:?} trial {t} kept another start", more.method);
            } else {
                assert!((u - v).abs() <= 1e-6 * v, "{:?} trial {t}: {u} vs {v}", more.method);
            }
        }
        kept
    }

    /// A random start of `covering` (two hidden layers) with one live unit per hidden layer and
    /// the rest parked as a trained CompNet parks them (bias −3, weights × 0.01).
    fn parked_start(covering: &CoveringShape, seed: u64) -> Vec<f32> {
        let mut params = covering.random_params(seed);
        for l in &covering.layers()[..2] {
            for j in 1..l.n_out {
                params[l.biases + j] = -3.0;
                (0..l.n_in).for_each(|i| params[l.weights + i * l.n_out + j] *= 0.01);
            }
        }
        params
    }

    /// The tests' starts: CPN's and FOMAML's as given, PTS all zeros, no stretched reading, no twins.
    fn toy_inits(cpn: Vec<f32>, fomaml: Vec<f32>, cpn_recycle: f32) -> Inits {
        let n = cpn.len();
        Inits {
            cpn,
            cpn_stretched: Vec::new(),
            pts: vec![0.0; n],
            fomaml,
            cpn_recycle,
            cpn_spread: 0.0,
            twins: false,
            rnd: RandomInit::XAVIER,
            cpn_also: Vec::new(),
        }
    }

    /// With recycling, CPN's rows finetune two starts and each trial keeps one: a trial that
    /// kept the compiled start has exactly the plain run's loss, and the other methods' rows are
    /// untouched by the extra block. At 0 % nothing is recycled.
    #[test]
    fn cpn_trials_keep_one_of_two_starts() {
        let (covering, program, config) = bump_task();
        // A compiled-looking start: one live unit per layer, the rest parked.
        let cpn = parked_start(&covering, 5);
        let n = covering.n_params();
        let inits = |r: f32| toy_inits(cpn.clone(), vec![0.05; n], r);
        let (device, methods) = (Device::flex(), [Method::Cpn, Method::Rnd]);
        let go = |size: f64, r: f32| {
            run(std::slice::from_ref(&program), &covering, &inits(r), &methods, size, 6, &config, 3, &device)
        };
        let (plain, two) = (go(0.5, 0.0).unwrap(), go(0.5, 0.1).unwrap());
        assert_eq!(plain[1].test, two[1].test, "RND's rows are not touched");
        assert!(plain[0].kept_start[0].iter().all(|&s| s == Start::Own));
        let kept = kept_added(&plain[0], &two[0], &[Start::Recycled]);
        assert!(kept.contains(&Start::Recycled), "the recycled start wins some trial here: {kept:?}");
        let none = go(0.0, 0.1).unwrap();
        assert!(none[0].kept_start[0].iter().all(|&s| s == Start::Own));
        assert_eq!(none[0].test, go(0.0, 0.0).unwrap()[0].test);
    }

    /// CPN's second start recycles `cpn_stretched` where it is given, whatever the first start:
    /// a trial that kept its second start has the loss of the run whose first start is the
    /// stretched one too; an empty `cpn_stretched` is `cpn` itself.
    #[test]
    fn cpn_second_start_recycles_the_stretched_reading() {
        let (covering, program, config) = bump_task();
        let (compiled, stretched) = (parked_start(&covering, 5), parked_start(&covering, 9));
        let n = covering.n_params();
        let inits = |cpn: &[f32], cpn_stretched: &[f32]| Inits {
            cpn_stretched: cpn_stretched.to_vec(),
            ..toy_inits(cpn.to_vec(), vec![0.05; n], 0.1)
        };
        let (device, methods) = (Device::flex(), [Method::Cpn, Method::Rnd]);
        let go = |i: Inits| run(std::slice::from_ref(&program), &covering, &i, &methods, 0.5, 6, &config, 3, &device);
        let mixed = go(inits(&compiled, &stretched)).unwrap();
        let both = go(inits(&stretched, &stretched)).unwrap();
        let (m, b) = (&mixed[0], &both[0]);
        let mut compared = 0;
        for t in 0..6 {
            if m.kept_start[0][t] == Start::Recycled && b.kept_start[0][t] == Start::Recycled {
                assert_eq!(m.test[0][t], b.test[0][t], "trial {t}: the same recycled start");
                compared += 1;
            }
        }
        assert!(compared > 0, "some trial keeps the second start in both runs: {:?} {:?}", m.kept_start, b.kept_start);
        // The two starts differ: some trial's loss differs between the runs.
        assert_ne!(m.test, b.test);
        // Empty: the compiled start is recycled, as with it given.
        assert_eq!(go(inits(&compiled, &[])).unwrap()[0].test, go(inits(&compiled, &compiled)).unwrap()[0].test);
    }

    /// With `cpn_spread`, CPN finetunes a third start, the compiled one spread: a trial that kept
    /// the compiled or the recycled start has exactly the two-start run's loss, the spread start
    /// wins some trial, and RND's rows are untouched. With twins, RND's third draw wins some trial.
    #[test]
    fn cpn_third_start_spreads_the_compiled_one() {
        let (covering, program, config) = bump_task();
        let cpn = parked_start(&covering, 5);
        let inits = |spread: f32, twins: bool| Inits {
            cpn_spread: spread,
            twins,
            ..toy_inits(cpn.clone(), parked_start(&covering, 8), 0.1)
        };
        let (device, methods) = (Device::flex(), [Method::Cpn, Method::Fomaml, Method::Rnd]);
        let go = |size: f64, spread: f32, twins: bool| {
            run(
                std::slice::from_ref(&program),
                &covering,
                &inits(spread, twins),
                &methods,
                size,
                12,
                &config,
                3,
                &device,
            )
            .unwrap()
        };
        let (two, three) = (go(0.05, 0.0, false), go(0.05, 0.1, false));
        let kept = kept_added(&two[0], &three[0], &[Start::Spread]);
        assert!(kept.contains(&Start::Spread), "the spread start wins some trial here: {kept:?}");
        for k in [1, 2] {
            assert_eq!(two[k].test, three[k].test, "{:?}'s rows are not touched", two[k].method);
        }
        let (twins, triplets) = (go(0.05, 0.0, true), go(0.05, 0.1, true));
        assert_eq!(three[0].test, triplets[0].test, "CPN's rows are the same with twins");
        let kept = kept_added(&twins[2], &triplets[2], &[Start::Spread]);
        assert!(kept.contains(&Start::Spread), "RND's third draw wins some trial: {kept:?}");
        kept_added(&twins[1], &triplets[1], &[Start::Spread]);
        let none = go(0.0, 0.1, true);
        assert!(none.iter().all(|r| r.kept_start[0].iter().all(|&s| s == Start::Own)), "at 0 % one start");
    }

    /// With `cpn_also`, CPN also finetunes another CompNet's compiled and recycled starts: a trial
    /// that kept one of its own two has exactly the two-start run's loss, another CompNet's start
    /// wins some trial, RND's rows are untouched, and at 0 % CPN is its own compiled start. With
    /// twins RND draws as many starts.
    #[test]
    fn cpn_also_starts_from_other_compnets() {
        let (covering, program, config) = bump_task();
        let other = CpnReading { compiled: covering.random_params(11), stretched: Vec::new() };
        let inits = |also: bool, twins: bool| Inits {
            cpn_also: if also { vec![other.clone()] } else { Vec::new() },
            twins,
            ..toy_inits(parked_start(&covering, 5), parked_start(&covering, 8), 0.1)
        };
        let (device, methods) = (Device::flex(), [Method::Cpn, Method::Rnd]);
        let go = |size: f64, also: bool, twins: bool| {
            run(std::slice::from_ref(&program), &covering, &inits(also, twins), &methods, size, 12, &config, 3, &device)
        };
        let (own, more) = (go(0.05, false, false).unwrap(), go(0.05, true, false).unwrap());
        let kept = kept_added(&own[0], &more[0], &[Start::Also(0), Start::AlsoRecycled(0)]);
        assert!(
            kept.iter().any(|k| matches!(k, Start::Also(0) | Start::AlsoRecycled(0))),
            "another CompNet's start wins some trial here: {kept:?}"
        );
        assert_eq!(own[1].test, more[1].test, "RND's rows are not touched");
        let (own0, more0) = (go(0.0, false, false).unwrap(), go(0.0, true, false).unwrap());
        assert_eq!(own0[0].test, more0[0].test);
        assert!(more0[0].kept_start[0].iter().all(|&s| s == Start::Own), "at 0 % one start");
        // Twins: RND gets as many draws; a trial that kept one of its first two has exactly the
        // two-draw loss, and some trial keeps a later draw. CPN's rows are those without twins.
        let (twins, more_twins) = (go(0.05, false, true).unwrap(), go(0.05, true, true).unwrap());
        assert_eq!(more_twins[0].test, more[0].test, "CPN's rows are the same with twins");
        let kept = kept_added(&twins[1], &more_twins[1], &[Start::Also(0), Start::AlsoRecycled(0)]);
        assert!(
            kept.iter().any(|k| matches!(k, Start::Also(0) | Start::AlsoRecycled(0))),
            "RND's later draws win some trial: {kept:?}"
        );
    }

    /// With twins every method gets a second start: CPN's rows are those of the run without
    /// twins, and a trial of FOMAML or RND that kept its first start has exactly the one-start
    /// loss; RND's second draw and FOMAML's recycled start each win some trial.
    #[test]
    fn twins_give_every_method_a_second_start() {
        let (covering, program, config) = bump_task();
        // A start with one live unit per layer, for FOMAML's recycling to find the rest.
        let parked = parked_start(&covering, 8);
        let inits = |twins: bool| Inits { twins, ..toy_inits(covering.random_params(2), parked.clone(), 0.1) };
        let (device, methods) = (Device::flex(), [Method::Cpn, Method::Fomaml, Method::Rnd]);
        let go = |size: f64, twins: bool| {
            run(std::slice::from_ref(&program), &covering, &inits(twins), &methods, size, 8, &config, 5, &device)
                .unwrap()
        };
        let (one, two) = (go(0.5, false), go(0.5, true));
        assert_eq!(one[0].test, two[0].test, "CPN's rows are the same with twins");
        assert_eq!(one[0].kept_start, two[0].kept_start);
        for k in [1, 2] {
            assert!(
                one[k].kept_start[0].iter().all(|&s| s == Start::Own),
                "{:?} has one start without twins",
                one[k].method
            );
            let kept = kept_added(&one[k], &two[k], &[Start::Recycled]);
            assert!(kept.contains(&Start::Recycled), "{:?}'s second start wins some trial: {kept:?}", two[k].method);
        }
        let none = go(0.0, true);
        assert!(
            none.iter().all(|r| r.kept_start[0].iter().all(|&s| s == Start::Own)),
            "at 0 % every method has one start"
        );
    }

    #[test]
    fn improvement_and_epochs() {
        assert!((improvement(&[4.0, 1.0], &[1.0, 1.0]) - 2.0).abs() < 1e-12);
        let curve = [(0, 5.0), (10, 3.0), (20, 1.0)];
        assert_eq!(epochs_to(&curve, 3.0), Some(10));
        assert_eq!(epochs_to(&curve, 0.5), None);
    }
}
