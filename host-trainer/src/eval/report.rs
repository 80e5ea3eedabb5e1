//! The evaluation report: numbers (`results.json`), Markdown tables in the paper's layout with
//! the paper's figures beside ours (`report.md`), and plots.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

use crate::artifacts::{draw_legend, register_font, write_png_plot};

use super::interval::{COVERAGE, RESAMPLES, improvement_interval};
use super::protocol::{Method, improvement};

/// The benchmark of the six ParrotBench programs.
pub const PARROT: &str = "ParrotBench";
/// The paper's ParrotBench set (`parrot::PAPER_SET`): fft and inversek2j split into one function
/// per output, kmeans and sobel; jmeint and jpeg left out.
pub const PARROT_CPN: &str = "ParrotBenchCPN";

/// The paper's improvement over RND (its poster): `(size, CPN, MAML, PTS)`.
pub const PAPER_EXESTACK: [(f64, f64, f64, f64); 5] = [
    (0.0, 84.40, 1.42, 2.63),
    (0.001, 10.43, 0.91, 0.87),
    (0.01, 2.90, 0.51, 0.90),
    (0.1, 4.12, 1.54, 0.88),
    (1.0, 6.67, 1.53, 0.76),
];
/// The same for ParrotBenchCPN.
pub const PAPER_PARROT: [(f64, f64, f64, f64); 5] = [
    (0.0, 1.81, 0.90, 1.56),
    (0.001, 1.98, 0.94, 0.98),
    (0.01, 1.77, 0.93, 0.79),
    (0.1, 2.38, 1.11, 1.23),
    (1.0, 1.68, 0.81, 0.86),
];
/// The paper's training-time improvement (epochs, RND ÷ method): `(program, CPN, MAML, PTS)`.
pub const PAPER_EPOCHS: [(&str, f64, f64, f64); 4] = [
    ("fft", 1.43, 0.83, 0.80),
    ("inversek2j", 0.49, 0.65, 0.56),
    ("kmeans", 674.47, 2.15, 86.87),
    ("sobel", 0.74, 1.14, 0.79),
];

/// One benchmark's results.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BenchmarkResult {
    /// `ExeStack`, [`PARROT`] or [`PARROT_CPN`].
    pub name: String,
    /// Programs evaluated.
    pub programs: Vec<String>,
    /// Programs left out, with why.
    pub left_out: Vec<(String, String)>,
    /// Data sizes (shares of the training pairs).
    pub sizes: Vec<f64>,
    /// `method → [size][program]` mean test loss over trials.
    pub mean_test: BTreeMap<String, Vec<Vec<f64>>>,
    /// `method → [size]` geometric-mean improvement over RND.
    pub improvement: BTreeMap<String, Vec<f64>>,
    /// `method → [program]` epochs to reach RND's final test loss at the largest size (None:
    /// not reached within the epochs run).
    pub epochs_to_target: BTreeMap<String, Vec<Option<usize>>>,
    /// `method → program → size (`size_key`) → [trial]` test losses, trial `t` of every method on
    /// the same pairs: what the improvements' intervals are drawn from. Keyed by name, so that
    /// joining runs is a union. Absent in results written before 2026-12-05 (eighteenth): their
    /// reports show no intervals.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trial_test: TrialTests,
}

/// `method → program → size key → [trial]` test losses.
pub type TrialTests = BTreeMap<String, BTreeMap<String, BTreeMap<String, Vec<f64>>>>;

/// A data size as a key of [`BenchmarkResult::trial_test`] (the shortest decimal that reads back
/// as the same `f64`).
pub fn size_key(size: f64) -> String {
    format!("{size}")
}

impl BenchmarkResult {
    /// The same results for the named programs alone (those it has), improvements recomputed.
    pub fn only(&self, names: &[&str]) -> BenchmarkResult {
        let keep: Vec<usize> =
            (0..self.programs.len()).filter(|&p| names.contains(&self.programs[p].as_str())).collect();
        let mean_test: BTreeMap<String, Vec<Vec<f64>>> = self
            .mean_test
            .iter()
            .map(|(m, per_size)| {
                (m.clone(), per_size.iter().map(|row| keep.iter().map(|&p| row[p]).collect()).collect())
            })
            .collect();
        BenchmarkResult {
            name: self.name.clone(),
            programs: keep.iter().map(|&p| self.programs[p].clone()).collect(),
            left_out: Vec::new(),
            sizes: self.sizes.clone(),
            improvement: improvements(&mean_test).unwrap_or_default(),
            mean_test,
            epochs_to_target: self
                .epochs_to_target
                .iter()
                .map(|(m, e)| (m.clone(), keep.iter().map(|&p| e[p]).collect()))
                .collect(),
            trial_test: self
                .trial_test
                .iter()
                .map(|(m, by_program)| {
                    let kept = by_program.iter().filter(|(p, _)| names.contains(&p.as_str()));
                    (m.clone(), kept.map(|(p, t)| (p.clone(), t.clone())).collect())
                })
                .collect(),
        }
    }

    /// The improvement's interval of `method` at size `k` ([`improvement_interval`]), when every
    /// program has its trials and RND's.
    pub fn improvement_interval(&self, method: &str, k: usize) -> Option<(f64, f64)> {
        let key = size_key(*self.sizes.get(k)?);
        let trials = |m: &str| -> Option<Vec<Vec<f64>>> {
            let by_program = self.trial_test.get(m)?;
            self.programs.iter().map(|p| by_program.get(p)?.get(&key).cloned()).collect()
        };
        improvement_interval(&trials(Method::Rnd.name())?, &trials(method)?)
    }

    /// Adds `other`'s trial losses (other programs, or other sizes of these programs).
    fn add_trials(&mut self, other: TrialTests) {
        for (method, by_program) in other {
            let mine = self.trial_test.entry(method).or_default();
            for (program, by_size) in by_program {
                mine.entry(program).or_default().extend(by_size);
            }
        }
    }

    /// Adds the programs of another run of this benchmark (the same sizes, other programs, e.g.
    /// sobel run alone because its 262,144 pairs fill a GPU command): per-program numbers are
    /// joined and the improvements computed again over all programs.
    pub fn join(&mut self, other: BenchmarkResult) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.sizes == other.sizes,
            "{}: the runs have different data sizes ({} with {} against {} with {}); every program \
             needs every size, so a program run in parts by size must have all its parts",
            self.name,
            self.programs.join(", "),
            sizes_text(&self.sizes),
            other.programs.join(", "),
            sizes_text(&other.sizes)
        );
        if let Some(p) = other.programs.iter().find(|p| self.programs.contains(p)) {
            anyhow::bail!("{}: program {p} is in two of the results files", self.name);
        }
        let methods: Vec<&String> = self.mean_test.keys().collect();
        anyhow::ensure!(
            methods == other.mean_test.keys().collect::<Vec<_>>(),
            "{}: the runs compare different methods",
            self.name
        );
        self.programs.extend(other.programs);
        self.left_out.extend(other.left_out);
        self.left_out.retain(|(name, _)| !self.programs.contains(name));
        for (method, per_size) in other.mean_test {
            let mine = self.mean_test.get_mut(&method).expect("same methods");
            for (row, more) in mine.iter_mut().zip(per_size) {
                row.extend(more);
            }
        }
        for (method, epochs) in other.epochs_to_target {
            self.epochs_to_target.entry(method).or_default().extend(epochs);
        }
        self.add_trials(other.trial_test);
        self.improvement = improvements(&self.mean_test).context("the runs have no RND column")?;
        Ok(())
    }
}

impl BenchmarkResult {
    /// Adds a run of the same programs at other data sizes (e.g. sobel's 100 %, the longest part
    /// of the protocol, run beside its smaller sizes): sizes in increasing order, the training
    /// times from the run with the largest size.
    pub fn join_sizes(&mut self, other: BenchmarkResult) -> anyhow::Result<()> {
        let name = &self.name;
        let order = self
            .places_in(&other)
            .with_context(|| format!("{name}: joining data sizes needs the same programs in both runs"))?;
        if let Some(s) = other.sizes.iter().find(|s| self.sizes.contains(s)) {
            anyhow::bail!("{name}: data size {} is in two of the results files", size_label(*s));
        }
        anyhow::ensure!(self.mean_test.keys().eq(other.mean_test.keys()), "{name}: the runs compare different methods");
        // (size, from `other`, its place in its run), by size.
        let mut sizes: Vec<(f64, bool, usize)> = (self.sizes.iter().enumerate().map(|(k, &s)| (s, false, k)))
            .chain(other.sizes.iter().enumerate().map(|(k, &s)| (s, true, k)))
            .collect();
        sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (method, per_size) in &mut self.mean_test {
            let theirs = &other.mean_test[method];
            *per_size = sizes
                .iter()
                .map(
                    |&(_, from_other, k)| {
                        if from_other { order.iter().map(|&j| theirs[k][j]).collect() } else { per_size[k].clone() }
                    },
                )
                .collect();
        }
        if sizes.last().is_some_and(|s| s.1) {
            self.epochs_to_target =
                other.epochs_to_target.into_iter().map(|(m, e)| (m, order.iter().map(|&j| e[j]).collect())).collect();
        }
        self.sizes = sizes.iter().map(|s| s.0).collect();
        self.add_trials(other.trial_test);
        self.improvement = improvements(&self.mean_test).context("the runs have no RND column")?;
        Ok(())
    }

    /// Takes the rows of the methods `other` ran, a run of the same programs at the same sizes
    /// with fewer methods (`compnet eval --methods CPN,RND`, e.g. a new CompNet against the
    /// baselines of an earlier run), in place of this run's. Both runs must share RND's rows
    /// ([`same_run`]): the same data, seeds and protocol.
    pub fn join_methods(&mut self, other: BenchmarkResult) -> anyhow::Result<Vec<String>> {
        let name = &self.name;
        let order = self
            .places_in(&other)
            .filter(|_| other.sizes == self.sizes)
            .with_context(|| format!("{name}: joining methods needs the same programs and data sizes in both runs"))?;
        let rnd = Method::Rnd.name();
        let reordered = |rows: &Vec<Vec<f64>>| -> Vec<Vec<f64>> {
            rows.iter().map(|row| order.iter().map(|&j| row[j]).collect()).collect()
        };
        let (mine, theirs) = (self.mean_test.get(rnd), other.mean_test.get(rnd));
        let same_rnd = match (mine, theirs) {
            (Some(m), Some(t)) => {
                let t = reordered(t);
                m.iter().flatten().zip(t.iter().flatten()).all(|(&a, &b)| same_run(a, b))
                    && self.epochs_to_target.get(rnd)
                        == other.epochs_to_target.get(rnd).map(|e| order.iter().map(|&j| e[j]).collect()).as_ref()
            }
            _ => false,
        };
        anyhow::ensure!(
            same_rnd,
            "{name}: the runs' RND rows differ, so they did not finetune on the same data with the same seeds \
             and protocol: their methods cannot be compared in one table"
        );
        let mut taken = Vec::new();
        for (method, rows) in &other.mean_test {
            if method != rnd {
                self.mean_test.insert(method.clone(), reordered(rows));
                let epochs = &other.epochs_to_target[method];
                self.epochs_to_target.insert(method.clone(), order.iter().map(|&j| epochs[j]).collect());
                // A run without trial losses takes those of the method it replaces away too.
                match other.trial_test.get(method) {
                    Some(t) => self.trial_test.insert(method.clone(), t.clone()),
                    None => self.trial_test.remove(method),
                };
                taken.push(method.clone());
            }
        }
        // RND's rows are the same run's (checked above): its trials come from whichever has them.
        if let (false, Some(t)) = (self.trial_test.contains_key(rnd), other.trial_test.get(rnd)) {
            self.trial_test.insert(rnd.to_owned(), t.clone());
        }
        self.improvement = improvements(&self.mean_test).context("the runs have no RND column")?;
        Ok(taken)
    }

    /// Whether `other` ran these programs at these sizes with fewer methods, RND among them.
    fn fewer_methods_of_this_run(&self, other: &BenchmarkResult) -> bool {
        self.name == other.name
            && self.places_in(other).is_some()
            && self.sizes == other.sizes
            && other.mean_test.len() < self.mean_test.len()
            && other.mean_test.keys().all(|m| self.mean_test.contains_key(m))
    }

    /// Where each of these programs sits in `other`'s list, when `other` has exactly these
    /// programs (in any order); `None` otherwise.
    fn places_in(&self, other: &BenchmarkResult) -> Option<Vec<usize>> {
        let order: Vec<usize> =
            self.programs.iter().map(|p| other.programs.iter().position(|q| q == p)).collect::<Option<_>>()?;
        (other.programs.len() == self.programs.len()).then_some(order)
    }

    /// Whether `other` holds the same programs (in any order) at none of these sizes.
    fn other_sizes_of_these_programs(&self, other: &BenchmarkResult) -> bool {
        self.name == other.name
            && self.places_in(other).is_some()
            && other.sizes.iter().all(|s| !self.sizes.contains(s))
            && self.mean_test.keys().eq(other.mean_test.keys())
    }
}

/// `method → [size]` improvement over RND from `method → [size][program]` mean test losses
/// ([`improvement`]: geometric mean over programs); `None` without an RND column.
pub fn improvements(mean_test: &BTreeMap<String, Vec<Vec<f64>>>) -> Option<BTreeMap<String, Vec<f64>>> {
    let rnd = mean_test.get(Method::Rnd.name())?;
    Some(
        mean_test
            .iter()
            .map(|(method, per_size)| {
                (method.clone(), per_size.iter().zip(rnd).map(|(m, r)| improvement(r, m)).collect())
            })
            .collect(),
    )
}

/// Completes the paper's ParrotBenchCPN set: to its single-output splits (benchmark
/// [`PARROT_CPN`]) it joins the programs it shares with [`PARROT`] (kmeans, sobel), whose
/// finetuning is the same and so is run once. Nothing to do without both benchmarks, or when
/// they are joined already.
pub fn complete_paper_set(r: &mut EvalReport) -> anyhow::Result<()> {
    let (Some(six), Some(k)) =
        (r.benchmarks.iter().find(|b| b.name == PARROT), r.benchmarks.iter().position(|b| b.name == PARROT_CPN))
    else {
        return Ok(());
    };
    let missing: Vec<&str> = compnet_datasets::parrot::PAPER_SET
        .into_iter()
        .filter(|n| !r.benchmarks[k].programs.iter().any(|p| p == n))
        .collect();
    let shared = six.only(&missing);
    if shared.programs.is_empty() {
        return Ok(());
    }
    r.benchmarks[k].join(shared)
}

/// The colour-quantization results: `method → [size] (MSE mean, MSE std, SSIM mean)`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ColourResult {
    /// Images (name, width, height).
    pub images: Vec<(String, usize, usize)>,
    /// Per method and size.
    pub by_method: BTreeMap<String, Vec<(f64, f64, f64)>>,
}

/// Whether two numbers of RND's rows come from one finetuning: equal, up to the last digit or two
/// that results files written before 2026-12-03 could lose when read back (serde_json without
/// `float_roundtrip`). Another subset, seed or draw moves them by far more.
fn same_run(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-14 * a.abs().max(b.abs())
}

impl ColourResult {
    /// Takes the rows of the methods `part` ran (a run with fewer methods, RND among them, whose
    /// RND rows must equal these, [`same_run`]) in place of these.
    fn take_methods(&mut self, part: &ColourResult) -> anyhow::Result<()> {
        let rnd = Method::Rnd.name();
        let same = match (self.by_method.get(rnd), part.by_method.get(rnd)) {
            (Some(a), Some(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| same_run(x.0, y.0) && same_run(x.1, y.1) && same_run(x.2, y.2))
            }
            _ => false,
        };
        anyhow::ensure!(
            self.images == part.images && same,
            "colour quantization: the runs' RND rows differ, so their methods cannot be compared in one table"
        );
        for (m, rows) in &part.by_method {
            self.by_method.insert(m.clone(), rows.clone());
        }
        Ok(())
    }
}

/// Everything `compnet eval` measured.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EvalReport {
    /// The command line.
    pub command: String,
    /// Whether this is a `--quick` run.
    pub quick: bool,
    /// The settings, as JSON.
    pub config: serde_json::Value,
    /// Per benchmark.
    pub benchmarks: Vec<BenchmarkResult>,
    /// kmeans' application, if run.
    pub colour: Option<ColourResult>,
    /// Wall seconds.
    pub seconds: f64,
}

/// Runs over disjoint benchmarks (run side by side, e.g. one with `--no-parrot` and one without
/// `--exestack`), other programs of one benchmark, the same programs at other data sizes, or the
/// same programs and sizes with fewer methods (`--methods`; their rows replace the others' where
/// RND's agree), as one report: benchmarks in the given order, the colour application from the
/// run that has it, the CompNets' program lists joined, the longest wall time. Joined in that
/// order: sizes, then programs, then methods (so a run of fewer methods may come in parts).
pub fn merge(mut reports: Vec<EvalReport>) -> anyhow::Result<EvalReport> {
    anyhow::ensure!(!reports.is_empty(), "no results to report");
    let mut merged = reports.remove(0);
    merged.command = shown_command(&merged.command);
    // Runs of the same programs at other sizes join first, then runs of other programs.
    let mut pieces: Vec<BenchmarkResult> = Vec::new();
    // The settings of the run with the fewest methods (whose rows replace others').
    let fewest_methods_config = std::iter::once(&merged)
        .chain(&reports)
        .min_by_key(|r| r.benchmarks.first().map_or(usize::MAX, |b| b.mean_test.len()))
        .map(|r| r.config.clone())
        .unwrap_or_default();
    let arithmetic = arithmetic_of_runs(std::iter::once(&merged).chain(&reports).map(|r| &r.config));
    // The colour application is per size: its run must have had them all.
    let colour_sizes = std::iter::once(&merged)
        .chain(&reports)
        .find(|r| r.colour.is_some())
        .and_then(|r| r.benchmarks.first())
        .map(|b| b.sizes.clone());
    for b in std::mem::take(&mut merged.benchmarks)
        .into_iter()
        .chain(reports.iter_mut().flat_map(|r| std::mem::take(&mut r.benchmarks)))
    {
        match pieces.iter_mut().find(|m| m.other_sizes_of_these_programs(&b)) {
            Some(m) => m.join_sizes(b)?,
            None => pieces.push(b),
        }
    }
    // Then runs of other programs with the same methods.
    let mut joined: Vec<BenchmarkResult> = Vec::new();
    for b in pieces {
        match joined.iter_mut().find(|m| m.name == b.name && m.mean_test.keys().eq(b.mean_test.keys())) {
            Some(m) => m.join(b)?,
            None => joined.push(b),
        }
    }
    // Then a run of fewer methods puts its rows in place of those of the run it shares RND with.
    let (mut apart, mut apart_in): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut k = 0;
    while k < joined.len() {
        match (0..joined.len()).find(|&j| j != k && joined[j].fewer_methods_of_this_run(&joined[k])) {
            Some(j) => {
                let partial = joined.remove(k);
                let j = if j > k { j - 1 } else { j };
                apart_in.push(partial.name.clone());
                for m in joined[j].join_methods(partial)? {
                    if !apart.contains(&m) {
                        apart.push(m);
                    }
                }
            }
            None => k += 1,
        }
    }
    for b in joined {
        match merged.benchmarks.iter_mut().find(|m| m.name == b.name) {
            Some(m) => m.join(b)?,
            None => merged.benchmarks.push(b),
        }
    }
    let sizes = merged.benchmarks.first().map(|b| b.sizes.clone()).unwrap_or_default();
    anyhow::ensure!(
        merged.benchmarks.iter().all(|b| b.sizes == sizes),
        "the results files were run with different data sizes"
    );
    if let Some(c) = colour_sizes.filter(|c| *c != sizes) {
        anyhow::bail!("the colour application ran at {c:?} only: run kmeans at every data size in one command");
    }
    // The colour application: the run with the most methods, with the rows of a run of fewer.
    let mut colours: Vec<ColourResult> =
        std::iter::once(&mut merged).chain(reports.iter_mut()).filter_map(|r| r.colour.take()).collect();
    colours.sort_by_key(|c| std::cmp::Reverse(c.by_method.len()));
    merged.colour = colours.first().cloned();
    if let Some(full) = &mut merged.colour {
        let most = full.by_method.len();
        for part in colours.iter().skip(1).filter(|c| c.by_method.len() < most) {
            full.take_methods(part)?;
        }
    }
    if !apart.is_empty() {
        merged.config["methods_run_apart"] = serde_json::json!(apart);
        merged.config["methods_run_apart_in"] = serde_json::json!(apart_in);
    }
    // How CPN's starts were made, from the run whose CPN rows are reported.
    if apart.iter().any(|m| m == Method::Cpn.name()) {
        for key in ["cpn_second_start", "cpn_spread", "cpn_also"] {
            match fewest_methods_config.get(key).cloned() {
                Some(v) => merged.config[key] = v,
                None => {
                    if let Some(c) = merged.config.as_object_mut() {
                        c.remove(key);
                    }
                }
            }
        }
    }
    for r in reports {
        merged.command = format!("{} & {}", merged.command, shown_command(&r.command));
        merged.quick |= r.quick;
        merged.seconds = merged.seconds.max(r.seconds);
        if let (Some(mine), Some(theirs)) = (
            merged.config.get_mut("compnets").and_then(|c| c.as_array_mut()),
            r.config.get("compnets").and_then(|c| c.as_array()),
        ) {
            for net in theirs {
                match mine.iter_mut().find(|m| m["checkpoint"] == net["checkpoint"]) {
                    Some(m) => {
                        let more = net["programs"].as_array().cloned().unwrap_or_default();
                        if let Some(list) = m["programs"].as_array_mut() {
                            // A program run at other sizes in another part is listed once.
                            for p in more {
                                if !list.contains(&p) {
                                    list.push(p);
                                }
                            }
                        }
                    }
                    None => mine.push(net.clone()),
                }
            }
        }
        let key = "parrot_train_pairs";
        if let Some(theirs) = r.config.get(key).and_then(|v| v.as_object()) {
            if !merged.config.get(key).is_some_and(|v| v.is_object()) {
                merged.config[key] = serde_json::json!({});
            }
            if let Some(mine) = merged.config[key].as_object_mut() {
                mine.extend(theirs.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    if let Some(runs) = arithmetic {
        merged.config["device_arithmetic_runs"] = runs;
    }
    complete_paper_set(&mut merged)?;
    Ok(merged)
}

/// The devices and arithmetic of joined runs, when they did not all multiply alike (e.g. a CPU
/// run joined to GPU runs): `[{device, device_arithmetic, runs}]`, one entry per kind of
/// arithmetic (device and whether below f32), the first run's figures for it; runs written before
/// the arithmetic was measured form entries of their own with `device_arithmetic` null. `None`
/// when the runs agree (or none was measured), so that the first run's `device_arithmetic`
/// speaks for all.
fn arithmetic_of_runs<'a>(configs: impl Iterator<Item = &'a serde_json::Value>) -> Option<serde_json::Value> {
    let mut kinds: Vec<serde_json::Value> = Vec::new();
    for c in configs {
        let a = c.get("device_arithmetic").cloned().unwrap_or(serde_json::Value::Null);
        let device = c.get("device").cloned().unwrap_or(serde_json::Value::Null);
        let alike =
            |k: &serde_json::Value| k["device"] == device && k["device_arithmetic"]["below_f32"] == a["below_f32"];
        match kinds.iter_mut().find(|k| alike(k)) {
            Some(k) => k["runs"] = serde_json::json!(k["runs"].as_u64().unwrap_or(0) + 1),
            None => kinds.push(serde_json::json!({"device": device, "device_arithmetic": a, "runs": 1})),
        }
    }
    let measured = kinds.iter().any(|k| !k["device_arithmetic"].is_null());
    (measured && kinds.len() > 1).then_some(serde_json::Value::Array(kinds))
}

/// A mean test loss in the report's tables; "–" for a method this run did not finetune.
fn loss_cell(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), |v| format!("{v:.3e}"))
}

/// Data sizes as the report writes them, e.g. "0 %, 0.1 %, 1 %".
fn sizes_text(sizes: &[f64]) -> String {
    sizes.iter().map(|&s| size_label(s)).collect::<Vec<_>>().join(", ")
}

fn size_label(s: f64) -> String {
    format!("{} %", s * 100.0)
}

fn paper_row(table: &[(f64, f64, f64, f64)], size: f64) -> Option<(f64, f64, f64)> {
    table.iter().find(|r| (r.0 - size).abs() < 1e-12).map(|r| (r.1, r.2, r.3))
}

/// Writes `results.json`, `report.md` and `loss-vs-size.png` into `dir`; a plot that cannot be
/// drawn (no font on the machine) is a warning, the numbers are written regardless.
pub fn write(dir: &Path, r: &EvalReport) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)?;
    crate::artifacts::write_json(&dir.join("results.json"), r)?;
    for (name, plot) in [
        ("loss-vs-size.png", plot_loss_vs_size as fn(&Path, &EvalReport, bool) -> anyhow::Result<()>),
        ("epochs.png", plot_epochs),
    ] {
        if let Err(e) = plot(&dir.join(name), r, register_font()) {
            eprintln!("warning: cannot draw {name} ({e:#}); `compnet eval --report-from results.json` redraws it");
        }
    }
    let md = markdown(r);
    crate::artifacts::write_atomic(&dir.join("report.md"), md.as_bytes())?;
    Ok(md)
}

/// The Markdown report.
/// A command line with the binary's path (where it ran, not how to run it) shown as `compnet`.
fn shown_command(command: &str) -> String {
    match command.split_once(' ') {
        Some((bin, rest)) if bin.ends_with("compnet") => format!("compnet {rest}"),
        _ => command.to_owned(),
    }
}

/// What the run's device did to its matrix products (results written since 2026-12-05,
/// nineteenth; earlier ones say nothing).
fn arithmetic_line(config: &serde_json::Value) -> Option<String> {
    let kind = |a: &serde_json::Value| -> Option<String> {
        let bits = a.get("bits")?.as_f64()?;
        let below = a.get("below_f32")?.as_bool()?;
        let kind = if below { "below f32: TF32-like, as GPUs' tensor cores read f32" } else { "f32" };
        Some(format!("{kind}, about {bits:.0} bits kept"))
    };
    let device = |c: &serde_json::Value| c.get("device").and_then(|d| d.as_str()).unwrap_or("?").to_owned();
    let tail = "in the worst element of a finetuning product against f64 (`compnet device-check` measures more).\n\n";
    if let Some(runs) = config.get("device_arithmetic_runs").and_then(|r| r.as_array()) {
        let each: Vec<String> = runs
            .iter()
            .filter_map(|r| {
                let n = r.get("runs")?.as_u64()?;
                let plural = if n == 1 { "" } else { "s" };
                let arithmetic = kind(r.get("device_arithmetic")?)
                    .unwrap_or_else(|| "not measured (written before 2026-12-05)".to_owned());
                Some(format!("{n} run{plural} on {}: {arithmetic}", device(r)))
            })
            .collect();
        return Some(format!("Matrix products differ between the joined runs: {} {tail}", each.join("; ")));
    }
    Some(format!(
        "Matrix products on this run's device ({}): {} {tail}",
        device(config),
        kind(config.get("device_arithmetic")?)?
    ))
}

pub fn markdown(r: &EvalReport) -> String {
    let mut s = String::from("# compnet eval: CompNet against RND, PTS and FOMAML\n\n");
    let command = shown_command(&r.command);
    s += &format!(
        "Reproduce: `{command}`{}.\n\n",
        if r.quick { " (quick mode: few programs, trials and epochs)" } else { "" }
    );
    s += "Improvement = geometric mean over programs of (RND mean test loss ÷ method mean test loss); \
          test loss at the epoch of lowest validation loss (at 0 %: the initialisation itself). \
          The paper's MAML column is full MAML; ours is first-order MAML (FOMAML).\n\n";
    if let Some(line) = arithmetic_line(&r.config) {
        s += &line;
    }
    if let Some(t) = r.config.get("cpn_recycle").and_then(|t| t.as_f64()).filter(|&t| t > 0.0) {
        // Rounded: a threshold once stored as f32 reads back as 0.10000000149….
        let t = (t * 1e6).round() / 1e6;
        let stretched = if r.config.get("cpn_second_start").and_then(|s| s.as_str()) == Some("stretched") {
            "CompNet's output read with its training frame stretched onto the program's domain (for \
             ParrotBench's boxes inside [−1, 1]; on ExeStack the frame is the domain and this is the \
             compiled surrogate itself)"
        } else {
            "the same"
        };
        let recycled = format!(
            "{stretched} with its dormant hidden units recycled (contribution below {t} of their layer's mean: \
             fresh incoming weights, zero outgoing ones)"
        );
        let spread = r.config.get("cpn_spread").and_then(|v| v.as_f64()).filter(|&v| v > 0.0);
        s += &match spread {
            Some(noise) => format!(
                "CPN finetunes three starts per trial, the compiled surrogate, the same with its dormant \
                 hidden units made copies of its live ones (Net2Net: incoming weights copied and moved by \
                 {} of the Xavier spread, outgoing weights shared), and {recycled}, and keeps the one with \
                 the lowest validation loss.\n\n",
                (noise * 1e6).round() / 1e6
            ),
            None => format!(
                "CPN finetunes two starts per trial, the compiled surrogate and {recycled}, and keeps the one \
                 with the lower validation loss.\n\n"
            ),
        };
        let also: Vec<String> = r
            .config
            .get("cpn_also")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|p| p.as_str()).map(|p| format!("`{p}`")).collect())
            .unwrap_or_default();
        let twins = r.config.get("twins").and_then(|t| t.as_bool()) == Some(true);
        if !also.is_empty() {
            s += &format!(
                "CPN also finetunes the compiled surrogate and the recycled stretched reading of {} more \
                 CompNet{} ({}) where its covering shape is the program's, and each trial keeps the start with \
                 the lowest validation loss of all; at 0 % CPN is the first CompNet's compiled surrogate.{}\n\n",
                also.len(),
                if also.len() == 1 { "" } else { "s" },
                also.join(", "),
                if twins { "" } else { " RND has one start." }
            );
        }
        if twins {
            let starts = 2 + usize::from(spread.is_some()) + 2 * also.len();
            let versions = match (spread.is_some(), also.is_empty()) {
                (false, true) => "its recycled version",
                (true, true) => "its recycled and spread versions",
                (false, false) => "its recycled version and more recycled with other fresh weights",
                (true, false) => "its recycled and spread versions and more recycled with other fresh weights",
            };
            // The other CompNets' starts exist only where their covering shape is the program's.
            let elsewhere = if also.is_empty() {
                String::new()
            } else {
                format!(" (on programs of another covering shape, {} each)", starts - 2 * also.len())
            };
            s += &format!(
                "Twins, the control for those {starts} starts: every method finetunes {starts} starts per trial{elsewhere} \
                 and keeps the one with the lowest validation loss, PTS and FOMAML theirs and {versions}, RND \
                 {starts} random draws. The ratios are over this best-of-{starts} RND.\n\n"
            );
        }
    }
    if let Some(rnd) = r.config.get("rnd").filter(|v| {
        v.get("weight_scale").and_then(|w| w.as_f64()) != Some(1.0)
            || v.get("hidden_bias").and_then(|b| b.as_f64()) != Some(0.0)
    }) {
        let num = |k: &str| rnd.get(k).and_then(|v| v.as_f64()).map_or(f64::NAN, |v| (v * 1e6).round() / 1e6);
        s += &format!(
            "**RND here is a control, not the paper's baseline:** its Xavier-uniform draw times {}, hidden \
             biases {} (the paper's RND: times 1, biases 0). Every ratio is over this control.\n\n",
            num("weight_scale"),
            num("hidden_bias")
        );
    }
    if let Some(apart) = r.config.get("methods_run_apart").and_then(|m| m.as_array()).filter(|m| !m.is_empty()) {
        let names: Vec<&str> = apart.iter().filter_map(|m| m.as_str()).collect();
        let benchmarks: Vec<&str> = r
            .config
            .get("methods_run_apart_in")
            .and_then(|b| b.as_array())
            .map_or_else(Vec::new, |b| b.iter().filter_map(|b| b.as_str()).collect());
        s += &format!(
            "{}'s rows come from a later command of the same data, seeds and protocol with fewer methods \
             (`--methods`), whose RND rows equal the earlier command's{}.\n\n",
            names.join(" and "),
            if benchmarks.is_empty() {
                String::new()
            } else {
                format!(" (in {}; the other benchmarks are the earlier command's)", benchmarks.join(", "))
            }
        );
    }
    // Several CompNets: each program is compiled (and PTS, FOMAML and RND are run) in the
    // covering shape of the first that covers it.
    if let Some(nets) = r.config.get("compnets").and_then(|c| c.as_array()).filter(|c| c.len() > 1) {
        s += "CompNets, each program with the first whose covering shape covers it:\n\n";
        for net in nets {
            let widths: Vec<String> =
                net["covering"].as_array().map(|w| w.iter().map(|v| v.to_string()).collect()).unwrap_or_default();
            let programs = net["programs"].as_array().map_or(0, Vec::len);
            let named: Vec<&str> =
                net["programs"].as_array().into_iter().flatten().filter_map(|p| p.as_str()).take(6).collect();
            let more = if programs > named.len() { ", …" } else { "" };
            s += &format!(
                "- `{}` ({}): {programs} program{} ({}{more})\n",
                net["checkpoint"].as_str().unwrap_or("?"),
                widths.join(" → "),
                if programs == 1 { "" } else { "s" },
                named.join(", ")
            );
        }
        s += "\n";
    }
    for b in &r.benchmarks {
        let paper = if b.name == "ExeStack" { Some(&PAPER_EXESTACK[..]) } else { Some(&PAPER_PARROT[..]) };
        s += &format!("## {} ({} programs)\n\n", b.name, b.programs.len());
        if b.name == PARROT {
            s += "This project's ParrotBench: the six programs, fft, inversek2j and jpeg each one function of all \
                  its outputs. The paper's columns are its ParrotBenchCPN figures (it reports no six-program row); \
                  the ParrotBenchCPN table, where run, is that set.\n\n";
        } else if b.name == PARROT_CPN {
            let absent: Vec<&str> = compnet_datasets::parrot::PAPER_SET
                .into_iter()
                .filter(|n| !b.programs.iter().any(|p| p == n))
                .collect();
            s += "The paper's set: fft and inversek2j split into one single-output C function per output (each \
                  compiled and finetuned on its own), kmeans and sobel (the same runs as in ParrotBench); jmeint \
                  and jpeg left out.";
            if !absent.is_empty() {
                s += &format!(" Incomplete here: {} not run.", absent.join(", "));
            }
            s += "\n\n";
        }
        if !b.left_out.is_empty() {
            let l: Vec<String> = b.left_out.iter().map(|(n, w)| format!("{n} ({w})")).collect();
            s += &format!("Left out: {}.\n\n", l.join("; "));
        }
        // The data sizes are shares of each program's whole training set.
        if let Some(pairs) = r.config.get("parrot_train_pairs").and_then(|p| p.as_object()).filter(|_| b.name == PARROT)
        {
            let listed: Vec<String> =
                pairs.iter().map(|(name, n)| format!("{name} {}", n.as_u64().unwrap_or(0))).collect();
            if !listed.is_empty() {
                s += &format!("Training pairs per program (100 %): {}.\n\n", listed.join(", "));
            }
        }
        // Our methods' intervals, `[method][size]`, each drawn once for the note and the cells.
        let ours_in_table = [Method::Cpn, Method::Fomaml, Method::Pts];
        let intervals: Vec<Vec<Option<(f64, f64)>>> = ours_in_table
            .iter()
            .map(|m| (0..b.sizes.len()).map(|k| b.improvement_interval(m.name(), k)).collect())
            .collect();
        if intervals[0].iter().any(Option::is_some) {
            s += &format!(
                "In brackets: the {:.0} % interval of a paired bootstrap over the trials ({} resamples; programs \
                 fixed, each program's trials drawn again with replacement, one draw for the method and RND, \
                 which finetuned on the same pairs): how far the figure moves with these trials' data subsets and \
                 draws. Nine trials show little of a heavy tail, so it is a lower bound: other seeds' trials \
                 have landed outside it (docs/compnet.md, \"How far a figure moves\").\n\n",
                COVERAGE * 100.0,
                RESAMPLES
            );
        }
        s += "| data | CPN | FOMAML | PTS | paper CPN | paper MAML | paper PTS |\n|---|---|---|---|---|---|---|\n";
        for (k, &size) in b.sizes.iter().enumerate() {
            // A method not run (`--methods`) shows as –.
            let p = paper.and_then(|t| paper_row(t, size));
            let pf = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2}×"));
            // Ours with the trials' interval where the results hold the trials.
            let ours = |i: usize| {
                let cell = pf(b.improvement.get(ours_in_table[i].name()).map(|v| v[k]));
                match intervals[i][k] {
                    Some((lo, hi)) => format!("{cell} ({lo:.2}–{hi:.2})"),
                    None => cell,
                }
            };
            s += &format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                size_label(size),
                ours(0),
                ours(1),
                ours(2),
                pf(p.map(|p| p.0)),
                pf(p.map(|p| p.1)),
                pf(p.map(|p| p.2))
            );
        }
        s += "\nMean test loss per program (mean over trials):\n\n| program | data | CPN | FOMAML | PTS | RND |\n|---|---|---|---|---|---|\n";
        if b.programs.len() <= 12 {
            for (p, name) in b.programs.iter().enumerate() {
                for (k, &size) in b.sizes.iter().enumerate() {
                    let v = |m: Method| loss_cell(b.mean_test.get(m.name()).map(|v| v[k][p]));
                    s += &format!(
                        "| {name} | {} | {} | {} | {} | {} |\n",
                        size_label(size),
                        v(Method::Cpn),
                        v(Method::Fomaml),
                        v(Method::Pts),
                        v(Method::Rnd)
                    );
                }
            }
        } else {
            for (k, &size) in b.sizes.iter().enumerate() {
                let v = |m: Method| {
                    loss_cell(b.mean_test.get(m.name()).map(|v| v[k].iter().sum::<f64>() / v[k].len().max(1) as f64))
                };
                s += &format!(
                    "| (mean of {}) | {} | {} | {} | {} | {} |\n",
                    b.programs.len(),
                    size_label(size),
                    v(Method::Cpn),
                    v(Method::Fomaml),
                    v(Method::Pts),
                    v(Method::Rnd)
                );
            }
        }
        let largest = b.sizes.last().copied().unwrap_or(1.0);
        s += &format!(
            "\nTraining time at {}: epochs to reach RND's final mean test loss, RND ÷ method (– : not reached):\n\n",
            size_label(largest)
        );
        s += "| program | CPN | FOMAML | PTS | paper CPN | paper MAML | paper PTS |\n|---|---|---|---|---|---|---|\n";
        let rnd = b.epochs_to_target.get("RND");
        let ratio = |m: Method, p: usize| -> Option<f64> {
            let r = rnd.and_then(|v| v[p])?;
            let e = b.epochs_to_target.get(m.name()).and_then(|v| v[p])?;
            Some(r.max(1) as f64 / e.max(1) as f64)
        };
        let cell = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.2}"));
        if b.programs.len() <= 12 {
            for (p, name) in b.programs.iter().enumerate() {
                let paper = PAPER_EPOCHS.iter().find(|e| e.0 == name);
                s += &format!(
                    "| {name} | {} | {} | {} | {} | {} | {} |\n",
                    cell(ratio(Method::Cpn, p)),
                    cell(ratio(Method::Fomaml, p)),
                    cell(ratio(Method::Pts, p)),
                    cell(paper.map(|e| e.1)),
                    cell(paper.map(|e| e.2)),
                    cell(paper.map(|e| e.3))
                );
            }
        } else {
            // Many programs: the geometric mean over those where both reached the target.
            let summary = |m: Method| {
                let v: Vec<f64> = (0..b.programs.len()).filter_map(|p| ratio(m, p)).collect();
                if v.is_empty() {
                    "–".to_owned()
                } else {
                    let g = (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp();
                    format!("{g:.2} ({} of {})", v.len(), b.programs.len())
                }
            };
            s += &format!(
                "| geo. mean (programs reaching it) | {} | {} | {} | – | – | – |\n",
                summary(Method::Cpn),
                summary(Method::Fomaml),
                summary(Method::Pts)
            );
        }
        s += "\n";
    }
    if let Some(c) = &r.colour {
        let imgs: Vec<String> = c.images.iter().map(|(n, w, h)| format!("{n} {w}×{h}")).collect();
        s += &format!(
            "## Colour quantization (kmeans surrogate as the distance; {})\n\n6 centroids, one assign-and-recentre \
             iteration; against the exact result. Paper: MSE at 0 % CPN 2.67e3 ± 541, MAML 2.79e3, PTS 3.04e3, \
             RND 3.05e3; SSIM at 10 % CPN 0.76, MAML 0.64, PTS 0.64, RND 0.63.\n\n",
            imgs.join(", ")
        );
        s += "| method | data | MSE (0–255²) | ± std | SSIM |\n|---|---|---|---|---|\n";
        for m in Method::ALL {
            if let Some(rows) = c.by_method.get(m.name()) {
                for (k, (mse, sd, ssim)) in rows.iter().enumerate() {
                    let size = r.benchmarks.iter().find(|b| b.name == PARROT).map_or(f64::NAN, |b| b.sizes[k]);
                    s += &format!("| {} | {} | {mse:.3e} | {sd:.2e} | {ssim:.3} |\n", m.name(), size_label(size));
                }
            }
        }
        s += "\n![quantized images](colour.png)\n\nPanels (chelsea crop, first trial): the exact result, then CPN at 0 % and 10 %, \
              FOMAML at 0 % and 10 %, PTS at 0 % and 10 %, RND at 0 % and 10 %.\n\n";
    }
    s += "![test loss against data size](loss-vs-size.png)\n\n";
    s += "![training-time improvement per program](epochs.png)\n\n";
    s += &format!("Wall time: {:.0} s.\n", r.seconds);
    s
}

/// `loss-vs-size.png`: geometric-mean test loss over programs against data size, per method and benchmark.
/// Without `labels` (no font on the machine) it is lines alone.
pub fn plot_loss_vs_size(path: &Path, r: &EvalReport, labels: bool) -> anyhow::Result<()> {
    let n = r.benchmarks.len().max(1);
    write_png_plot(path, (520 * n as u32, 420), |root| {
        for (area, b) in root.split_evenly((1, n)).iter().zip(&r.benchmarks) {
            let series: Vec<(Method, Vec<f64>)> = Method::ALL
                .iter()
                .filter_map(|m| {
                    b.mean_test.get(m.name()).map(|v| {
                        (
                            *m,
                            v.iter()
                                .map(|ps| {
                                    (ps.iter().map(|x| x.max(1e-12).ln()).sum::<f64>() / ps.len().max(1) as f64).exp()
                                })
                                .collect(),
                        )
                    })
                })
                .collect();
            let all = series.iter().flat_map(|s| s.1.iter().copied()).filter(|v| v.is_finite() && *v > 0.0);
            let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
            let (lo, hi) = if lo < hi { (lo * 0.7, hi * 1.4) } else { (1e-6, 1.0) };
            let mut builder = panel(area, labels, 70, format!("{}: test loss vs data", b.name));
            let k = b.sizes.len().max(2);
            let mut chart = builder.build_cartesian_2d(0f64..(k - 1) as f64, (lo..hi).log_scale())?;
            let sizes = b.sizes.clone();
            let x_label = |x: &f64| sizes.get(x.round() as usize).map_or(String::new(), |s| size_label(*s));
            // A mesh measures its label text even when it has none: without a font, no mesh.
            if labels {
                chart
                    .configure_mesh()
                    .x_labels(k)
                    .x_label_formatter(&x_label)
                    .y_desc("geo. mean test MSE")
                    .label_style(("sans-serif", 12))
                    .draw()?;
            }
            for (m, values) in series {
                let color = match m {
                    Method::Cpn => RED,
                    Method::Fomaml => GREEN,
                    Method::Pts => BLUE,
                    Method::Rnd => BLACK,
                };
                let pts: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| (i as f64, *v)).collect();
                let drawn = chart.draw_series(LineSeries::new(pts, color.stroke_width(2)))?;
                if labels {
                    drawn
                        .label(m.name())
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
                }
            }
            if labels {
                draw_legend(&mut chart, 12)?;
            }
        }
        Ok(())
    })
}

/// One panel's chart builder: margins, label areas (`y_label_area` wide; slivers when there is
/// no font to write labels with) and, with labels, the caption.
fn panel<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, plotters::coord::Shift>,
    labels: bool,
    y_label_area: u32,
    caption: String,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder.margin(15).x_label_area_size(if labels { 35 } else { 5 }).y_label_area_size(if labels {
        y_label_area
    } else {
        5
    });
    if labels {
        builder.caption(caption, ("sans-serif", 18));
    }
    builder
}

/// `epochs.png`: training-time improvement (RND's epochs to its final loss ÷ the method's) per
/// program of each benchmark with at most 12 programs, one bar per method; a missing bar: the
/// method did not reach the target.
pub fn plot_epochs(path: &Path, r: &EvalReport, labels: bool) -> anyhow::Result<()> {
    let benches: Vec<&BenchmarkResult> = r.benchmarks.iter().filter(|b| b.programs.len() <= 12).collect();
    let n = benches.len().max(1);
    write_png_plot(path, (560 * n as u32, 380), |root| {
        for (area, b) in root.split_evenly((1, n)).iter().zip(&benches) {
            let methods = [(Method::Cpn, RED), (Method::Fomaml, GREEN), (Method::Pts, BLUE)];
            let rnd = b.epochs_to_target.get("RND");
            let ratio = |m: Method, p: usize| -> Option<f64> {
                let r = rnd.and_then(|v| v[p])?;
                let e = b.epochs_to_target.get(m.name()).and_then(|v| v[p])?;
                Some(r.max(1) as f64 / e.max(1) as f64)
            };
            let values: Vec<f64> =
                (0..b.programs.len()).flat_map(|p| methods.iter().filter_map(move |(m, _)| ratio(*m, p))).collect();
            let hi = values.iter().copied().fold(2.0f64, f64::max) * 1.5;
            let lo = values.iter().copied().fold(0.5f64, f64::min) / 1.5;
            let mut builder = panel(area, labels, 60, format!("{}: epochs, RND ÷ method", b.name));
            let k = b.programs.len().max(1);
            let mut chart = builder.build_cartesian_2d(0f64..k as f64, (lo..hi).log_scale())?;
            let names = b.programs.clone();
            let x_label = |x: &f64| {
                let i = x.floor() as usize;
                if (x - i as f64 - 0.5).abs() < 1e-9 {
                    names.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            };
            if labels {
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(2 * k + 1)
                    .x_label_formatter(&x_label)
                    .y_desc("RND epochs ÷ method epochs")
                    .label_style(("sans-serif", 12))
                    .draw()?;
            }
            for (j, (m, color)) in methods.iter().enumerate() {
                let bars: Vec<Rectangle<(f64, f64)>> = (0..b.programs.len())
                    .filter_map(|p| {
                        let v = ratio(*m, p)?;
                        let x0 = p as f64 + 0.15 + 0.23 * j as f64;
                        Some(Rectangle::new([(x0, lo), (x0 + 0.2, v)], color.filled()))
                    })
                    .collect();
                let drawn = chart.draw_series(bars)?;
                if labels {
                    drawn
                        .label(m.name())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
                }
            }
            chart.draw_series([PathElement::new([(0.0, 1.0), (k as f64, 1.0)], BLACK.stroke_width(1))])?;
            if labels {
                draw_legend(&mut chart, 12)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn report(name: &str, command: &str, programs: &[&str], colour: bool) -> EvalReport {
        let per_size = |v: f64| vec![v; 2];
        EvalReport {
            command: command.into(),
            quick: false,
            config: serde_json::json!({
                "compnets": [{"checkpoint": "ck/default", "covering": [18, 32, 32, 8], "programs": programs}],
                "parrot_train_pairs": if name == "ParrotBench" { serde_json::json!({"fft": 32768}) } else { serde_json::json!({}) },
            }),
            benchmarks: vec![BenchmarkResult {
                name: name.into(),
                programs: programs.iter().map(|p| p.to_string()).collect(),
                left_out: Vec::new(),
                sizes: vec![0.0, 1.0],
                mean_test: BTreeMap::from([("CPN".to_owned(), vec![per_size(0.5); 2])]),
                improvement: BTreeMap::from([("CPN".to_owned(), per_size(2.0))]),
                epochs_to_target: BTreeMap::new(),
                trial_test: TrialTests::new(),
            }],
            colour: colour.then(|| ColourResult { images: Vec::new(), by_method: BTreeMap::new() }),
            seconds: if colour { 300.0 } else { 200.0 },
        }
    }

    /// The GPU machine has no font: the plots are then drawn without text, not dropped.
    #[test]
    fn plots_are_drawn_without_a_font() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = report("ParrotBench", "compnet eval", &["fft", "sobel"], false);
        r.benchmarks[0].epochs_to_target.insert("CPN".into(), vec![Some(2000), None]);
        r.benchmarks[0].epochs_to_target.insert("RND".into(), vec![Some(4000), Some(5000)]);
        for (name, plot) in [
            ("size.png", plot_loss_vs_size as fn(&Path, &EvalReport, bool) -> anyhow::Result<()>),
            ("epochs.png", plot_epochs),
        ] {
            plot(&dir.path().join(name), &r, false).unwrap();
            assert_eq!(&std::fs::read(dir.path().join(name)).unwrap()[1..4], b"PNG", "{name}");
        }
    }

    #[test]
    fn runs_of_disjoint_benchmarks_merge_into_one_report() {
        let exestack = report("ExeStack", "/tmp/x/compnet eval --no-parrot", &["a.c:f", "b.c:g"], false);
        let parrot = report("ParrotBench", "/tmp/x/compnet eval --parrot fft", &["fft"], true);
        let m = merge(vec![exestack.clone(), parrot.clone()]).unwrap();
        let names: Vec<&str> = m.benchmarks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["ExeStack", "ParrotBench"]);
        assert_eq!(m.command, "compnet eval --no-parrot & compnet eval --parrot fft");
        assert!(m.colour.is_some());
        assert_eq!(m.seconds, 300.0);
        assert_eq!(m.config["compnets"][0]["programs"], serde_json::json!(["a.c:f", "b.c:g", "fft"]));
        assert_eq!(m.config["parrot_train_pairs"], serde_json::json!({"fft": 32768}));
        // The same benchmark twice, or other data sizes, cannot be one report.
        assert!(merge(vec![parrot.clone(), parrot.clone()]).is_err());
        let mut other = report("ParrotBench", "compnet eval", &["fft"], true);
        other.benchmarks[0].sizes = vec![0.0, 0.5];
        assert!(merge(vec![exestack, other]).is_err());
    }

    #[test]
    fn runs_of_one_benchmark_on_other_programs_join() {
        // sobel alone, then fft and kmeans: `[size][program]` losses, sizes 0 and 100 %.
        let run = |programs: &[&str], cpn: Vec<Vec<f64>>, rnd: Vec<Vec<f64>>, pairs: serde_json::Value| {
            let mut r = report("ParrotBench", "compnet eval --parrot x", programs, programs.contains(&"kmeans"));
            let b = &mut r.benchmarks[0];
            b.improvement = BTreeMap::from([("CPN".to_owned(), vec![0.0; 2]), ("RND".to_owned(), vec![1.0; 2])]);
            b.epochs_to_target = BTreeMap::from([("CPN".to_owned(), vec![Some(10); programs.len()])]);
            b.mean_test = BTreeMap::from([("CPN".to_owned(), cpn), ("RND".to_owned(), rnd)]);
            r.config["parrot_train_pairs"] = pairs;
            r
        };
        let sobel = run(&["sobel"], vec![vec![1.0], vec![0.1]], vec![vec![4.0], vec![0.1]], json!({"sobel": 262144}));
        let rest = run(
            &["fft", "kmeans"],
            vec![vec![1.0, 2.0], vec![0.5, 0.1]],
            vec![vec![1.0, 8.0], vec![1.0, 0.4]],
            json!({"fft": 32768, "kmeans": 50000}),
        );
        let m = merge(vec![sobel.clone(), rest]).unwrap();
        assert_eq!(m.benchmarks.len(), 1);
        let b = &m.benchmarks[0];
        assert_eq!(b.programs, ["sobel", "fft", "kmeans"]);
        assert_eq!(b.mean_test["CPN"], vec![vec![1.0, 1.0, 2.0], vec![0.1, 0.5, 0.1]]);
        // Geometric means over all three programs: (4 · 1 · 4)^(1/3) and (1 · 2 · 4)^(1/3).
        assert!((b.improvement["CPN"][0] - 16f64.cbrt()).abs() < 1e-12);
        assert!((b.improvement["CPN"][1] - 2.0).abs() < 1e-12);
        assert_eq!(b.improvement["RND"], vec![1.0, 1.0]);
        assert_eq!(b.epochs_to_target["CPN"].len(), 3);
        assert_eq!(m.config["parrot_train_pairs"], json!({"sobel": 262144, "fft": 32768, "kmeans": 50000}));
        assert!(m.colour.is_some());
        // A program in both runs is refused.
        assert!(merge(vec![sobel.clone(), sobel]).is_err());
    }

    /// Each run's trial losses travel with its rows through every kind of join, and the report
    /// shows an interval around each improvement that has them, none where a part lacks them.
    #[test]
    fn trial_losses_join_and_give_intervals() {
        // A run of `programs` at `sizes`, each method's nine trials spread around its level.
        let run = |programs: &[&str], sizes: &[f64], methods: &[(&str, f64)]| {
            let mut r = report("ParrotBench", "compnet eval --parrot x", programs, false);
            let b = &mut r.benchmarks[0];
            b.sizes = sizes.to_vec();
            // A program's trials depend on its name and the size, not on its place in a run; RND's
            // run through the same values in another order than the others'.
            let trials = |level: f64, name: &str, size: f64| -> Vec<f64> {
                let (p, step) = (name.len() as f64, if level == 1.0 { 4 } else { 2 });
                (0..9)
                    .map(|t| level * (1.0 + 0.1 * p + size) * (1.0 + 0.3 * ((t * step % 9) as f64 - 4.0) / 4.0))
                    .collect()
            };
            b.mean_test.clear();
            for &(m, level) in methods {
                let rows = sizes
                    .iter()
                    .map(|&size| programs.iter().map(|p| trials(level, p, size).iter().sum::<f64>() / 9.0).collect())
                    .collect();
                b.mean_test.insert(m.to_owned(), rows);
                b.epochs_to_target.insert(m.to_owned(), vec![Some(10); programs.len()]);
                let by_program = b.trial_test.entry(m.to_owned()).or_default();
                for name in programs {
                    for &size in sizes {
                        by_program
                            .entry(name.to_string())
                            .or_default()
                            .insert(size_key(size), trials(level, name, size));
                    }
                }
            }
            b.improvement = improvements(&b.mean_test).unwrap();
            r
        };
        let all = [("CPN", 0.5), ("PTS", 0.8), ("RND", 1.0)];
        let small = run(&["sobel", "fft"], &[0.0, 0.1], &all);
        let full = run(&["fft", "sobel"], &[1.0], &all);
        let kmeans = run(&["kmeans"], &[0.0, 0.1, 1.0], &all);
        // A later run of CPN and RND alone, whose RND rows equal the others'.
        let cpn_again = run(&["sobel", "fft"], &[0.0, 0.1, 1.0], &[("CPN", 0.25), ("RND", 1.0)]);
        let cpn_kmeans = run(&["kmeans"], &[0.0, 0.1, 1.0], &[("CPN", 0.25), ("RND", 1.0)]);
        let m = merge(vec![small.clone(), full.clone(), kmeans.clone(), cpn_again.clone(), cpn_kmeans]).unwrap();
        let b = &m.benchmarks[0];
        assert_eq!(b.programs, ["sobel", "fft", "kmeans"]);
        for method in ["CPN", "PTS", "RND"] {
            for p in &b.programs {
                assert_eq!(b.trial_test[method][p].len(), 3, "{method} {p}: every size's trials");
            }
        }
        // CPN's trials are the later run's for sobel and fft.
        assert_eq!(b.trial_test["CPN"]["sobel"]["0.1"], cpn_again.benchmarks[0].trial_test["CPN"]["sobel"]["0.1"]);
        for k in 0..3 {
            let (lo, hi) = b.improvement_interval("CPN", k).expect("every program has trials");
            let mid = b.improvement["CPN"][k];
            assert!(lo <= mid && mid <= hi && lo < hi, "size {k}: {mid} in ({lo}, {hi})");
        }
        let text = markdown(&m);
        assert!(text.contains("paired bootstrap"), "the intervals are explained");
        let row = text.lines().find(|l| l.starts_with("| 10 % |")).expect("a 10 % row");
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | data | CPN | FOMAML | PTS | …: CPN and PTS with their intervals, FOMAML not run.
        assert!(cells[2].contains(" (") && cells[4].contains(" (") && cells[3] == "–", "{row}");

        // A part without trial losses (a results file from before them): no interval where it
        // counts, and the rest keep theirs.
        let mut old = full.clone();
        old.benchmarks[0].trial_test.clear();
        let m = merge(vec![small, old, kmeans]).unwrap();
        let b = &m.benchmarks[0];
        assert!(b.improvement_interval("CPN", 0).is_some() && b.improvement_interval("CPN", 2).is_none());
        let text = markdown(&m);
        let row = text.lines().find(|l| l.starts_with("| 100 % |")).expect("a 100 % row");
        assert!(!row.contains('('), "no interval at 100 %: {row}");
        // And it reads back from JSON without the field.
        let json = serde_json::to_string(&full.benchmarks[0]).unwrap().replace("\"trial_test\"", "\"ignored\"");
        let read: BenchmarkResult = serde_json::from_str(&json).unwrap();
        assert!(read.trial_test.is_empty());
    }

    #[test]
    fn runs_of_the_same_programs_at_other_sizes_join() {
        // sobel and jmeint at 0 and 10 %, the same at 100 % (listed the other way round), and fft
        // at all three: one ParrotBench of three programs at three sizes.
        let run = |programs: &[&str], sizes: &[f64], cpn: Vec<Vec<f64>>, rnd: Vec<Vec<f64>>, epochs: usize| {
            let mut r = report("ParrotBench", "compnet eval --parrot x", programs, false);
            let b = &mut r.benchmarks[0];
            b.sizes = sizes.to_vec();
            b.mean_test = BTreeMap::from([("CPN".to_owned(), cpn), ("RND".to_owned(), rnd)]);
            b.improvement = improvements(&b.mean_test).unwrap();
            b.epochs_to_target = BTreeMap::from([("CPN".to_owned(), vec![Some(epochs); programs.len()])]);
            r
        };
        let small =
            run(&["sobel", "jmeint"], &[0.0, 0.1], vec![vec![1.0, 2.0], vec![0.1, 0.2]], vec![vec![4.0, 2.0]; 2], 10);
        let full = run(&["jmeint", "sobel"], &[1.0], vec![vec![0.02, 0.01]], vec![vec![0.02, 0.04]], 100);
        let fft = run(&["fft"], &[0.0, 0.1, 1.0], vec![vec![1.0]; 3], vec![vec![1.0]; 3], 7);
        let m = merge(vec![small.clone(), fft.clone(), full.clone()]).unwrap();
        assert_eq!(m.benchmarks.len(), 1);
        let b = &m.benchmarks[0];
        assert_eq!(b.programs, ["sobel", "jmeint", "fft"]);
        assert_eq!(b.sizes, [0.0, 0.1, 1.0]);
        assert_eq!(b.mean_test["CPN"], vec![vec![1.0, 2.0, 1.0], vec![0.1, 0.2, 1.0], vec![0.01, 0.02, 1.0]]);
        // 100 %: sobel 0.04 / 0.01 = 4, jmeint 1, fft 1.
        assert!((b.improvement["CPN"][2] - 4f64.cbrt()).abs() < 1e-12);
        // Training times are those of the largest size.
        assert_eq!(b.epochs_to_target["CPN"], [Some(100), Some(100), Some(7)]);
        assert_eq!(m.config["compnets"][0]["programs"], json!(["sobel", "jmeint", "fft"]));
        // The order of the files gives the order of the programs, and nothing else.
        let again = merge(vec![full.clone(), small.clone(), fft]).unwrap();
        assert_eq!(again.benchmarks[0].programs, ["jmeint", "sobel", "fft"]);
        assert_eq!(again.benchmarks[0].mean_test["CPN"][1], [0.2, 0.1, 1.0]);
        assert_eq!(again.benchmarks[0].improvement, b.improvement);
        // A size in two files, or a size run for some programs only, cannot be joined.
        assert!(merge(vec![small.clone(), small.clone()]).is_err());
        let sobel_only = run(&["sobel"], &[1.0], vec![vec![0.01]], vec![vec![0.04]], 100);
        assert!(merge(vec![small.clone(), sobel_only]).is_err());
        // A program whose other part is missing: the error names both runs' programs and sizes.
        let e = merge(vec![small.clone(), run(&["fft"], &[0.0, 0.1, 1.0], vec![vec![1.0]; 3], vec![vec![1.0]; 3], 7)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("sobel, jmeint with 0 %, 10 %") && e.contains("fft with 0 %, 10 %, 100 %"), "{e}");
        // The colour application must have run at every size.
        let mut with_colour = small;
        with_colour.colour = Some(ColourResult { images: Vec::new(), by_method: BTreeMap::new() });
        let e = merge(vec![with_colour, full]).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    /// A results file read back gives the numbers written, bit for bit: joins compare RND's rows
    /// exactly, and a joined report must not move the last digit of anything it copies.
    #[test]
    fn results_files_read_back_bit_for_bit() {
        let mut r = report("ExeStack", "compnet eval", &["a.c:f"], false);
        let hard = [1.0539227724075317, 1.0977989435195923, 0.1, 1e-300, 2.2250738585072014e-308];
        r.benchmarks[0].mean_test.insert("RND".into(), hard.iter().map(|&v| vec![v]).collect());
        let back: EvalReport = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        let bits = |r: &EvalReport| -> Vec<u64> {
            r.benchmarks[0].mean_test["RND"].iter().flatten().map(|v| v.to_bits()).collect()
        };
        assert_eq!(bits(&back), bits(&r));
    }

    /// A run with more CompNets for CPN names them beside its starts; one without says nothing.
    #[test]
    fn more_compnets_for_cpn_are_named_in_the_report() {
        let mut r = report("ParrotBench", "compnet eval", &["fft"], false);
        r.config["cpn_recycle"] = json!(0.1);
        assert!(!markdown(&r).contains("CPN also finetunes"));
        r.config["cpn_also"] = json!(["runs/kC/best", "runs/kW/best"]);
        let text = markdown(&r);
        assert!(text.contains("of 2 more CompNets (`runs/kC/best`, `runs/kW/best`)"), "{text}");
        assert!(text.contains("RND has one start.") && !text.contains("Twins"), "{text}");
        r.config["twins"] = json!(true);
        let text = markdown(&r);
        assert!(
            text.contains(
                "Twins, the control for those 6 starts: every method finetunes 6 starts per trial (on programs \
                           of another covering shape, 2 each)"
            ) && !text.contains("RND has one start"),
            "{text}"
        );
        assert!(text.contains("best-of-6 RND"), "{text}");
    }

    /// A report says how its device multiplied; one written before that says nothing.
    #[test]
    fn the_device_arithmetic_is_named_in_the_report() {
        let mut r = report("ParrotBench", "compnet eval", &["fft"], false);
        assert!(!markdown(&r).contains("Matrix products"));
        r.config["device"] = json!("cuda");
        r.config["device_arithmetic"] =
            json!({"product": [16, 256, 18, 32], "mean_relative": 6.6e-5, "bits": 11.3, "below_f32": true});
        let text = markdown(&r);
        assert!(text.contains("Matrix products on this run's device (cuda): below f32: TF32-like"), "{text}");
        assert!(text.contains("about 11 bits"), "{text}");
        r.config["device"] = json!("cpu");
        r.config["device_arithmetic"] =
            json!({"product": [16, 256, 18, 32], "mean_relative": 1.7e-8, "bits": 22.0, "below_f32": false});
        assert!(markdown(&r).contains("device (cpu): f32, about 22 bits"));
    }

    /// With several CompNets the report lists each one's programs, counted in words that agree.
    #[test]
    fn each_compnet_is_listed_with_its_programs() {
        let mut r = report("ParrotBench", "compnet eval", &["fft", "sobel"], false);
        r.config["compnets"] = json!([
            {"checkpoint": "ck/default", "covering": [18, 32, 32, 8], "programs": ["fft", "sobel"]},
            {"checkpoint": "ck/wide", "covering": [64, 32, 32, 64], "programs": ["jpeg"]},
        ]);
        let text = markdown(&r);
        assert!(text.contains("- `ck/default` (18 → 32 → 32 → 8): 2 programs (fft, sobel)\n"), "{text}");
        assert!(text.contains("- `ck/wide` (64 → 32 → 32 → 64): 1 program (jpeg)\n"), "{text}");
    }

    /// A report joined from a CPU run and two GPU runs names both kinds of arithmetic, not the
    /// first run's alone; runs that agree keep the single line.
    #[test]
    fn joined_runs_on_different_devices_name_each_arithmetic() {
        let run = |programs: &[&str], device: &str, bits: f64, below: bool| {
            let mut r = report("ParrotBench", "compnet eval", programs, false);
            r.config["device"] = json!(device);
            r.config["device_arithmetic"] = json!({"bits": bits, "below_f32": below});
            r.benchmarks[0].mean_test.insert("RND".into(), vec![vec![1.0]; 2]);
            r
        };
        let cpu = run(&["fft"], "cpu", 22.0, false);
        let (gpu1, gpu2) = (run(&["sobel"], "cuda", 11.3, true), run(&["kmeans"], "cuda", 11.6, true));
        let m = merge(vec![cpu.clone(), gpu1.clone(), gpu2]).unwrap();
        let text = markdown(&m);
        assert!(
            text.contains(
                "Matrix products differ between the joined runs: 1 run on cpu: f32, about 22 bits kept; \
                           2 runs on cuda: below f32"
            ),
            "{text}"
        );
        assert!(text.contains("2 runs on cuda: below f32: TF32-like, as GPUs' tensor cores read f32, about 11 bits"));
        let alike = merge(vec![gpu1.clone(), run(&["jpeg"], "cuda", 12.0, true)]).unwrap();
        assert!(alike.config.get("device_arithmetic_runs").is_none());
        assert!(markdown(&alike).contains("Matrix products on this run's device (cuda)"));
        // A run written before the arithmetic was measured, first: the line still names the
        // measured runs and counts the other as not measured.
        let mut old = run(&["jpeg"], "cuda", 0.0, false);
        old.config.as_object_mut().unwrap().remove("device_arithmetic");
        let text = markdown(&merge(vec![old.clone(), gpu1]).unwrap());
        assert!(
            text.contains("1 run on cuda: not measured (written before 2026-12-05); 1 run on cuda: below f32"),
            "{text}"
        );
        // Nothing measured at all: no line.
        let mut older = run(&["kmeans"], "cuda", 0.0, false);
        older.config.as_object_mut().unwrap().remove("device_arithmetic");
        let none = merge(vec![old, older]).unwrap();
        assert!(none.config.get("device_arithmetic_runs").is_none());
        assert!(!markdown(&none).contains("Matrix products"));
    }

    /// A run whose RND is the scaled control says so above its tables; the paper's RND (and a
    /// report written before the control existed) says nothing.
    #[test]
    fn a_scaled_rnd_control_is_named_in_the_report() {
        let mut r = report("ParrotBench", "compnet eval --rnd-scale 0.1 --rnd-bias -2.7", &["fft"], false);
        let line = "**RND here is a control, not the paper's baseline:** its Xavier-uniform draw times 0.1, hidden biases -2.7";
        assert!(!markdown(&r).contains("RND here is a control"));
        r.config["rnd"] = serde_json::json!({ "weight_scale": 1.0, "hidden_bias": 0.0 });
        assert!(!markdown(&r).contains("RND here is a control"));
        r.config["rnd"] =
            serde_json::to_value(crate::compnet::RandomInit { weight_scale: 0.1, hidden_bias: -2.7 }).unwrap();
        assert!(markdown(&r).contains(line), "{}", markdown(&r));
    }

    #[test]
    fn methods_not_run_read_as_a_dash_not_nan() {
        let mut r = report("ParrotBench", "compnet eval --parrot x --methods CPN,RND", &["fft", "sobel"], false);
        let b = &mut r.benchmarks[0];
        b.sizes = vec![0.0, 1.0];
        b.mean_test = [("CPN", vec![vec![1.0, 0.5], vec![0.1, 0.05]]), ("RND", vec![vec![2.0, 4.0], vec![0.2, 0.4]])]
            .into_iter()
            .map(|(m, v)| (m.to_owned(), v))
            .collect();
        b.improvement = improvements(&b.mean_test).unwrap();
        let md = markdown(&r);
        assert!(!md.contains("NaN"), "{md}");
        assert!(md.contains("| fft | 0 % | 1.000e0 | – | – | 2.000e0 |"), "{md}");
        assert!(md.contains("| sobel | 100 % | 5.000e-2 | – | – | 4.000e-1 |"), "{md}");
    }

    #[test]
    fn a_run_of_fewer_methods_replaces_their_rows_when_rnd_agrees() {
        // An earlier run of CPN, PTS and RND on sobel and fft; a later run of CPN and RND alone
        // (the programs listed the other way round), with a better CPN.
        let run = |programs: &[&str], methods: &[(&str, Vec<Vec<f64>>, usize)]| {
            let mut r = report("ParrotBench", "compnet eval --parrot x", programs, false);
            let b = &mut r.benchmarks[0];
            b.sizes = vec![0.0, 1.0];
            b.mean_test = methods.iter().map(|(m, v, _)| (m.to_string(), v.clone())).collect();
            b.improvement = improvements(&b.mean_test).unwrap();
            b.epochs_to_target =
                methods.iter().map(|(m, _, e)| (m.to_string(), vec![Some(*e); programs.len()])).collect();
            let rows = |m: &str| vec![(1.0, 0.5, if m == "CPN" { 0.9 } else { 0.6 }); 2];
            r.colour = Some(ColourResult {
                images: vec![("chelsea".into(), 8, 8)],
                by_method: methods.iter().map(|(m, _, _)| (m.to_string(), rows(m))).collect(),
            });
            r
        };
        let rnd = vec![vec![4.0, 2.0], vec![0.4, 0.2]];
        let earlier = run(
            &["sobel", "fft"],
            &[
                ("CPN", vec![vec![2.0, 2.0], vec![0.4, 0.2]], 50),
                ("PTS", vec![vec![4.0, 1.0], vec![0.2, 0.2]], 40),
                ("RND", rnd.clone(), 100),
            ],
        );
        let swap = |v: &Vec<Vec<f64>>| v.iter().map(|r| vec![r[1], r[0]]).collect::<Vec<_>>();
        let later =
            run(&["fft", "sobel"], &[("CPN", vec![vec![1.0, 1.0], vec![0.1, 0.1]], 20), ("RND", swap(&rnd), 100)]);
        for files in [vec![earlier.clone(), later.clone()], vec![later.clone(), earlier.clone()]] {
            let m = merge(files).unwrap();
            assert_eq!(m.benchmarks.len(), 1);
            let b = &m.benchmarks[0];
            let at = |p: &str| b.programs.iter().position(|q| q == p).unwrap();
            assert_eq!(b.mean_test["CPN"][1][at("sobel")], 0.1);
            assert_eq!(b.mean_test["CPN"][1][at("fft")], 0.1);
            assert_eq!(b.mean_test["PTS"][1][at("sobel")], 0.2);
            // 100 %: sobel 0.4 / 0.1, fft 0.2 / 0.1.
            assert!((b.improvement["CPN"][1] - 8f64.sqrt()).abs() < 1e-12);
            assert_eq!(b.epochs_to_target["CPN"], [Some(20); 2]);
            assert_eq!(b.epochs_to_target["PTS"], [Some(40); 2]);
            assert_eq!(m.config["methods_run_apart"], json!(["CPN"]));
            assert_eq!(m.config["methods_run_apart_in"], json!(["ParrotBench"]));
            let c = m.colour.as_ref().unwrap();
            assert_eq!(c.by_method.len(), 3);
            assert_eq!(c.by_method["CPN"][0].2, 0.9);
            assert!(markdown(&m).contains("CPN's rows come from a later command"));
        }
        // A last digit moved by an older file's reading is the same run.
        let mut last_digit = later.clone();
        let v = &mut last_digit.benchmarks[0].mean_test.get_mut("RND").unwrap()[0][0];
        *v = v.next_up();
        assert!(merge(vec![earlier.clone(), last_digit]).is_ok());
        // RND differing anywhere (here fft at 0 %) means other data or seeds: refused.
        let mut other_seed = later.clone();
        other_seed.benchmarks[0].mean_test.get_mut("RND").unwrap()[0][0] = 2.0000001;
        let e = merge(vec![earlier.clone(), other_seed]).unwrap_err();
        assert!(e.to_string().contains("RND rows differ"), "{e}");
        // So is a colour application whose RND differs.
        let mut other_colour = later;
        other_colour.colour.as_mut().unwrap().by_method.get_mut("RND").unwrap()[1].2 = 0.61;
        let e = merge(vec![earlier, other_colour]).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn the_paper_set_joins_its_splits_with_kmeans_and_sobel_of_the_six() {
        // ParrotBench: sobel, jmeint, kmeans; ParrotBenchCPN's splits: fft_sin, fft_cos. Sizes 0, 100 %.
        let bench = |name: &str, programs: &[&str], cpn: Vec<Vec<f64>>, rnd: Vec<Vec<f64>>| {
            let mut r = report(name, "compnet eval", programs, false);
            let b = &mut r.benchmarks[0];
            b.mean_test = BTreeMap::from([("CPN".to_owned(), cpn), ("RND".to_owned(), rnd)]);
            b.improvement = improvements(&b.mean_test).unwrap();
            b.epochs_to_target = BTreeMap::from([("CPN".to_owned(), (0..programs.len()).map(Some).collect())]);
            r
        };
        let six = bench(
            PARROT,
            &["sobel", "jmeint", "kmeans"],
            vec![vec![1.0, 1.0, 1.0], vec![0.5, 0.1, 0.25]],
            vec![vec![2.0, 3.0, 8.0], vec![1.0, 0.1, 1.0]],
        );
        let splits = bench(
            PARROT_CPN,
            &["fft_sin", "fft_cos"],
            vec![vec![1.0, 1.0], vec![1.0, 1.0]],
            vec![vec![1.0, 1.0], vec![2.0, 8.0]],
        );
        let m = merge(vec![six.clone(), splits]).unwrap();
        let cpn = m.benchmarks.iter().find(|b| b.name == PARROT_CPN).unwrap();
        // jmeint is not in the paper's set; sobel and kmeans come with their numbers.
        assert_eq!(cpn.programs, ["fft_sin", "fft_cos", "sobel", "kmeans"]);
        assert_eq!(cpn.mean_test["RND"][0], vec![1.0, 1.0, 2.0, 8.0]);
        assert_eq!(cpn.epochs_to_target["CPN"], vec![Some(0), Some(1), Some(0), Some(2)]);
        // Geometric means: (1 · 1 · 2 · 8)^(1/4) = 2 at 0 %; (2 · 8 · 2 · 4)^(1/4) = 8^(1/2)·… at 100 %.
        assert!((cpn.improvement["CPN"][0] - 2.0).abs() < 1e-12);
        assert!((cpn.improvement["CPN"][1] - 128f64.powf(0.25)).abs() < 1e-12);
        // ParrotBench itself is unchanged, and completing twice adds nothing.
        assert_eq!(m.benchmarks.iter().find(|b| b.name == PARROT).unwrap().programs, six.benchmarks[0].programs);
        let mut again = m.clone();
        complete_paper_set(&mut again).unwrap();
        assert_eq!(again.benchmarks[1].programs.len(), 4);
        let md = markdown(&m);
        assert!(
            md.contains("## ParrotBenchCPN (4 programs)") && md.contains("Incomplete here: inversek2j_theta1"),
            "{md}"
        );
    }
}
