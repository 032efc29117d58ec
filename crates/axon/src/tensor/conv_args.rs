//! The arguments of a convolution and a pooling (stride, padding, dilation, window), as plain
//! values that the forward ops in `conv.rs`, the recorded [`super::Op`] and the layers in
//! `nn` share, kept apart from the ops so that the graph record does not depend on them.

/// A size given for both spatial axes at once (`3`) or per axis (`[3, 2]`, `(3, 2)`: height,
/// width).
pub trait Pair {
    fn pair(self) -> [usize; 2];
}
impl Pair for usize {
    fn pair(self) -> [usize; 2] {
        [self, self]
    }
}
impl Pair for [usize; 2] {
    fn pair(self) -> [usize; 2] {
        self
    }
}
impl Pair for (usize, usize) {
    fn pair(self) -> [usize; 2] {
        [self.0, self.1]
    }
}

/// Stride, zero padding and dilation of a convolution, as `[height, width]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dArgs {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dArgs {
    /// Stride 1, no padding, no dilation.
    fn default() -> Self {
        Conv2dArgs { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }
    }
}

impl Conv2dArgs {
    pub fn new(stride: impl Pair, padding: impl Pair, dilation: impl Pair) -> Self {
        Conv2dArgs { stride: stride.pair(), padding: padding.pair(), dilation: dilation.pair() }
    }
}

/// Window size, stride and padding of a pooling, as `[height, width]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool2dArgs {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
}

impl Pool2dArgs {
    pub fn new(kernel: impl Pair, stride: impl Pair, padding: impl Pair) -> Self {
        Pool2dArgs { kernel: kernel.pair(), stride: stride.pair(), padding: padding.pair() }
    }
}
