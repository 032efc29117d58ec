//! Element types. Networks train in `f32`, statistics need `f64`, and indices (gather, argmax,
//! class labels) are `i64`. Kernels are written once, generic over [`Float`], and the
//! [`Storage`] enum dispatches to them.

use std::fmt;

use super::storage::Storage;

/// The element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I64,
}

impl DType {
    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
        }
    }

    /// True for `F32` and `F64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I64 => "i64",
        })
    }
}

/// A type a tensor can hold.
pub trait Element: Copy + Send + Sync + PartialOrd + fmt::Debug + fmt::Display + 'static {
    const DTYPE: DType;
    fn into_storage(data: Vec<Self>) -> Storage;
    fn as_slice(storage: &Storage) -> Option<&[Self]>;
    /// The buffer of `storage` when its element type is `Self`, to write in place.
    fn as_mut_vec(storage: &mut Storage) -> Option<&mut Vec<Self>>;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
}

/// A floating-point element: the kernels of every differentiable op are generic over this.
pub trait Float:
    Element
    + num_traits::Float
    + num_traits::FloatConst
    + std::iter::Sum
    + std::ops::AddAssign
    + std::ops::MulAssign
    + Default
{
    /// `e^x` as the kernels compute it: vectorisable within 2 ulp for `f32`
    /// ([`crate::ops::fastmath`]), the standard library's for `f64`.
    fn fast_exp(self) -> Self;
    /// `tanh x` as the kernels compute it: vectorisable within a few ulp for `f32`
    /// ([`crate::ops::fastmath`]), the standard library's for `f64`.
    fn fast_tanh(self) -> Self;
}

macro_rules! element {
    ($t:ty, $variant:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            fn into_storage(data: Vec<Self>) -> Storage {
                Storage::$variant(data)
            }
            fn as_slice(storage: &Storage) -> Option<&[Self]> {
                match storage {
                    Storage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn as_mut_vec(storage: &mut Storage) -> Option<&mut Vec<Self>> {
                match storage {
                    Storage::$variant(v) => Some(v),
                    _ => None,
                }
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
        }
    };
}

element!(f32, F32);
element!(f64, F64);
element!(i64, I64);
impl Float for f32 {
    #[inline(always)]
    fn fast_exp(self) -> Self {
        crate::ops::fastmath::exp_f32(self)
    }
    #[inline(always)]
    fn fast_tanh(self) -> Self {
        crate::ops::fastmath::tanh_f32(self)
    }
}
impl Float for f64 {
    #[inline(always)]
    fn fast_exp(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn fast_tanh(self) -> Self {
        self.tanh()
    }
}
