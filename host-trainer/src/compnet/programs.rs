//! Programs as CompNet sees them: token ids, and I/O pairs padded to the covering shape with
//! inputs mapped from their domain onto [−1, 1].

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use burn::tensor::{Device, Int, Tensor, TensorData};
use compnet_datasets::c_tokens::{EncodedProgram, Vocabulary};
use compnet_datasets::store::{self, ProgramRecord};

use super::covering::CoveringShape;

/// One program's identity and token ids.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramTokens {
    /// Program name.
    pub name: String,
    /// Real inputs.
    pub n_in: usize,
    /// Real outputs.
    pub n_out: usize,
    /// `[CLS]` and the encoded source, with its literal values.
    pub tokens: EncodedProgram,
}

/// Programs and their pairs in the dense layout training uses: `[program, pair, n_in]` inputs,
/// `[program, pair, n_out]` outputs (covering widths, zero-padded) and a `[program, n_out]` mask.
#[derive(Debug, Clone, Default)]
pub struct ProgramSet {
    /// Covering widths the buffers are padded to.
    pub n_in: usize,
    /// Covering outputs.
    pub n_out: usize,
    /// Pairs per program (each program's first `pairs` of its split).
    pub pairs: usize,
    /// The programs, in file order.
    pub programs: Vec<ProgramTokens>,
    /// Normalised, padded inputs.
    pub inputs: Vec<f32>,
    /// Padded outputs.
    pub outputs: Vec<f32>,
    /// 1 on real outputs, 0 on padding.
    pub mask: Vec<f32>,
    /// Programs left out, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Keep programs longer than `max_tokens`, truncated (as `compile` does), instead of skipping them.
    pub truncate_tokens: bool,
    /// Per file [`ProgramSet::load`] read: its path, its rows of the split, and the programs kept.
    pub files: Vec<(std::path::PathBuf, usize, usize)>,
}

/// Which split's pairs of each program to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairSplit {
    /// The rows whose `split` is `train`.
    Train,
    /// The rows whose `split` is `test`.
    Test,
}

impl PairSplit {
    fn name(self) -> &'static str {
        match self {
            PairSplit::Train => "train",
            PairSplit::Test => "test",
        }
    }
}

impl ProgramSet {
    /// Programs.
    pub fn len(&self) -> usize {
        self.programs.len()
    }

    /// No programs.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
    }

    /// Reads the Parquet program files in `paths` and keeps each program's `split` rows,
    /// `pairs` of them; programs outside the covering shape, over `max_tokens` tokens, whose
    /// source does not lex or with fewer pairs are skipped and counted.
    pub fn load(
        paths: &[impl AsRef<Path>],
        split: PairSplit,
        covering: &CoveringShape,
        vocabulary: &Vocabulary,
        max_tokens: usize,
        pairs: usize,
    ) -> anyhow::Result<ProgramSet> {
        let mut set = ProgramSet { n_in: covering.n_in, n_out: covering.n_out, pairs, ..ProgramSet::default() };
        for path in paths {
            let path = path.as_ref();
            let records =
                store::read_records(path).with_context(|| format!("reading programs from {}", path.display()))?;
            let before = set.programs.len();
            let mut rows = 0;
            for r in records.iter().filter(|r| r.split == split.name()) {
                rows += 1;
                set.push(r, covering, vocabulary, max_tokens);
            }
            set.files.push((path.to_path_buf(), rows, set.programs.len() - before));
        }
        Ok(set)
    }

    /// Fails naming the first file that had rows of the split and gave no program, with the
    /// reasons programs were skipped: a file passed to be read and then silently left out is
    /// a mistake (a synthetic build whose `train` rows hold half of its `--pairs`, read at the
    /// full count).
    pub fn ensure_every_file_used(&self, flag: &str) -> anyhow::Result<()> {
        if let Some((path, rows, _)) = self.files.iter().find(|(_, rows, kept)| *rows > 0 && *kept == 0) {
            anyhow::bail!(
                "{flag} {}: none of its {rows} programs could be used at --pairs {} (skipped so far: {}); a \
                 synthetic or ExeStack file keeps half of each program's pairs in its train rows and half in its test rows",
                path.display(),
                self.pairs,
                self.skipped.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
            );
        }
        Ok(())
    }

    fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_owned()).or_default() += 1;
    }

    /// Adds one program (one split's record), or counts why it is skipped.
    pub fn push(&mut self, r: &ProgramRecord, covering: &CoveringShape, vocabulary: &Vocabulary, max_tokens: usize) {
        let (n_in, n_out) = (r.pairs.n_in(), r.pairs.n_out());
        if !covering.covers(n_in, n_out) {
            return self.skip("outside the covering shape");
        }
        if r.pairs.len() < self.pairs {
            return self.skip("too few pairs");
        }
        let tokens = match vocabulary.encode_program(&r.source, usize::MAX) {
            Ok(t) if t.len() <= max_tokens => t,
            Ok(mut t) if self.truncate_tokens => {
                t.truncate(max_tokens);
                t
            }
            Ok(_) => return self.skip("too many tokens"),
            Err(_) => return self.skip("source does not lex"),
        };
        covering.push_pairs(&r.pairs, 0..self.pairs, &r.domain, &mut self.inputs, &mut self.outputs);
        self.mask.extend(covering.output_mask(n_out));
        self.programs.push(ProgramTokens { name: r.name.clone(), n_in, n_out, tokens });
    }

    /// Program `k`'s outputs without the covering's padding: `pairs` rows of its real outputs.
    pub fn real_outputs(&self, k: usize) -> Vec<f32> {
        let block = self.pairs * self.n_out;
        self.outputs[k * block..(k + 1) * block]
            .chunks_exact(self.n_out)
            .flat_map(|row| row[..self.programs[k].n_out].iter().copied())
            .collect()
    }

    /// A one-line summary: programs kept and skipped by reason.
    pub fn describe(&self) -> String {
        let skipped: Vec<String> = self.skipped.iter().map(|(r, n)| format!("{n} {r}")).collect();
        if skipped.is_empty() {
            format!("{} programs × {} pairs", self.len(), self.pairs)
        } else {
            format!("{} programs × {} pairs (skipped: {})", self.len(), self.pairs, skipped.join(", "))
        }
    }
}

/// A [`ProgramSet`]'s buffers on a device, for fast batch selection.
#[derive(Debug, Clone)]
pub struct ProgramTensors {
    /// `[programs, pairs, n_in]`.
    pub x: Tensor<3>,
    /// `[programs, pairs, n_out]`.
    pub y: Tensor<3>,
    /// `[programs, 1, n_out]`.
    pub mask: Tensor<3>,
}

/// Indices as an `Int` tensor.
pub fn index_tensor(indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let v: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(v, [indices.len()]), device)
}

impl ProgramSet {
    /// The buffers as tensors on `device`.
    pub fn upload(&self, device: &Device) -> ProgramTensors {
        let n = self.len();
        ProgramTensors {
            x: Tensor::from_data(TensorData::new(self.inputs.clone(), [n, self.pairs, self.n_in]), device),
            y: Tensor::from_data(TensorData::new(self.outputs.clone(), [n, self.pairs, self.n_out]), device),
            mask: Tensor::from_data(TensorData::new(self.mask.clone(), [n, 1, self.n_out]), device),
        }
    }
}

impl ProgramTensors {
    /// `(x, y, mask)` of `programs`, with only the pairs `pairs` (all when `None`).
    pub fn batch(
        &self,
        programs: &[usize],
        pairs: Option<&[usize]>,
        device: &Device,
    ) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
        let idx = index_tensor(programs, device);
        let (mut x, mut y) = (self.x.clone().select(0, idx.clone()), self.y.clone().select(0, idx.clone()));
        if let Some(pairs) = pairs {
            let p = index_tensor(pairs, device);
            x = x.select(1, p.clone());
            y = y.select(1, p);
        }
        (x, y, self.mask.clone().select(0, idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compnet_datasets::IoPairs;

    fn record(name: &str, n_in: usize, n_out: usize, split: &str, source: &str) -> ProgramRecord {
        let n = 4;
        let xs: Vec<f32> = (0..n * n_in).map(|k| k as f32).collect();
        let ys: Vec<f32> = (0..n * n_out).map(|k| -(k as f32)).collect();
        ProgramRecord {
            name: name.into(),
            function: "f".into(),
            source: source.into(),
            signature: "double f(double x)".into(),
            domain: vec![(0.0, 10.0); n_in],
            split: split.into(),
            pairs: IoPairs::new(n_in, n_out, xs, ys).unwrap(),
        }
    }

    #[test]
    fn pads_normalises_masks_and_skips() {
        let covering = CoveringShape { n_in: 3, hidden: vec![4], n_out: 2, activation: "sigmoid".into() };
        let vocab = Vocabulary::default();
        let mut set = ProgramSet { n_in: 3, n_out: 2, pairs: 2, ..ProgramSet::default() };
        set.push(&record("a", 2, 1, "train", "double f(double x){return x;}"), &covering, &vocab, 64);
        set.push(&record("b", 4, 1, "train", "double f(double x){return x;}"), &covering, &vocab, 64);
        set.push(&record("c", 1, 1, "train", "double f(double x){return x+1+2+3+4+5+6+7+8+9;}"), &covering, &vocab, 8);
        set.push(&record("d", 1, 1, "train", "double f(double x){return \"x;}"), &covering, &vocab, 64);
        assert_eq!(set.len(), 1);
        assert_eq!(set.skipped.values().sum::<usize>(), 3);
        assert_eq!(set.skipped["outside the covering shape"], 1);
        // Inputs 0,1 then 2,3 on domain [0,10] → (x − 5) / 5, padded with a zero.
        let expected = [-1.0f32, -0.8, 0.0, -0.6, -0.4, 0.0];
        assert!(set.inputs.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{:?}", set.inputs);
        assert_eq!(set.outputs, vec![0.0, 0.0, -1.0, 0.0]);
        // The record's first two outputs, as written.
        assert_eq!(set.real_outputs(0), vec![0.0, -1.0]);
        assert_eq!(set.mask, vec![1.0, 0.0]);
        assert_eq!(set.programs[0].tokens.ids[0], compnet_datasets::c_tokens::CLS);
    }
}
