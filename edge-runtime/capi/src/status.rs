//! Status codes: every outcome of every call, as one 32-bit integer.

use compnet_runtime::{BlobError, EvalError};

/// What a call did. `COMPNET_OK` is 0; every other value is an error that left the outputs
/// unspecified (and a handle that failed to open unusable). The values are part of the ABI: new
/// codes are only ever appended.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum compnet_status {
    /// Success.
    COMPNET_OK = 0,
    /// A required pointer argument is NULL.
    COMPNET_ERR_NULL_POINTER = 1,
    /// A pointer argument is not aligned for its type (a handle to 8 bytes, floats to 4).
    COMPNET_ERR_MISALIGNED = 2,
    /// The handle was not opened by a successful `compnet_open`.
    COMPNET_ERR_NOT_OPEN = 3,
    /// Blob: fewer bytes than the header or a section needs.
    COMPNET_ERR_BLOB_TRUNCATED = 10,
    /// Blob: the first four bytes are not `CPN\0`.
    COMPNET_ERR_BLOB_BAD_MAGIC = 11,
    /// Blob: a format version this library does not read.
    COMPNET_ERR_BLOB_UNSUPPORTED_VERSION = 12,
    /// Blob: flag bits this format version does not define.
    COMPNET_ERR_BLOB_UNKNOWN_FLAGS = 13,
    /// Blob: 0 layers, or more than the format allows (32).
    COMPNET_ERR_BLOB_BAD_LAYER_COUNT = 14,
    /// Blob: a layer width of 0 or above the format's maximum (4096).
    COMPNET_ERR_BLOB_BAD_WIDTH = 15,
    /// Blob: an unknown activation code.
    COMPNET_ERR_BLOB_BAD_ACTIVATION = 16,
    /// Blob: the name or signature is not UTF-8.
    COMPNET_ERR_BLOB_BAD_TEXT = 17,
    /// Blob: the length in the header, the layout's length and the given length differ.
    COMPNET_ERR_BLOB_LENGTH_MISMATCH = 18,
    /// Blob: the stored CRC-32 does not match the bytes (corrupt blob).
    COMPNET_ERR_BLOB_BAD_CRC = 19,
    /// Blob: a reserved header field is not zero.
    COMPNET_ERR_BLOB_NONZERO_RESERVED = 20,
    /// The input count passed differs from the surrogate's `n_in`.
    COMPNET_ERR_INPUT_LEN = 30,
    /// The output count passed differs from the surrogate's `n_out`.
    COMPNET_ERR_OUTPUT_LEN = 31,
    /// The surrogate has a layer wider than `COMPNET_MAX_WIDTH` (the scratch this library holds).
    COMPNET_ERR_WIDTH_EXCEEDED = 32,
    /// An input lies outside the surrogate's trained domain (NaN included).
    COMPNET_ERR_OUT_OF_DOMAIN = 33,
    /// The text did not fit the buffer; it was truncated (still NUL-terminated).
    COMPNET_ERR_BUFFER_TOO_SMALL = 34,
    /// An index argument is out of range (e.g. an input index >= `n_in`).
    COMPNET_ERR_INDEX = 35,
    /// The input and output buffers overlap (evaluation is not in place).
    COMPNET_ERR_OVERLAP = 36,
}

use compnet_status::*;

/// Every status, in code order (the `match` in [`compnet_status::message`] keeps the enum
/// described; a new variant belongs here too, and `tests/abi.rs` checks the count).
const ALL: [compnet_status; 22] = [
    COMPNET_OK,
    COMPNET_ERR_NULL_POINTER,
    COMPNET_ERR_MISALIGNED,
    COMPNET_ERR_NOT_OPEN,
    COMPNET_ERR_BLOB_TRUNCATED,
    COMPNET_ERR_BLOB_BAD_MAGIC,
    COMPNET_ERR_BLOB_UNSUPPORTED_VERSION,
    COMPNET_ERR_BLOB_UNKNOWN_FLAGS,
    COMPNET_ERR_BLOB_BAD_LAYER_COUNT,
    COMPNET_ERR_BLOB_BAD_WIDTH,
    COMPNET_ERR_BLOB_BAD_ACTIVATION,
    COMPNET_ERR_BLOB_BAD_TEXT,
    COMPNET_ERR_BLOB_LENGTH_MISMATCH,
    COMPNET_ERR_BLOB_BAD_CRC,
    COMPNET_ERR_BLOB_NONZERO_RESERVED,
    COMPNET_ERR_INPUT_LEN,
    COMPNET_ERR_OUTPUT_LEN,
    COMPNET_ERR_WIDTH_EXCEEDED,
    COMPNET_ERR_OUT_OF_DOMAIN,
    COMPNET_ERR_BUFFER_TOO_SMALL,
    COMPNET_ERR_INDEX,
    COMPNET_ERR_OVERLAP,
];

impl compnet_status {
    /// The status with code `code`, if any.
    pub fn from_code(code: i32) -> Option<Self> {
        ALL.iter().copied().find(|s| *s as i32 == code)
    }

    /// A one-line description, NUL-terminated for C.
    pub fn message(self) -> &'static core::ffi::CStr {
        match self {
            COMPNET_OK => c"ok",
            COMPNET_ERR_NULL_POINTER => c"a required pointer argument is NULL",
            COMPNET_ERR_MISALIGNED => c"a pointer argument is misaligned for its type",
            COMPNET_ERR_NOT_OPEN => c"the handle was not opened by a successful compnet_open",
            COMPNET_ERR_BLOB_TRUNCATED => c"blob truncated: fewer bytes than the format needs",
            COMPNET_ERR_BLOB_BAD_MAGIC => c"not a .cpn blob: the magic bytes are not \"CPN\\0\"",
            COMPNET_ERR_BLOB_UNSUPPORTED_VERSION => c"blob format version not supported by this library",
            COMPNET_ERR_BLOB_UNKNOWN_FLAGS => c"blob has unknown flag bits",
            COMPNET_ERR_BLOB_BAD_LAYER_COUNT => c"blob declares 0 layers or more than 32",
            COMPNET_ERR_BLOB_BAD_WIDTH => c"blob declares a layer width of 0 or above 4096",
            COMPNET_ERR_BLOB_BAD_ACTIVATION => c"blob has an unknown activation code",
            COMPNET_ERR_BLOB_BAD_TEXT => c"blob name or signature is not valid UTF-8",
            COMPNET_ERR_BLOB_LENGTH_MISMATCH => c"blob length differs from its header or layout",
            COMPNET_ERR_BLOB_BAD_CRC => c"blob CRC mismatch (corrupt blob)",
            COMPNET_ERR_BLOB_NONZERO_RESERVED => c"blob reserved header field is not zero",
            COMPNET_ERR_INPUT_LEN => c"input count differs from the surrogate's n_in",
            COMPNET_ERR_OUTPUT_LEN => c"output count differs from the surrogate's n_out",
            COMPNET_ERR_WIDTH_EXCEEDED => c"surrogate is wider than COMPNET_MAX_WIDTH",
            COMPNET_ERR_OUT_OF_DOMAIN => c"an input lies outside the surrogate's trained domain",
            COMPNET_ERR_BUFFER_TOO_SMALL => c"buffer too small: text truncated",
            COMPNET_ERR_INDEX => c"index out of range",
            COMPNET_ERR_OVERLAP => c"the input and output buffers overlap",
        }
    }
}

impl From<BlobError> for compnet_status {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::Truncated { .. } => COMPNET_ERR_BLOB_TRUNCATED,
            BlobError::BadMagic(_) => COMPNET_ERR_BLOB_BAD_MAGIC,
            BlobError::UnsupportedVersion(_) => COMPNET_ERR_BLOB_UNSUPPORTED_VERSION,
            BlobError::UnknownFlags(_) => COMPNET_ERR_BLOB_UNKNOWN_FLAGS,
            BlobError::BadLayerCount(_) => COMPNET_ERR_BLOB_BAD_LAYER_COUNT,
            BlobError::BadWidth { .. } => COMPNET_ERR_BLOB_BAD_WIDTH,
            BlobError::BadActivation { .. } => COMPNET_ERR_BLOB_BAD_ACTIVATION,
            BlobError::BadText => COMPNET_ERR_BLOB_BAD_TEXT,
            BlobError::LengthMismatch { .. } => COMPNET_ERR_BLOB_LENGTH_MISMATCH,
            BlobError::BadCrc { .. } => COMPNET_ERR_BLOB_BAD_CRC,
            BlobError::NonZeroReserved => COMPNET_ERR_BLOB_NONZERO_RESERVED,
        }
    }
}

impl From<EvalError> for compnet_status {
    fn from(e: EvalError) -> Self {
        match e {
            EvalError::InputLen { .. } => COMPNET_ERR_INPUT_LEN,
            EvalError::OutputLen { .. } => COMPNET_ERR_OUTPUT_LEN,
            EvalError::WidthExceeded { .. } => COMPNET_ERR_WIDTH_EXCEEDED,
        }
    }
}

/// `Ok(())` as `COMPNET_OK`, an error as its status.
pub(crate) fn status_of<E: Into<compnet_status>>(r: Result<(), E>) -> compnet_status {
    match r {
        Ok(()) => COMPNET_OK,
        Err(e) => e.into(),
    }
}
