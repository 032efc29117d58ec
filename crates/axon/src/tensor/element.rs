//! The Rust types a tensor holds: [`Element`] ties `f32`, `f64` and `i64` to their [`DType`] and
//! their [`Storage`] variant, and [`Float`] is what every differentiable kernel is generic over.
//! Kernels are written once, generic over these traits, and [`crate::ops::dispatch`] runs them on
//! the type a storage holds.

use std::fmt;

use super::dtype::DType;
use super::storage::Storage;

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
    /// The complementary error function as the kernels compute it: vectorisable within a few
    /// millionths relative for `f32` ([`crate::ops::fastmath`]), `libm`'s for `f64`.
    fn erfc(self) -> Self;
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
    #[inline(always)]
    fn erfc(self) -> Self {
        crate::ops::fastmath::erfc_f32(self)
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
    #[inline(always)]
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
}
