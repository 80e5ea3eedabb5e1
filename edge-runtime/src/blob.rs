//! The packed `.cpn` surrogate format and a validated zero-copy view over it.
//!
//! Little-endian throughout; every section starts on a 4-byte boundary. Version 1:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `b"CPN\0"` |
//! | 4 | 2 | format version (`1`) |
//! | 6 | 2 | flags: bit 0 = weights and biases stored as f16 (else f32); other bits 0 |
//! | 8 | 2 | `L`, the number of layers (1..=[`MAX_LAYERS`]) |
//! | 10 | 2 | length of the program name in bytes (UTF-8) |
//! | 12 | 2 | length of the C signature in bytes (UTF-8) |
//! | 14 | 2 | reserved, 0 |
//! | 16 | 4 | total length of the blob in bytes, CRC included |
//! | 20 | 4 | error measured at export (test MSE, f32; NaN if unknown) |
//! | 24 | 8 | hash of the C source (u64) |
//! | 32 | … | widths: `L + 1` × u16 (`n_in`, hidden…, `n_out`), each 1..=[`MAX_WIDTH`] |
//! | | | activation codes: `L` × u8 ([`Activation`]) |
//! | | | name, then signature bytes |
//! | | | input domain: `n_in` × f32 lower bounds, then `n_in` × f32 upper bounds |
//! | | | input normalisation: `n_in` × f32 scale, `n_in` × f32 offset (`x' = x·scale + offset`) |
//! | | | output normalisation: `n_out` × f32 scale, `n_out` × f32 offset (`y = y'·scale + offset`) |
//! | | | per layer `k`: weights `w[k+1] × w[k]` (one row per output), then `w[k+1]` biases, f32 or f16 |
//! | end − 4 | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! `docs/blob-format.md` describes the same layout with a worked example.

use crate::Activation;
use crate::crc::crc32;

/// The first four bytes of every blob.
pub const MAGIC: [u8; 4] = *b"CPN\0";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Most layers a blob may declare.
pub const MAX_LAYERS: usize = 32;
/// Widest layer a blob may declare.
pub const MAX_WIDTH: usize = 4096;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 32;
const FLAG_F16: u16 = 1;

/// How weights and biases are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// IEEE binary32.
    F32,
    /// IEEE binary16, widened to f32 when evaluated.
    F16,
}

impl Precision {
    /// Bytes per stored weight.
    pub fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }
}

/// Why a byte string is not a valid blob. Each variant names what was wrong and where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BlobError {
    /// Fewer bytes than the part being read needs.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        len: usize,
    },
    /// The first four bytes are not `CPN\0`.
    BadMagic([u8; 4]),
    /// A format version this build does not read.
    UnsupportedVersion(u16),
    /// Flag bits this version does not define.
    UnknownFlags(u16),
    /// The layer count is 0 or above [`MAX_LAYERS`].
    BadLayerCount(u16),
    /// A width is 0 or above [`MAX_WIDTH`].
    BadWidth {
        /// Position in the width list (0 = inputs).
        index: usize,
        /// The width read.
        width: u16,
    },
    /// An activation code that is not an [`Activation`].
    BadActivation {
        /// Layer index.
        layer: usize,
        /// The code read.
        code: u8,
    },
    /// The name or signature is not UTF-8.
    BadText,
    /// The length in the header differs from the layout's length or the byte count.
    LengthMismatch {
        /// Length recorded in the header.
        header: usize,
        /// Length the layout implies.
        layout: usize,
        /// Bytes given.
        given: usize,
    },
    /// The stored CRC does not match the bytes.
    BadCrc {
        /// CRC stored in the blob.
        stored: u32,
        /// CRC computed over the bytes.
        computed: u32,
    },
    /// A reserved field is not zero.
    NonZeroReserved,
}

impl core::fmt::Display for BlobError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Self::Truncated { needed, len } => write!(f, "blob truncated: needs {needed} bytes, has {len}"),
            Self::BadMagic(m) => write!(f, "not a .cpn blob: magic bytes are {m:02x?}, expected \"CPN\\0\""),
            Self::UnsupportedVersion(v) => {
                write!(f, "blob format version {v} is not supported (this build reads {VERSION})")
            }
            Self::UnknownFlags(x) => write!(f, "blob has unknown flag bits {x:#06x}"),
            Self::BadLayerCount(n) => write!(f, "blob declares {n} layers (allowed: 1..={MAX_LAYERS})"),
            Self::BadWidth { index, width } => {
                write!(f, "blob width #{index} is {width} (allowed: 1..={MAX_WIDTH})")
            }
            Self::BadActivation { layer, code } => write!(f, "blob layer {layer} has unknown activation code {code}"),
            Self::BadText => write!(f, "blob name or signature is not valid UTF-8"),
            Self::LengthMismatch { header, layout, given } => {
                write!(f, "blob length mismatch: header says {header} bytes, layout needs {layout}, {given} given")
            }
            Self::BadCrc { stored, computed } => {
                write!(f, "blob CRC mismatch: stored {stored:#010x}, computed {computed:#010x} (corrupt blob)")
            }
            Self::NonZeroReserved => write!(f, "blob reserved header field is not zero"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BlobError {}

/// Little-endian reads that never panic: a read past the end yields an error.
pub(crate) fn u16_at(b: &[u8], off: usize) -> Result<u16, BlobError> {
    match b.get(off..off + 2) {
        Some(s) => Ok(u16::from_le_bytes([s[0], s[1]])),
        None => Err(BlobError::Truncated { needed: off + 2, len: b.len() }),
    }
}

pub(crate) fn u32_at(b: &[u8], off: usize) -> Result<u32, BlobError> {
    match b.get(off..off + 4) {
        Some(s) => Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]])),
        None => Err(BlobError::Truncated { needed: off + 4, len: b.len() }),
    }
}

/// Reads an f32 known to be in bounds (validated at parse); out of bounds reads 0.
#[inline(always)]
pub(crate) fn f32_at(b: &[u8], off: usize) -> f32 {
    match b.get(off..off + 4) {
        Some(s) => f32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0.0,
    }
}

/// `b` read in place as the f32 values it stores little-endian: `None` unless the target is
/// little-endian, `b` starts at a 4-aligned address and its length is a multiple of 4.
fn f32s_in_place(b: &[u8]) -> Option<&[f32]> {
    if cfg!(target_endian = "big") {
        return None;
    }
    // SAFETY: f32 is plain data: any 4 initialised bytes are a valid f32 (NaNs included), it has
    // no padding and no invariant. `align_to` puts in the middle slice only whole f32s at
    // f32-aligned addresses inside `b`, borrowed (shared, read-only) for as long as `b` is.
    let (head, values, tail) = unsafe { b.align_to::<f32>() };
    (head.is_empty() && tail.is_empty()).then_some(values)
}

pub(crate) const fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Byte offsets of the sections of a blob, computed from its widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub widths: usize,
    pub activations: usize,
    pub name: usize,
    pub signature: usize,
    pub domain: usize,
    pub input_norm: usize,
    pub output_norm: usize,
    pub weights: usize,
    pub crc: usize,
}

impl Layout {
    /// The layout of a blob with `n_layers` layers whose widths are read by `width(i)`.
    pub(crate) fn compute(
        n_layers: usize,
        name_len: usize,
        sig_len: usize,
        precision: Precision,
        width: impl Fn(usize) -> usize,
    ) -> Self {
        let widths = HEADER_LEN;
        let activations = widths + pad4(2 * (n_layers + 1));
        let name = activations + pad4(n_layers);
        let signature = name + pad4(name_len);
        let domain = signature + pad4(sig_len);
        let (n_in, n_out) = (width(0), width(n_layers));
        let input_norm = domain + 8 * n_in;
        let output_norm = input_norm + 8 * n_in;
        let weights = output_norm + 8 * n_out;
        let mut end = weights;
        for k in 0..n_layers {
            end += pad4((width(k) * width(k + 1) + width(k + 1)) * precision.bytes());
        }
        Self { widths, activations, name, signature, domain, input_norm, output_norm, weights, crc: end }
    }

    pub(crate) fn total_len(&self) -> usize {
        self.crc + 4
    }
}

/// A validated, zero-copy view over a `.cpn` blob. Parsing checks everything once (magic, version,
/// flags, widths, activations, text, lengths, CRC), so evaluation reads without further checks
/// and cannot read out of bounds.
#[derive(Debug, Clone, Copy)]
pub struct SurrogateView<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) layout: Layout,
    pub(crate) n_layers: usize,
    pub(crate) precision: Precision,
    name_len: usize,
    sig_len: usize,
    // Read once at parse, so evaluation does not walk the width list again for them.
    n_in: u16,
    n_out: u16,
    max_width: u16,
    /// The weight section as f32 values in place, or empty: see [`Self::weights_f32`].
    weights_f32: &'a [f32],
}

/// One layer as the kernel walks it: its widths, its activation, and where its weights start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerShape {
    pub n_in: usize,
    pub n_out: usize,
    pub act: Activation,
    /// Byte offset of the layer's weights (then biases) from the start of the weight section.
    pub at: usize,
}

impl LayerShape {
    /// The layer's weights and biases in `section`, the weight section seen as units of `T`
    /// (`u8`, or `f32` when it is read in place), `per` units per stored value. Empty slices if
    /// the section is too short, which a validated view's never is.
    #[inline(always)]
    pub(crate) fn slices<'s, T>(&self, section: &'s [T], per: usize) -> (&'s [T], &'s [T]) {
        let start = self.at / size_of::<T>();
        let (wn, bn) = (self.n_in * self.n_out * per, self.n_out * per);
        section.get(start..start + wn + bn).and_then(|s| s.split_at_checked(wn)).unwrap_or((&[], &[]))
    }
}

impl<'a> SurrogateView<'a> {
    /// Validates `bytes` as a blob and returns a view over them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BlobError> {
        if bytes.len() < HEADER_LEN {
            return Err(BlobError::Truncated { needed: HEADER_LEN, len: bytes.len() });
        }
        let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
        if magic != MAGIC {
            return Err(BlobError::BadMagic(magic));
        }
        let version = u16_at(bytes, 4)?;
        if version != VERSION {
            return Err(BlobError::UnsupportedVersion(version));
        }
        let flags = u16_at(bytes, 6)?;
        if flags & !FLAG_F16 != 0 {
            return Err(BlobError::UnknownFlags(flags));
        }
        let precision = if flags & FLAG_F16 != 0 { Precision::F16 } else { Precision::F32 };
        let raw_layers = u16_at(bytes, 8)?;
        let n_layers = raw_layers as usize;
        if n_layers == 0 || n_layers > MAX_LAYERS {
            return Err(BlobError::BadLayerCount(raw_layers));
        }
        let name_len = u16_at(bytes, 10)? as usize;
        let sig_len = u16_at(bytes, 12)? as usize;
        if u16_at(bytes, 14)? != 0 {
            return Err(BlobError::NonZeroReserved);
        }
        let header_len = u32_at(bytes, 16)? as usize;
        let mut max_width = 0;
        for i in 0..=n_layers {
            let w = u16_at(bytes, HEADER_LEN + 2 * i)?;
            if w == 0 || w as usize > MAX_WIDTH {
                return Err(BlobError::BadWidth { index: i, width: w });
            }
            max_width = max_width.max(w);
        }
        // Widths are validated, so the layout's arithmetic is bounded (≤ 32 layers of 4096²).
        let layout = Layout::compute(n_layers, name_len, sig_len, precision, |i| {
            u16_at(bytes, HEADER_LEN + 2 * i).unwrap_or(1) as usize
        });
        if header_len != layout.total_len() || bytes.len() != layout.total_len() {
            return Err(BlobError::LengthMismatch {
                header: header_len,
                layout: layout.total_len(),
                given: bytes.len(),
            });
        }
        let stored = u32_at(bytes, layout.crc)?;
        let computed = crc32(&bytes[..layout.crc]);
        if stored != computed {
            return Err(BlobError::BadCrc { stored, computed });
        }
        for layer in 0..n_layers {
            let code = bytes[layout.activations + layer];
            if Activation::from_code(code).is_none() {
                return Err(BlobError::BadActivation { layer, code });
            }
        }
        let text =
            |off: usize, len: usize| core::str::from_utf8(&bytes[off..off + len]).map_err(|_| BlobError::BadText);
        text(layout.name, name_len)?;
        text(layout.signature, sig_len)?;
        let width = |i: usize| u16_at(bytes, HEADER_LEN + 2 * i).unwrap_or(0);
        let (n_in, n_out) = (width(0), width(n_layers));
        let weights_f32 = match precision {
            Precision::F32 => f32s_in_place(&bytes[layout.weights..layout.crc]).unwrap_or(&[]),
            Precision::F16 => &[],
        };
        Ok(Self { bytes, layout, n_layers, precision, name_len, sig_len, n_in, n_out, max_width, weights_f32 })
    }

    /// The blob's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Number of layers.
    pub fn n_layers(&self) -> usize {
        self.n_layers
    }
    /// Width `i` (0 = inputs, `n_layers` = outputs).
    pub fn width(&self, i: usize) -> usize {
        u16_at(self.bytes, self.layout.widths + 2 * i).unwrap_or(0) as usize
    }
    /// Inputs of the surrogate.
    #[inline]
    pub fn n_in(&self) -> usize {
        self.n_in as usize
    }
    /// Outputs of the surrogate.
    #[inline]
    pub fn n_out(&self) -> usize {
        self.n_out as usize
    }
    /// The widest layer, inputs and outputs included: the smallest `W` that [`Self::eval`] accepts.
    #[inline]
    pub fn max_width(&self) -> usize {
        self.max_width as usize
    }
    /// Activation of layer `k`.
    pub fn activation(&self, k: usize) -> Activation {
        self.bytes
            .get(self.layout.activations + k)
            .and_then(|&c| Activation::from_code(c))
            .unwrap_or(Activation::Identity)
    }
    /// Storage precision of the weights.
    pub fn precision(&self) -> Precision {
        self.precision
    }
    /// The program's name.
    pub fn name(&self) -> &'a str {
        core::str::from_utf8(&self.bytes[self.layout.name..self.layout.name + self.name_len]).unwrap_or("")
    }
    /// The C signature of the function it replaces.
    pub fn signature(&self) -> &'a str {
        core::str::from_utf8(&self.bytes[self.layout.signature..self.layout.signature + self.sig_len]).unwrap_or("")
    }
    /// Hash of the C source it was made from.
    pub fn source_hash(&self) -> u64 {
        let lo = u32_at(self.bytes, 24).unwrap_or(0) as u64;
        let hi = u32_at(self.bytes, 28).unwrap_or(0) as u64;
        lo | (hi << 32)
    }
    /// Test MSE measured when the blob was written (NaN if unknown).
    pub fn export_error(&self) -> f32 {
        f32_at(self.bytes, 20)
    }
    /// The trained domain of input `i`: `(lo, hi)`.
    pub fn domain(&self, i: usize) -> (f32, f32) {
        let n = self.n_in();
        (f32_at(self.bytes, self.layout.domain + 4 * i), f32_at(self.bytes, self.layout.domain + 4 * (n + i)))
    }
    /// Input normalisation of input `i`: `(scale, offset)`.
    pub fn input_norm(&self, i: usize) -> (f32, f32) {
        let n = self.n_in();
        (f32_at(self.bytes, self.layout.input_norm + 4 * i), f32_at(self.bytes, self.layout.input_norm + 4 * (n + i)))
    }
    /// Output normalisation of output `o`: `(scale, offset)`.
    pub fn output_norm(&self, o: usize) -> (f32, f32) {
        let n = self.n_out();
        (f32_at(self.bytes, self.layout.output_norm + 4 * o), f32_at(self.bytes, self.layout.output_norm + 4 * (n + o)))
    }
    /// A normalisation section of `n` values per half, from byte `off` on: its `n` scales and its
    /// `n` offsets (little-endian f32). Empty if out of bounds, which in a validated view it never is.
    #[inline(always)]
    pub(crate) fn f32_pairs(&self, off: usize, n: usize) -> (&'a [u8], &'a [u8]) {
        self.bytes.get(off..off + 8 * n).and_then(|s| s.split_at_checked(4 * n)).unwrap_or((&[], &[]))
    }

    /// The weight section: every layer's weights and biases, each layer padded to 4 bytes.
    #[inline(always)]
    pub(crate) fn weight_bytes(&self) -> &'a [u8] {
        self.bytes.get(self.layout.weights..self.layout.crc).unwrap_or(&[])
    }

    /// The weight section read in place as f32 values, when that gives the stored values: an f32
    /// blob, on a little-endian target, at a 4-aligned address (a flash region, an
    /// `#[repr(align(4))]` array, most heap buffers). `None` otherwise, and the kernel reads the
    /// bytes instead; both give the same bits. Decided once, at parse.
    #[inline(always)]
    pub(crate) fn weights_f32(&self) -> Option<&'a [f32]> {
        (!self.weights_f32.is_empty()).then_some(self.weights_f32)
    }

    /// Every layer in order, walking the validated width list and activation codes once, with a
    /// running offset into the weight section (each layer's part padded to 4 bytes).
    #[inline(always)]
    pub(crate) fn layers(&self) -> impl Iterator<Item = LayerShape> + use<'a> {
        let at = self.layout.widths;
        let widths = self.bytes.get(at..at + 2 * (self.n_layers + 1)).unwrap_or(&[]);
        let at = self.layout.activations;
        let codes = self.bytes.get(at..at + self.n_layers).unwrap_or(&[]);
        let p = self.precision.bytes();
        let mut at = 0;
        widths.as_chunks::<2>().0.windows(2).zip(codes).map(move |(w, &code)| {
            let (n_in, n_out) = (u16::from_le_bytes(w[0]) as usize, u16::from_le_bytes(w[1]) as usize);
            let act = Activation::from_code(code).unwrap_or(Activation::Identity);
            let layer = LayerShape { n_in, n_out, act, at };
            at += pad4((n_in * n_out + n_out) * p);
            layer
        })
    }

    /// Bytes of layer `k`'s weights (row-major, one row per output) and biases.
    #[cfg(feature = "std")]
    pub(crate) fn layer_bytes(&self, k: usize) -> (&'a [u8], &'a [u8]) {
        let section = self.weight_bytes();
        self.layers().nth(k).map_or((&[], &[]), |l| l.slices(section, self.precision.bytes()))
    }
}
