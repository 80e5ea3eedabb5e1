//! `compnet zero-data`: compiled surrogates against random initialisations, with no training data.

use std::path::PathBuf;

use anyhow::{Context, ensure};
use clap::Args;
use compnet_datasets::parrot;
use compnet_datasets::signature::Signature;
use compnet_datasets::store::ProgramRecord;

use super::compile::{first_covering, load_compnets};
use crate::artifacts;
use crate::compnet::covering::training_frame;
use crate::compnet::programs::{PairSplit, ProgramSet};
use crate::compnet::zero_data::{self, ZeroDataRow};

#[derive(Debug, Args)]
pub(super) struct ZeroDataArgs {
    /// Held-out programs (their `test` pairs): Parquet files; repeatable.
    #[arg(long = "data")]
    data: Vec<PathBuf>,
    /// Also compare on the six ParrotBench programs (built under --parrot-data if absent).
    #[arg(long)]
    parrot: bool,
    /// Folder of the ParrotBench Parquet files.
    #[arg(long, default_value = "data/parrot")]
    parrot_data: PathBuf,
    /// CompNet checkpoint folders, repeatable: held-out programs go to the first; each ParrotBench
    /// program to the first whose covering shape covers it (default: the shipped ones, `default`
    /// then `wide`).
    #[arg(long = "checkpoint")]
    checkpoints: Vec<PathBuf>,
    /// Random initialisations averaged for RND.
    #[arg(long, default_value_t = 9)]
    trials: u64,
    /// Test pairs per program.
    #[arg(long, default_value_t = 1024)]
    pairs: usize,
    /// Output folder (zero-data.json, zero-data.md).
    #[arg(long, default_value = "runs/zero-data")]
    out: PathBuf,
    /// cpu, or cuda[:N] in a CUDA build.
    #[arg(long, default_value = "cpu")]
    device: String,
}

#[derive(serde::Serialize)]
struct ZeroDataReport {
    checkpoint: String,
    command: String,
    trials: u64,
    held_out: Option<(zero_data::ZeroDataSummary, Vec<ZeroDataRow>)>,
    held_out_skipped: std::collections::BTreeMap<String, usize>,
    parrot: Vec<ParrotZeroData>,
}

#[derive(serde::Serialize)]
struct ParrotZeroData {
    program: &'static str,
    row: Option<ZeroDataRow>,
    note: String,
}

pub(super) fn zero_data_command(a: ZeroDataArgs) -> anyhow::Result<()> {
    ensure!(!a.data.is_empty() || a.parrot, "give held-out programs with --data FILE, and/or --parrot");
    let device = crate::device::parse(&a.device)?;
    let nets = load_compnets(&a.checkpoints, &device)?;
    let (ckpt, net, covering) = (super::shown(&nets[0].path), &nets[0].net, &nets[0].covering);
    let mut report = ZeroDataReport {
        checkpoint: ckpt.clone(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        trials: a.trials,
        held_out: None,
        held_out_skipped: Default::default(),
        parrot: Vec::new(),
    };
    if !a.data.is_empty() {
        let set = ProgramSet::load(&a.data, PairSplit::Test, covering, &net.vocabulary(), net.max_tokens(), a.pairs)?;
        eprintln!("held-out   {}", set.describe());
        ensure!(
            !set.is_empty(),
            "no program of {} could be compared ({}): programs need --pairs {} test pairs and must fit \
             the checkpoint's covering shape {:?} and {} tokens",
            a.data.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "),
            set.describe(),
            a.pairs,
            covering.widths(),
            net.max_tokens()
        );
        report.held_out_skipped = set.skipped.clone();
        let rows = zero_data::compare(net, &set, &device, a.trials as usize, 0x5eed)?;
        report.held_out = Some((zero_data::summarize(&rows), rows));
    }
    if a.parrot {
        for program in parrot::programs() {
            let file = a.parrot_data.join(parrot::file_name(program));
            if !file.exists() {
                super::parrot_data(program.name, &a.parrot_data, None)?;
            }
            let data = parrot::load(&a.parrot_data, program)?;
            // Evenly spaced test pairs: the test set runs through whole images in order.
            let stride = (data.test.len() / a.pairs).max(1);
            let picked: Vec<usize> = (0..data.test.len()).step_by(stride).take(a.pairs).collect();
            let record = ProgramRecord {
                name: program.name.into(),
                function: program.function.into(),
                source: program.source.into(),
                signature: program.signature.into(),
                // The inputs as CompNet was trained to read them (`training_frame`), which is
                // what `compile` moves a surrogate to the program's own domain for.
                domain: training_frame(
                    &Signature::parse(program.signature).with_context(|| format!("{}'s signature", program.name))?,
                ),
                split: "test".into(),
                pairs: data.test.select(&picked),
            };
            // The first CompNet whose covering shape covers the program (else the first, which
            // then says why it does not compile it).
            let k = first_covering(&nets, program.n_in(), program.n_out()).unwrap_or(0);
            let (net, covering) = (&nets[k].net, &nets[k].covering);
            let mut set =
                ProgramSet { n_in: covering.n_in, n_out: covering.n_out, pairs: picked.len(), ..ProgramSet::default() };
            set.truncate_tokens = true;
            let vocabulary = net.vocabulary();
            set.push(&record, covering, &vocabulary, net.max_tokens());
            let (row, note) = if set.is_empty() {
                (None, format!("not compiled: {}", set.skipped.keys().cloned().collect::<Vec<_>>().join(", ")))
            } else {
                let row = zero_data::compare(net, &set, &device, a.trials as usize, 0x5eed)?.remove(0);
                let tokens = vocabulary.encode_source(program.source, usize::MAX).map_or(0, |t| t.len());
                let mut notes = Vec::new();
                if tokens > net.max_tokens() {
                    notes.push(format!("{tokens} tokens, first {} read", net.max_tokens()));
                }
                if k > 0 {
                    notes.push(format!("compiled by `{}` ({:?})", super::shown(&nets[k].path), covering.widths()));
                }
                let note = notes.join("; ");
                (Some(row), note)
            };
            report.parrot.push(ParrotZeroData { program: program.name, row, note });
        }
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    artifacts::write_json(&a.out.join("zero-data.json"), &report)?;
    let md = zero_data_markdown(&report);
    artifacts::write_atomic(&a.out.join("zero-data.md"), md.as_bytes())?;
    print!("{md}");
    Ok(())
}

fn zero_data_markdown(r: &ZeroDataReport) -> String {
    let mut s = format!("# 0 % data: compiled (CPN) vs random init (RND, mean of {} draws)\n\n", r.trials);
    s += &format!("Checkpoint `{}`; command `{}`.\n\n", r.checkpoint, r.command);
    s += "The best constant is each output's mean over the test pairs, fitted on them: a yardstick, not a method.\n\n";
    if let Some((sum, _)) = &r.held_out {
        s += "## Held-out programs\n\n| programs | CPN mean MSE | RND mean MSE | improvement (geo. mean of RND ÷ CPN) | ratio of means | CPN better | CPN below the best constant |\n|---|---|---|---|---|---|---|\n";
        s += &format!(
            "| {} | {:.4e} | {:.4e} | {:.2}× | {:.2}× | {} of {} | {} of {} |\n\n",
            sum.programs,
            sum.mean_cpn_mse,
            sum.mean_rnd_mse,
            sum.geometric_mean_improvement,
            sum.ratio_of_means,
            sum.cpn_better,
            sum.programs,
            sum.cpn_beats_constant,
            sum.programs
        );
    }
    if !r.parrot.is_empty() {
        s += "## ParrotBench\n\n| program | inputs → outputs | CPN MSE | RND MSE | RND ÷ CPN | best constant MSE | note |\n|---|---|---|---|---|---|---|\n";
        for p in &r.parrot {
            match &p.row {
                Some(row) => {
                    s += &format!(
                        "| {} | {} → {} | {:.4e} | {:.4e} | {:.2}× | {:.4e} | {} |\n",
                        p.program,
                        row.n_in,
                        row.n_out,
                        row.cpn_mse,
                        row.rnd_mse,
                        row.improvement(),
                        row.constant_mse,
                        p.note
                    )
                }
                None => s += &format!("| {} | | | | | | {} |\n", p.program, p.note),
            }
        }
    }
    s
}
