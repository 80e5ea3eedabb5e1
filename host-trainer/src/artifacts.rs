//! What a run writes beside its surrogate: `metrics.csv`, `loss.png`, `config.json`,
//! `report.json`. Every file is written to a temporary name and renamed, so a killed run never
//! leaves a half-written file behind.

use std::path::Path;

use anyhow::Context;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::fit::EpochMetrics;

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("out")));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
}

/// Writes `value` as pretty JSON.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())
}

/// `epoch,train_loss,val_mse,learning_rate,seconds`, one line per epoch.
pub fn write_metrics_csv(path: &Path, history: &[EpochMetrics]) -> anyhow::Result<()> {
    // The finetuned validation column only where a run measured it (`compnet train --val-finetune`).
    let finetuned = history.iter().any(|h| h.val_finetuned.is_some());
    let mut s = String::from("epoch,train_loss,val_mse,learning_rate,seconds");
    s += if finetuned { ",val_finetuned\n" } else { "\n" };
    for h in history {
        s += &format!("{},{:.6e},{:.6e},{:.6e},{:.3}", h.epoch, h.train_loss, h.val_mse, h.learning_rate, h.seconds);
        if finetuned {
            s += &h.val_finetuned.map_or(",".to_string(), |v| format!(",{v:.6e}"));
        }
        s.push('\n');
    }
    write_atomic(path, s.as_bytes())
}

/// A font for plot labels: DejaVu Sans where the system has it (Debian's fonts-dejavu-core).
pub fn register_font() -> bool {
    static FONT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FONT.get_or_init(|| {
        let candidates = [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",
        ];
        candidates.iter().find_map(|p| std::fs::read(p).ok()).is_some_and(|bytes| {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        })
    })
}

/// A plotters chart with an `f64` x axis and a logarithmic `f64` y axis, as every plot here has.
pub type LogChart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, LogCoord<f64>>>;

/// Writes a `size` PNG plot at `path`: `draw` paints on a white canvas, and the file gets its
/// name only once complete (the encoder picks the format from the extension, so the temporary
/// name ends in `.png` too).
pub fn write_png_plot(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let tmp = path.with_file_name(format!(".{}.tmp.png", path.file_stem().and_then(|s| s.to_str()).unwrap_or("plot")));
    {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move plot to {}", path.display()))
}

/// The legend box of the series drawn with labels.
pub fn draw_legend<'a, 'b: 'a>(chart: &mut LogChart<'a, 'b>, font_size: u32) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", font_size))
        .draw()?;
    Ok(())
}

/// A log-scale loss curve: training loss (standardised) and validation MSE (raw) per epoch.
/// Without a system font the curves are drawn without text.
pub fn write_loss_plot(path: &Path, title: &str, history: &[EpochMetrics], best_epoch: usize) -> anyhow::Result<()> {
    loss_plot(path, title, history, best_epoch, register_font())
}

/// [`write_loss_plot`], with text (`labels`) or, on a machine without the font, lines alone.
fn loss_plot(
    path: &Path,
    title: &str,
    history: &[EpochMetrics],
    best_epoch: usize,
    labels: bool,
) -> anyhow::Result<()> {
    write_png_plot(path, (900, 520), |root| {
        let values = history.iter().flat_map(|h| [h.train_loss, h.val_mse]).filter(|v| *v > 0.0 && v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo < hi { (lo * 0.8, hi * 1.25) } else { (1e-8, 1.0) };
        let mut builder = ChartBuilder::on(root);
        builder.margin(20).x_label_area_size(if labels { 40 } else { 5 }).y_label_area_size(if labels {
            80
        } else {
            5
        });
        if labels {
            builder.caption(title, ("sans-serif", 22));
        }
        let mut chart = builder.build_cartesian_2d(1f64..(history.len().max(2) as f64), (lo..hi).log_scale())?;
        // A mesh measures its label text even when it has none, so without a font there is none.
        if labels {
            chart.configure_mesh().x_desc("epoch").y_desc("MSE").label_style(("sans-serif", 14)).draw()?;
        }
        let series = [
            (
                "train loss (standardised)",
                BLUE,
                history.iter().map(|h| (h.epoch as f64, h.train_loss)).collect::<Vec<_>>(),
            ),
            ("validation MSE (raw)", RED, history.iter().map(|h| (h.epoch as f64, h.val_mse)).collect()),
        ];
        for (name, color, points) in series {
            let drawn = chart.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
            if labels {
                drawn.label(name).legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            }
        }
        if let Some(b) = history.iter().find(|h| h.epoch == best_epoch) {
            chart.draw_series([Circle::new((b.epoch as f64, b.val_mse), 5, BLACK.filled())])?;
        }
        if labels {
            draw_legend(&mut chart, 14)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_csv_and_a_decodable_png() {
        let dir = tempfile::tempdir().unwrap();
        let history: Vec<EpochMetrics> = (1..=10)
            .map(|e| EpochMetrics {
                epoch: e,
                train_loss: 1.0 / e as f64,
                val_mse: 0.5 / e as f64,
                learning_rate: 1e-2,
                seconds: e as f64,
                val_finetuned: None,
            })
            .collect();
        write_metrics_csv(&dir.path().join("m.csv"), &history).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("m.csv")).unwrap();
        assert_eq!(csv.lines().count(), 11);
        assert!(csv.lines().nth(10).unwrap().starts_with("10,1.000000e-1,5.000000e-2,"));
        assert_eq!(csv.lines().next().unwrap(), "epoch,train_loss,val_mse,learning_rate,seconds");
        // A CompNet run with a finetuned validation gets its column.
        let mut with = history.clone();
        with[9].val_finetuned = Some(0.25);
        write_metrics_csv(&dir.path().join("f.csv"), &with).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("f.csv")).unwrap();
        assert!(csv.starts_with("epoch,train_loss,val_mse,learning_rate,seconds,val_finetuned\n"));
        assert!(csv.lines().nth(10).unwrap().ends_with(",2.500000e-1"));
        assert!(csv.lines().nth(1).unwrap().ends_with(','), "an epoch without the value leaves it empty");
        // Without a font (the GPU machine has none) the plot is drawn without text.
        let bare = dir.path().join("bare.png");
        loss_plot(&bare, "t", &history, 10, false).unwrap();
        assert_eq!(&std::fs::read(&bare).unwrap()[1..4], b"PNG");
        let png_path = dir.path().join("loss.png");
        write_loss_plot(&png_path, "t", &history, 10).unwrap();
        let bytes = std::fs::read(&png_path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        assert!(!dir.path().join(".loss.tmp.png").exists());
    }
}
