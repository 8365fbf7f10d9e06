//! Inception-v3 (Szegedy et al., 2016, "Rethinking the Inception Architecture") as torchvision
//! builds it: [`InceptionV3`], torchvision's `inception_v3(weights=None, aux_logits=False,
//! init_weights=True)`, loading its state dict unchanged.
//!
//! Every convolution is a [`BasicConv2d`] or, for the factorised `1 × n` and `n × 1` kernels
//! (`1 × 7` then `7 × 1` in [`InceptionC`] and [`InceptionD`], `1 × 3` beside `3 × 1` in
//! [`InceptionE`]), its rectangular form [`BasicConv2dHw`]: no bias, batch norm with
//! `ε = 10⁻³`, ReLU. The pooling branches average over `3 × 3` windows of stride 1 and padding 1,
//! the padding counted (PyTorch's `count_include_pad=True`), in [`InceptionA`], [`InceptionC`] and
//! [`InceptionE`], and take the maximum over `3 × 3` windows of stride 2 in the grid reductions
//! [`InceptionB`] and [`InceptionD`]; every pool rounds down. torchvision's `transform_input`
//! (on only when it loads its own pretrained weights) is not part of the network: apply it to
//! the input. The auxiliary classifier (`AuxLogits`, training only) is left out.
//!
//! # Weight names
//!
//! torchvision's modules are named after their branches' layers (`Mixed_5b.branch5x5_1`,
//! `Mixed_7b.branch3x3_2a`), not numbered: every convolution here is [`Named`], and every chain
//! of a branch (and the inner [`Concat`] of [`InceptionE`]) is [`Inline`], so that its layers'
//! names sit directly under the block's (`Mixed_6b.branch7x7dbl_3.conv.weight`), where
//! [`Concat`] would otherwise say `branch3.2.…`.

use crate::compose::Concat;
use crate::compose::named::{Inline, Named};
use crate::layers::{
    AvgPool2d, BatchNorm2d, BnEps1e3, Conv2dHw, Dropout, GlobalAvgPool2d, Linear, MaxPool2d,
    NoBias, Relu,
};
use crate::models::googlenet::{BasicConv2d, Bn, Conv, Fc};
use crate::name;

name!(
    Conv2d1a3x3 = "Conv2d_1a_3x3",
    Conv2d2a3x3 = "Conv2d_2a_3x3",
    Conv2d2b3x3 = "Conv2d_2b_3x3",
    Conv2d3b1x1 = "Conv2d_3b_1x1",
    Conv2d4a3x3 = "Conv2d_4a_3x3",
    Mixed5b = "Mixed_5b",
    Mixed5c = "Mixed_5c",
    Mixed5d = "Mixed_5d",
    Mixed6a = "Mixed_6a",
    Mixed6b = "Mixed_6b",
    Mixed6c = "Mixed_6c",
    Mixed6d = "Mixed_6d",
    Mixed6e = "Mixed_6e",
    Mixed7a = "Mixed_7a",
    Mixed7b = "Mixed_7b",
    Mixed7c = "Mixed_7c",
    Branch1x1 = "branch1x1",
    Branch3x3 = "branch3x3",
    Branch3x3_1 = "branch3x3_1",
    Branch3x3_2 = "branch3x3_2",
    Branch3x3_2a = "branch3x3_2a",
    Branch3x3_2b = "branch3x3_2b",
    Branch3x3Dbl1 = "branch3x3dbl_1",
    Branch3x3Dbl2 = "branch3x3dbl_2",
    Branch3x3Dbl3 = "branch3x3dbl_3",
    Branch3x3Dbl3a = "branch3x3dbl_3a",
    Branch3x3Dbl3b = "branch3x3dbl_3b",
    Branch5x5_1 = "branch5x5_1",
    Branch5x5_2 = "branch5x5_2",
    Branch7x7_1 = "branch7x7_1",
    Branch7x7_2 = "branch7x7_2",
    Branch7x7_3 = "branch7x7_3",
    Branch7x7Dbl1 = "branch7x7dbl_1",
    Branch7x7Dbl2 = "branch7x7dbl_2",
    Branch7x7Dbl3 = "branch7x7dbl_3",
    Branch7x7Dbl4 = "branch7x7dbl_4",
    Branch7x7Dbl5 = "branch7x7dbl_5",
    Branch7x7x3_1 = "branch7x7x3_1",
    Branch7x7x3_2 = "branch7x7x3_2",
    Branch7x7x3_3 = "branch7x7x3_3",
    Branch7x7x3_4 = "branch7x7x3_4",
    BranchPool = "branch_pool",
);

/// torchvision's `BasicConv2d` with a rectangular kernel: a `KH × KW` convolution without bias
/// (stride `SH × SW`, padding `PH × PW`, PyTorch's order of [`Conv2dHw`]), batch norm with
/// `ε = 10⁻³`, ReLU; weight names `conv.weight`, `bn.weight`, `bn.running_mean`, …. With
/// `KH = KW`, `SH = SW` and `PH = PW` it is [`BasicConv2d`], the same type.
///
/// ```
/// use constnet::models::BasicConv2dHw;
/// use constnet::prelude::*;
/// // Inception-v3's `conv_block(c7, c7, kernel_size=(1, 7), padding=(0, 3))`: same size.
/// type Conv1x7 = BasicConv2dHw<4, 4, 1, 7, 1, 1, 0, 3>;
/// let _: Out<Conv1x7, Tensor<1, 4, 9, 5>> = Tensor::<1, 4, 9, 5>::zeros();
/// ```
pub type BasicConv2dHw<
    const CI: usize,
    const CO: usize,
    const KH: usize,
    const KW: usize,
    const SH: usize = 1,
    const SW: usize = SH,
    const PH: usize = 0,
    const PW: usize = PH,
> = (
    Named<Conv, Conv2dHw<CI, CO, KH, KW, SH, SW, PH, PW, NoBias>>,
    Named<Bn, BatchNorm2d<CO, f32, BnEps1e3>>,
    Relu,
);

/// torchvision's `InceptionA(CI, pool_features=PF)` (`Mixed_5b` … `Mixed_5d`, 35 × 35): four
/// branches concatenated along channels — `branch1x1` (1×1, 64); `branch5x5_1` (1×1, 48) →
/// `branch5x5_2` (5×5, 64); `branch3x3dbl_1` (1×1, 64) → `branch3x3dbl_2` (3×3, 96) →
/// `branch3x3dbl_3` (3×3, 96); 3×3 average pool of stride 1 → `branch_pool` (1×1, `PF`).
/// Same height and width; `224 + PF` output channels.
pub type InceptionA<const CI: usize, const PF: usize> = Concat<(
    Named<Branch1x1, BasicConv2d<CI, 64, 1>>,
    Inline<(
        Named<Branch5x5_1, BasicConv2d<CI, 48, 1>>,
        Named<Branch5x5_2, BasicConv2d<48, 64, 5, 1, 2>>,
    )>,
    Inline<(
        Named<Branch3x3Dbl1, BasicConv2d<CI, 64, 1>>,
        Named<Branch3x3Dbl2, BasicConv2d<64, 96, 3, 1, 1>>,
        Named<Branch3x3Dbl3, BasicConv2d<96, 96, 3, 1, 1>>,
    )>,
    Inline<(
        AvgPool2d<3, 1, 1>,
        Named<BranchPool, BasicConv2d<CI, PF, 1>>,
    )>,
)>;

/// torchvision's `InceptionB(CI)` (`Mixed_6a`, the grid reduction 35 × 35 → 17 × 17): three
/// branches concatenated along channels — `branch3x3` (3×3 of stride 2, 384);
/// `branch3x3dbl_1` (1×1, 64) → `branch3x3dbl_2` (3×3, 96) → `branch3x3dbl_3` (3×3 of stride 2,
/// 96); 3×3 max pool of stride 2 (the `CI` input channels). `480 + CI` output channels.
pub type InceptionB<const CI: usize> = Concat<(
    Named<Branch3x3, BasicConv2d<CI, 384, 3, 2>>,
    Inline<(
        Named<Branch3x3Dbl1, BasicConv2d<CI, 64, 1>>,
        Named<Branch3x3Dbl2, BasicConv2d<64, 96, 3, 1, 1>>,
        Named<Branch3x3Dbl3, BasicConv2d<96, 96, 3, 2>>,
    )>,
    MaxPool2d<3, 2>,
)>;

/// torchvision's `InceptionC(CI, channels_7x7=C7)` (`Mixed_6b` … `Mixed_6e`, 17 × 17), the
/// 7 × 7 convolutions factorised into 1 × 7 and 7 × 1 ones: four branches concatenated along
/// channels — `branch1x1` (1×1, 192); `branch7x7_1` (1×1, `C7`) → `branch7x7_2` (1×7, `C7`) →
/// `branch7x7_3` (7×1, 192); `branch7x7dbl_1` (1×1, `C7`) → `branch7x7dbl_2` (7×1) →
/// `branch7x7dbl_3` (1×7) → `branch7x7dbl_4` (7×1) → `branch7x7dbl_5` (1×7, 192); 3×3 average
/// pool of stride 1 → `branch_pool` (1×1, 192). Same height and width; 768 output channels.
pub type InceptionC<const CI: usize, const C7: usize> = Concat<(
    Named<Branch1x1, BasicConv2d<CI, 192, 1>>,
    Inline<(
        Named<Branch7x7_1, BasicConv2d<CI, C7, 1>>,
        Named<Branch7x7_2, BasicConv2dHw<C7, C7, 1, 7, 1, 1, 0, 3>>,
        Named<Branch7x7_3, BasicConv2dHw<C7, 192, 7, 1, 1, 1, 3, 0>>,
    )>,
    Inline<(
        Named<Branch7x7Dbl1, BasicConv2d<CI, C7, 1>>,
        Named<Branch7x7Dbl2, BasicConv2dHw<C7, C7, 7, 1, 1, 1, 3, 0>>,
        Named<Branch7x7Dbl3, BasicConv2dHw<C7, C7, 1, 7, 1, 1, 0, 3>>,
        Named<Branch7x7Dbl4, BasicConv2dHw<C7, C7, 7, 1, 1, 1, 3, 0>>,
        Named<Branch7x7Dbl5, BasicConv2dHw<C7, 192, 1, 7, 1, 1, 0, 3>>,
    )>,
    Inline<(
        AvgPool2d<3, 1, 1>,
        Named<BranchPool, BasicConv2d<CI, 192, 1>>,
    )>,
)>;

/// torchvision's `InceptionD(CI)` (`Mixed_7a`, the grid reduction 17 × 17 → 8 × 8): three
/// branches concatenated along channels — `branch3x3_1` (1×1, 192) → `branch3x3_2` (3×3 of
/// stride 2, 320); `branch7x7x3_1` (1×1, 192) → `branch7x7x3_2` (1×7) → `branch7x7x3_3` (7×1) →
/// `branch7x7x3_4` (3×3 of stride 2, 192); 3×3 max pool of stride 2 (the `CI` input channels).
/// `512 + CI` output channels.
pub type InceptionD<const CI: usize> = Concat<(
    Inline<(
        Named<Branch3x3_1, BasicConv2d<CI, 192, 1>>,
        Named<Branch3x3_2, BasicConv2d<192, 320, 3, 2>>,
    )>,
    Inline<(
        Named<Branch7x7x3_1, BasicConv2d<CI, 192, 1>>,
        Named<Branch7x7x3_2, BasicConv2dHw<192, 192, 1, 7, 1, 1, 0, 3>>,
        Named<Branch7x7x3_3, BasicConv2dHw<192, 192, 7, 1, 1, 1, 3, 0>>,
        Named<Branch7x7x3_4, BasicConv2d<192, 192, 3, 2>>,
    )>,
    MaxPool2d<3, 2>,
)>;

/// torchvision's `InceptionE(CI)` (`Mixed_7b`, `Mixed_7c`, 8 × 8), whose 3 × 3 branches end in
/// a 1 × 3 and a 3 × 1 convolution side by side: four branches concatenated along channels —
/// `branch1x1` (1×1, 320); `branch3x3_1` (1×1, 384) → `branch3x3_2a` (1×3, 384) beside
/// `branch3x3_2b` (3×1, 384); `branch3x3dbl_1` (1×1, 448) → `branch3x3dbl_2` (3×3, 384) →
/// `branch3x3dbl_3a` (1×3, 384) beside `branch3x3dbl_3b` (3×1, 384); 3×3 average pool of
/// stride 1 → `branch_pool` (1×1, 192), each pair side by side a nested [`Concat`]. Same height
/// and width; 2048 output channels.
pub type InceptionE<const CI: usize> = Concat<(
    Named<Branch1x1, BasicConv2d<CI, 320, 1>>,
    Inline<(
        Named<Branch3x3_1, BasicConv2d<CI, 384, 1>>,
        Inline<
            Concat<(
                Named<Branch3x3_2a, BasicConv2dHw<384, 384, 1, 3, 1, 1, 0, 1>>,
                Named<Branch3x3_2b, BasicConv2dHw<384, 384, 3, 1, 1, 1, 1, 0>>,
            )>,
        >,
    )>,
    Inline<(
        Named<Branch3x3Dbl1, BasicConv2d<CI, 448, 1>>,
        Named<Branch3x3Dbl2, BasicConv2d<448, 384, 3, 1, 1>>,
        Inline<
            Concat<(
                Named<Branch3x3Dbl3a, BasicConv2dHw<384, 384, 1, 3, 1, 1, 0, 1>>,
                Named<Branch3x3Dbl3b, BasicConv2dHw<384, 384, 3, 1, 1, 1, 1, 0>>,
            )>,
        >,
    )>,
    Inline<(
        AvgPool2d<3, 1, 1>,
        Named<BranchPool, BasicConv2d<CI, 192, 1>>,
    )>,
)>;

/// Inception-v3 for 299×299 images, 1000 classes, as torchvision's
/// `inception_v3(weights=None, aux_logits=False, init_weights=True)`: 23 834 568 parameters,
/// its state dict's names (`Conv2d_1a_3x3.conv.weight`, `Mixed_5b.branch5x5_1.bn.running_mean`,
/// `Mixed_7b.branch3x3_2a.conv.weight`, `fc.bias`, …). Input `Tensor<N, 3, 299, 299>`, output
/// `Tensor<N, 1000, 1, 1>`.
///
/// The feature maps: 299 → 149 → 147 → 147 → (max pool) 73 → 73 → 71 → (max pool) 35, with
/// 192 channels; `Mixed_5b` … `Mixed_5d` ([`InceptionA`]) 256, 288, 288 channels at 35 × 35;
/// `Mixed_6a` ([`InceptionB`]) 768 at 17 × 17, kept by `Mixed_6b` … `Mixed_6e`
/// ([`InceptionC`]); `Mixed_7a` ([`InceptionD`]) 1280 at 8 × 8; `Mixed_7b`, `Mixed_7c`
/// ([`InceptionE`]) 2048; then the global average pool, dropout (`p = 0.5`) and `fc`.
pub type InceptionV3 = (
    Named<Conv2d1a3x3, BasicConv2d<3, 32, 3, 2>>,
    Named<Conv2d2a3x3, BasicConv2d<32, 32, 3>>,
    Named<Conv2d2b3x3, BasicConv2d<32, 64, 3, 1, 1>>,
    MaxPool2d<3, 2>,
    Named<Conv2d3b1x1, BasicConv2d<64, 80, 1>>,
    Named<Conv2d4a3x3, BasicConv2d<80, 192, 3>>,
    MaxPool2d<3, 2>,
    Named<Mixed5b, InceptionA<192, 32>>,
    Named<Mixed5c, InceptionA<256, 64>>,
    Named<Mixed5d, InceptionA<288, 64>>,
    Named<Mixed6a, InceptionB<288>>,
    Named<Mixed6b, InceptionC<768, 128>>,
    Named<Mixed6c, InceptionC<768, 160>>,
    Named<Mixed6d, InceptionC<768, 160>>,
    Named<Mixed6e, InceptionC<768, 192>>,
    Named<Mixed7a, InceptionD<768>>,
    Named<Mixed7b, InceptionE<1280>>,
    Named<Mixed7c, InceptionE<2048>>,
    GlobalAvgPool2d,
    Dropout<5000>,
    Named<Fc, Linear<2048, 1000>>,
);
