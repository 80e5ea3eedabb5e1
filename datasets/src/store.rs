//! Parquet files of programs and their I/O pairs.
//!
//! One row per (program, split), readable with pandas / polars / duckdb / pyarrow without this project:
//!
//! | column | Arrow type | meaning |
//! |---|---|---|
//! | `name` | utf8 | program name |
//! | `function` | utf8 | C function name |
//! | `source` | utf8 | C source defining the function |
//! | `signature` | utf8 | the function's C declaration |
//! | `n_in`, `n_out` | uint32 | inputs and outputs per pair |
//! | `domain_lo`, `domain_hi` | `list<float32>` | input domain, one bound per input |
//! | `split` | utf8 | `train`, `test`, … |
//! | `inputs` | `list<list<float32>>` | one list of `n_in` values per pair |
//! | `outputs` | `list<list<float32>>` | one list of `n_out` values per pair |
//!
//! Files are written Snappy-compressed to a temporary file beside the target and renamed into place,
//! so a reader never sees half a file. Files written elsewhere may be Snappy, zstd, gzip or
//! uncompressed (pyarrow's `compression=`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float32Array, ListArray, RecordBatch, StringArray, UInt32Array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Float32Type, Schema, SchemaRef, UInt32Type};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::IoPairs;

/// Rows per Parquet row group: bounds the memory a writer holds before flushing.
const ROWS_PER_GROUP: usize = 64;

/// What went wrong reading or writing a Parquet file of programs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its folder could not be created, opened or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The Parquet layer failed.
    #[error("{path}: Parquet: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The Parquet error.
        source: parquet::errors::ParquetError,
    },
    /// The Arrow layer failed.
    #[error("{path}: Arrow: {source}")]
    Arrow {
        /// The file.
        path: PathBuf,
        /// The Arrow error.
        source: arrow::error::ArrowError,
    },
    /// A column is missing or has the wrong type.
    #[error("{path}: column `{column}`: {reason}")]
    Column {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A row's values do not make a valid record.
    #[error("{path}: row {row} (program `{name}`), column `{column}`: {reason}")]
    Row {
        /// The file.
        path: PathBuf,
        /// Row index within the file.
        row: usize,
        /// The program named in the row.
        name: String,
        /// The column at fault.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// One program and its I/O pairs for one split: one row of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramRecord {
    /// Program name.
    pub name: String,
    /// C function name.
    pub function: String,
    /// C source defining the function.
    pub source: String,
    /// The function's C declaration.
    pub signature: String,
    /// Input domain, `(lo, hi)` per input (`pairs.n_in()` entries).
    pub domain: Vec<(f32, f32)>,
    /// Split name (`train`, `test`, …).
    pub split: String,
    /// The I/O pairs.
    pub pairs: IoPairs,
}

/// The Arrow schema of a program file.
pub fn schema() -> SchemaRef {
    let list = |item: DataType| DataType::List(Arc::new(Field::new("item", item, false)));
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("function", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("signature", DataType::Utf8, false),
        Field::new("n_in", DataType::UInt32, false),
        Field::new("n_out", DataType::UInt32, false),
        Field::new("domain_lo", list(DataType::Float32), false),
        Field::new("domain_hi", list(DataType::Float32), false),
        Field::new("split", DataType::Utf8, false),
        Field::new("inputs", list(list(DataType::Float32)), false),
        Field::new("outputs", list(list(DataType::Float32)), false),
    ]))
}

/// Writes records one at a time into a temporary file that [`RecordWriter::finish`] renames into place.
pub struct RecordWriter {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    writer: ArrowWriter<File>,
    schema: SchemaRef,
}

impl std::fmt::Debug for RecordWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordWriter").field("path", &self.path).field("temp", &self.temp.path()).finish()
    }
}

impl RecordWriter {
    /// Starts a file that will become `path` (its folder is created if needed).
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io { path: path.to_owned(), source };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let temp = tempfile::Builder::new().prefix(".compnet-").suffix(".parquet.tmp").tempfile_in(&dir).map_err(io)?;
        let file = temp.reopen().map_err(io)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_size(ROWS_PER_GROUP)
            .build();
        let schema = schema();
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(|source| StoreError::Parquet { path: path.to_owned(), source })?;
        Ok(Self { path: path.to_owned(), temp, writer, schema })
    }

    /// Appends records.
    pub fn write(&mut self, records: &[ProgramRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let batch = to_batch(&self.path, &self.schema, records)?;
        self.writer.write(&batch).map_err(|source| StoreError::Parquet { path: self.path.clone(), source })
    }

    /// Finishes the file and renames it into place; returns its size in bytes.
    pub fn finish(self) -> Result<u64, StoreError> {
        let Self { path, temp, writer, .. } = self;
        writer.close().map_err(|source| StoreError::Parquet { path: path.clone(), source })?;
        let file = temp.persist(&path).map_err(|e| StoreError::Io { path: path.clone(), source: e.error })?;
        let size = file.metadata().map_err(|source| StoreError::Io { path: path.clone(), source })?.len();
        Ok(size)
    }
}

/// Writes `records` to `path` atomically (temporary file, then rename); returns the file's size in bytes.
pub fn write_records(path: &Path, records: &[ProgramRecord]) -> Result<u64, StoreError> {
    let mut writer = RecordWriter::create(path)?;
    for chunk in records.chunks(ROWS_PER_GROUP) {
        writer.write(chunk)?;
    }
    writer.finish()
}

fn to_batch(path: &Path, schema: &SchemaRef, records: &[ProgramRecord]) -> Result<RecordBatch, StoreError> {
    for (row, r) in records.iter().enumerate() {
        if r.domain.len() != r.pairs.n_in() {
            return Err(StoreError::Row {
                path: path.to_owned(),
                row,
                name: r.name.clone(),
                column: "domain_lo",
                reason: format!("{} domain bounds for {} inputs", r.domain.len(), r.pairs.n_in()),
            });
        }
    }
    let strings =
        |f: fn(&ProgramRecord) -> &str| Arc::new(records.iter().map(f).map(Some).collect::<StringArray>()) as ArrayRef;
    let counts = |f: fn(&ProgramRecord) -> usize| {
        Arc::new(records.iter().map(|r| f(r) as u32).collect::<UInt32Array>()) as ArrayRef
    };
    let lo: Vec<Vec<f32>> = records.iter().map(|r| r.domain.iter().map(|d| d.0).collect()).collect();
    let hi: Vec<Vec<f32>> = records.iter().map(|r| r.domain.iter().map(|d| d.1).collect()).collect();
    let columns: Vec<ArrayRef> = vec![
        strings(|r| &r.name),
        strings(|r| &r.function),
        strings(|r| &r.source),
        strings(|r| &r.signature),
        counts(|r| r.pairs.n_in()),
        counts(|r| r.pairs.n_out()),
        Arc::new(float_lists(lo.iter().map(|v| v.as_slice()))),
        Arc::new(float_lists(hi.iter().map(|v| v.as_slice()))),
        strings(|r| &r.split),
        Arc::new(matrices(records.iter().map(|r| (r.pairs.inputs(), r.pairs.n_in())))),
        Arc::new(matrices(records.iter().map(|r| (r.pairs.outputs(), r.pairs.n_out())))),
    ];
    RecordBatch::try_new(schema.clone(), columns).map_err(|source| StoreError::Arrow { path: path.to_owned(), source })
}

fn item_field(item: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", item, false))
}

/// A `list<float32>` array, one list per slice.
fn float_lists<'a>(rows: impl Iterator<Item = &'a [f32]>) -> ListArray {
    let mut values = Vec::new();
    let mut lengths = Vec::new();
    for r in rows {
        values.extend_from_slice(r);
        lengths.push(r.len());
    }
    ListArray::new(
        item_field(DataType::Float32),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(Float32Array::from(values)),
        None,
    )
}

/// A `list<list<float32>>` array: per row, a row-major matrix of the given width as a list of rows.
fn matrices<'a>(rows: impl Iterator<Item = (&'a [f32], usize)>) -> ListArray {
    let mut values = Vec::new();
    let mut inner_lengths = Vec::new();
    let mut outer_lengths = Vec::new();
    for (m, width) in rows {
        values.extend_from_slice(m);
        let n = m.len() / width;
        inner_lengths.extend(std::iter::repeat_n(width, n));
        outer_lengths.push(n);
    }
    let inner = ListArray::new(
        item_field(DataType::Float32),
        OffsetBuffer::from_lengths(inner_lengths),
        Arc::new(Float32Array::from(values)),
        None,
    );
    ListArray::new(
        item_field(inner.data_type().clone()),
        OffsetBuffer::from_lengths(outer_lengths),
        Arc::new(inner),
        None,
    )
}

/// Reads every record of a file written by [`write_records`] (or by anything writing the same schema).
pub fn read_records(path: &Path) -> Result<Vec<ProgramRecord>, StoreError> {
    let file = File::open(path).map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    let parquet = |source| StoreError::Parquet { path: path.to_owned(), source };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet)?.with_batch_size(ROWS_PER_GROUP);
    let reader = reader.build().map_err(parquet)?;
    let mut records = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|source| StoreError::Arrow { path: path.to_owned(), source })?;
        let first_row = records.len();
        records.extend(from_batch(path, &batch, first_row)?);
    }
    Ok(records)
}

struct Columns<'a> {
    path: &'a Path,
    batch: &'a RecordBatch,
}

impl<'a> Columns<'a> {
    fn get(&self, column: &'static str) -> Result<&'a ArrayRef, StoreError> {
        let col = self.batch.column_by_name(column).ok_or_else(|| self.bad(column, "missing".into()))?;
        if col.null_count() > 0 {
            return Err(self.bad(column, format!("{} null values", col.null_count())));
        }
        Ok(col)
    }
    fn bad(&self, column: &'static str, reason: String) -> StoreError {
        StoreError::Column { path: self.path.to_owned(), column, reason }
    }
    fn strings(&self, column: &'static str) -> Result<&'a StringArray, StoreError> {
        let col = self.get(column)?;
        col.as_string_opt::<i32>().ok_or_else(|| self.bad(column, format!("expected utf8, found {}", col.data_type())))
    }
    fn counts(&self, column: &'static str) -> Result<&'a UInt32Array, StoreError> {
        let col = self.get(column)?;
        col.as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| self.bad(column, format!("expected uint32, found {}", col.data_type())))
    }
    fn lists(&self, column: &'static str) -> Result<&'a ListArray, StoreError> {
        let col = self.get(column)?;
        col.as_list_opt::<i32>().ok_or_else(|| self.bad(column, format!("expected a list, found {}", col.data_type())))
    }
}

/// The float values of a `list<float32>` array, and its offsets.
fn floats<'a>(c: &Columns<'a>, column: &'static str, list: &'a ListArray) -> Result<&'a [f32], StoreError> {
    let values = list.values();
    if values.null_count() > 0 {
        return Err(c.bad(column, "null values inside a list".into()));
    }
    let f = values
        .as_primitive_opt::<Float32Type>()
        .ok_or_else(|| c.bad(column, format!("expected float32 items, found {}", values.data_type())))?;
    Ok(f.values())
}

fn from_batch(path: &Path, batch: &RecordBatch, first_row: usize) -> Result<Vec<ProgramRecord>, StoreError> {
    let c = Columns { path, batch };
    let (name, function, source) = (c.strings("name")?, c.strings("function")?, c.strings("source")?);
    let (signature, split) = (c.strings("signature")?, c.strings("split")?);
    let (n_in, n_out) = (c.counts("n_in")?, c.counts("n_out")?);
    let (lo, hi) = (c.lists("domain_lo")?, c.lists("domain_hi")?);
    let (lo_values, hi_values) = (floats(&c, "domain_lo", lo)?, floats(&c, "domain_hi", hi)?);
    let (inputs, outputs) = (c.lists("inputs")?, c.lists("outputs")?);
    let mut records = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let row_err = |column: &'static str, reason: String| StoreError::Row {
            path: path.to_owned(),
            row: first_row + i,
            name: name.value(i).to_owned(),
            column,
            reason,
        };
        let (ni, no) = (n_in.value(i) as usize, n_out.value(i) as usize);
        let lo_row = &lo_values[lo.value_offsets()[i] as usize..lo.value_offsets()[i + 1] as usize];
        let hi_row = &hi_values[hi.value_offsets()[i] as usize..hi.value_offsets()[i + 1] as usize];
        if lo_row.len() != ni || hi_row.len() != ni {
            return Err(row_err("domain_lo", format!("{}/{} bounds for n_in = {ni}", lo_row.len(), hi_row.len())));
        }
        let xs = matrix_row(&c, "inputs", inputs, i, ni).map_err(|r| row_err("inputs", r))??;
        let ys = matrix_row(&c, "outputs", outputs, i, no).map_err(|r| row_err("outputs", r))??;
        let pairs = IoPairs::new(ni, no, xs, ys).map_err(|e| row_err("inputs", e.to_string()))?;
        records.push(ProgramRecord {
            name: name.value(i).to_owned(),
            function: function.value(i).to_owned(),
            source: source.value(i).to_owned(),
            signature: signature.value(i).to_owned(),
            domain: lo_row.iter().copied().zip(hi_row.iter().copied()).collect(),
            split: split.value(i).to_owned(),
            pairs,
        });
    }
    Ok(records)
}

/// Row `i` of a `list<list<float32>>` column as a flat row-major matrix of `width` columns.
/// The outer error is a problem with this row; the inner one with the column as a whole.
fn matrix_row(
    c: &Columns<'_>,
    column: &'static str,
    lists: &ListArray,
    i: usize,
    width: usize,
) -> Result<Result<Vec<f32>, StoreError>, String> {
    let rows = lists.value(i);
    let Some(rows) = rows.as_list_opt::<i32>() else {
        return Ok(Err(c.bad(column, format!("expected list<list<float32>>, found {}", lists.data_type()))));
    };
    let offsets = rows.value_offsets();
    let (start, end) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
    if let Some(k) = offsets.windows(2).position(|w| (w[1] - w[0]) as usize != width) {
        return Err(format!("pair {k} has {} values, expected {width}", offsets[k + 1] - offsets[k]));
    }
    let values = match floats(c, column, rows) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(values[start..end].to_vec()))
}
