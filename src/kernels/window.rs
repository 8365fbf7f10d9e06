//! [`KernelWindow`]: a kernel's size, stride, padding and dilation along rows and columns, the
//! part of a geometry that convolutions ([`ConvGeometry`](crate::kernels::conv::ConvGeometry))
//! and depthwise convolutions ([`DepthwiseGeometry`](crate::kernels::depthwise::DepthwiseGeometry))
//! share.

/// A kernel window as compile-time constants: along rows (`…H`) and columns (`…W`) separately,
/// as PyTorch's tuple arguments give them (`kernel_size=(1, 7)`, `padding=(0, 3)`).
pub trait KernelWindow {
    /// Kernel height.
    const KH: usize;
    /// Kernel width.
    const KW: usize;
    /// Stride along rows.
    const SH: usize;
    /// Stride along columns.
    const SW: usize;
    /// Padding of the top and bottom.
    const PH: usize;
    /// Padding of the left and right.
    const PW: usize;
    /// Dilation along rows.
    const DH: usize;
    /// Dilation along columns.
    const DW: usize;
}

/// A [`KernelWindow`] as run-time numbers: what the convolution kernels, compiled once per
/// element type, carry in their problems (`conv`'s output-stationary problem and weight
/// gradient).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) sh: usize,
    pub(crate) sw: usize,
    pub(crate) ph: usize,
    pub(crate) pw: usize,
    pub(crate) dh: usize,
    pub(crate) dw: usize,
}

impl Window {
    /// A `1 × 1` kernel of stride 1, without padding or dilation.
    pub(crate) const UNIT: Self = Self {
        kh: 1,
        kw: 1,
        sh: 1,
        sw: 1,
        ph: 0,
        pw: 0,
        dh: 1,
        dw: 1,
    };

    /// `C`'s window.
    pub(crate) const fn of<C: KernelWindow>() -> Self {
        Self {
            kh: C::KH,
            kw: C::KW,
            sh: C::SH,
            sw: C::SW,
            ph: C::PH,
            pw: C::PW,
            dh: C::DH,
            dw: C::DW,
        }
    }

    /// Taps of the kernel (`KH·KW`).
    pub(crate) const fn taps(&self) -> usize {
        self.kh * self.kw
    }

    /// A `1 × 1` kernel of stride 1 without padding: each output position reads its own input
    /// position (dilation does not matter).
    pub(crate) const fn is_one_by_one(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1 && self.ph == 0 && self.pw == 0
    }
}
