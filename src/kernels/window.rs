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
