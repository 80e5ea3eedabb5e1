//! `compnet run`: evaluates a surrogate on inputs given on the command line or in a CSV file,
//! through the no-alloc core or through tract.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use clap::{Args, ValueEnum};
use compnet_runtime::{OnnxRunner, SurrogateView};

use super::model_file::{Format, ModelFile};

/// Which engine evaluates the surrogate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Engine {
    /// The no-alloc core on the `.cpn` blob (an ONNX model is converted to a blob first).
    Core,
    /// tract on the ONNX graph (a blob is exported to ONNX first).
    Tract,
}

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// The surrogate: a `.cpn` blob, a compnet `.onnx` file, or a `compnet fit` run folder.
    model: PathBuf,
    /// One input row, comma-separated (repeatable).
    #[arg(long = "input", allow_hyphen_values = true)]
    inputs: Vec<String>,
    /// A CSV file of input rows, one per line (`-` for stdin); blank lines and `#` comments skipped.
    #[arg(long = "inputs", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Engine; default core for a blob, tract for an ONNX file.
    #[arg(long, value_enum)]
    engine: Option<Engine>,
    /// Fail (exit 1, no output) when an input lies outside the surrogate's trained domain,
    /// instead of warning.
    #[arg(long)]
    strict_domain: bool,
}

pub(super) fn run_command(a: RunArgs) -> anyhow::Result<()> {
    let model = ModelFile::read(&a.model)?;
    let s = &model.surrogate;
    let n_in = s.n_in();
    let mut rows = Vec::new();
    for (k, text) in a.inputs.iter().enumerate() {
        rows.push(parse_row(text, n_in).with_context(|| format!("--input #{} {text:?}", k + 1))?);
    }
    if let Some(file) = &a.file {
        rows.extend(read_rows(file, n_in)?);
    }
    ensure!(!rows.is_empty(), "no inputs: give --input x0,x1,… (repeatable) or --inputs FILE.csv");

    let blob;
    let view = match model.format {
        Format::Blob => SurrogateView::parse(&model.bytes)?,
        Format::Onnx => {
            blob = s.to_blob(model.precision);
            SurrogateView::parse(&blob)?
        }
    };
    for (r, x) in rows.iter().enumerate() {
        if let Some(o) = view.out_of_domain(x) {
            let msg = format!(
                "row {}: input {} = {} is outside the trained domain [{}, {}] of {}",
                r + 1,
                o.input,
                o.value,
                o.lo,
                o.hi,
                s.meta.name
            );
            if a.strict_domain {
                bail!("{msg} (--strict-domain)");
            }
            eprintln!("warning: {msg}; the surrogate is extrapolating, the original function should run here");
        }
    }

    let xs: Vec<f32> = rows.concat();
    let engine = a.engine.unwrap_or(match model.format {
        Format::Blob => Engine::Core,
        Format::Onnx => Engine::Tract,
    });
    let ys = match engine {
        Engine::Core => view.eval_rows(&xs)?,
        Engine::Tract => {
            let onnx = match model.format {
                Format::Onnx => model.bytes.clone(),
                Format::Blob => compnet_onnx::to_onnx(s, &Default::default())?,
            };
            OnnxRunner::load(&onnx, rows.len().min(256))?.run_rows(&xs)?
        }
    };
    let mut out = std::io::stdout().lock();
    for y in ys.chunks_exact(s.n_out()) {
        let line: Vec<String> = y.iter().map(f32::to_string).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

/// One row of `n_in` finite numbers, comma-separated.
fn parse_row(text: &str, n_in: usize) -> anyhow::Result<Vec<f32>> {
    let row = text
        .split(',')
        .enumerate()
        .map(|(i, v)| {
            let x: f32 = v.trim().parse().with_context(|| format!("value {} {:?} is not a number", i + 1, v.trim()))?;
            ensure!(x.is_finite(), "value {} is {x}: inputs must be finite", i + 1);
            Ok(x)
        })
        .collect::<anyhow::Result<Vec<f32>>>()?;
    ensure!(row.len() == n_in, "{} values, the surrogate takes {n_in} inputs", row.len());
    Ok(row)
}

fn read_rows(file: &PathBuf, n_in: usize) -> anyhow::Result<Vec<Vec<f32>>> {
    let reader: Box<dyn BufRead> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open inputs {}", file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut rows = Vec::new();
    for (k, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        rows.push(parse_row(t, n_in).with_context(|| format!("{} line {}", file.display(), k + 1))?);
    }
    Ok(rows)
}
