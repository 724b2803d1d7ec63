"""Chinese text of chapter 07's checks: every case name and every diagnosis, by its English text."""

TEXT = {
    "the 3x4 grid 0 ... 11, one row down":
        "3x4 网格 0 ... 11，向下移动一行",
    "the 3x4 grid 0 ... 11, one column right":
        "3x4 网格 0 ... 11，向右移动一列",
    "a batch with channels, 2 down and 1 right: x (2, 3, 5, 6)":
        "带通道的一批图像，向下 2、向右 1：x (2, 3, 5, 6)",
    "negative shifts, 1 up and 3 left: x (2, 2, 4, 5)":
        "负的平移量，向上 1、向左 3：x (2, 2, 4, 5)",
    "shifts larger than the image wrap around again: (down, right) = (4, 9) on 3x4":
        "比图像还大的平移会再次回绕：在 3x4 上 (down, right) = (4, 9)",
    "float32 stays float32: x (2, 1, 4, 4), (1, 2)":
        "float32 仍为 float32：x (2, 1, 4, 4)，(1, 2)",
    "a 4x4 grid 0 ... 15 and a 3x3 kernel with two nonzero weights":
        "4x4 网格 0 ... 15，以及只有两个非零权重的 3x3 卷积核",
    "a batch with channels, C = 3 != K = 4: x (2, 3, 5, 6), w (4, 3, 3, 3)":
        "带通道的一批图像，C = 3 != K = 4：x (2, 3, 5, 6)，w (4, 3, 3, 3)",
    "an even 2x2 kernel (the extra padding goes after): x (1, 2, 4, 5), w (3, 2, 2, 2)":
        "偶数尺寸的 2x2 卷积核（多出的填充放在后面）：x (1, 2, 4, 5)，w (3, 2, 2, 2)",
    "a non-square 3x2 kernel: x (2, 1, 5, 4), w (2, 1, 3, 2)":
        "非正方形的 3x2 卷积核：x (2, 1, 5, 4)，w (2, 1, 3, 2)",
    "a 5x5 kernel on a 5x6 image (the padding wraps two rows and columns): w (1, 1, 5, 5)":
        "5x6 图像上的 5x5 卷积核（填充要回绕两行和两列）：w (1, 1, 5, 5)",
    "a 1x1 kernel (no padding needed): x (2, 2, 3, 3), w (2, 2, 1, 1)":
        "1x1 卷积核（不需要填充）：x (2, 2, 3, 3)，w (2, 2, 1, 1)",
    "zero padding, the whole map (border 0), shift (0, 2)":
        "零填充，整张特征图（border 0），平移 (0, 2)",
    "zero padding, a border of 1 (too thin to hide the seam), shift (0, 3)":
        "零填充，border 为 1（太窄，遮不住接缝），平移 (0, 3)",
    "zero padding and ReLU, a batch with channels, shift (-2, 3), border 0":
        "零填充加 ReLU，带通道的一批图像，平移 (-2, 3)，border 0",
    "zero padding, 5x5 kernels and ReLU, shift (2, -1), border 2":
        "零填充，5x5 卷积核加 ReLU，平移 (2, -1)，border 2",
    "zero padding, a batch with channels, shift (1, 1), border 1":
        "零填充，带通道的一批图像，平移 (1, 1)，border 1",
    "circular padding plus a fixed map that depends on the column: position breaks equivariance, shift (1, 3), border 2":
        "循环填充再加上一个随列变化的固定映射：位置信息破坏了等变性，平移 (1, 3)，border 2",
    "global average pooling after a ZERO-padded convolution: the border still shows, shift (2, 3)":
        "在零填充（不是循环填充）的卷积之后做全局平均池化：边界仍会显露出来，平移 (2, 3)",
    "2x2 max pooling with stride 2: only approximately invariant, shift (0, 1)":
        "步长为 2 的 2x2 最大池化：只是近似不变，平移 (0, 1)",
    "the convolution alone: equivariant, and therefore NOT invariant, shift (1, 1)":
        "单独的卷积：等变，因此并不是不变的，平移 (1, 1)",
    "2x2 max pooling, a batch with channels, a shift by a whole window (2, 2): the pooled map moves":
        "2x2 最大池化，带通道的一批图像，平移恰好一个完整窗口 (2, 2)：池化后的特征图会移动",
    "global max pooling after a convolution with a position-dependent map, shift (-1, 2)":
        "卷积再加上一个依赖位置的映射，之后做全局最大池化，平移 (-1, 2)",
    "a cosine of period 8 on 16 columns, t = 0.5: expected cos(2 pi (j - 0.5) / 8)":
        "16 列上周期为 8 的余弦，t = 0.5：应为 cos(2 pi (j - 0.5) / 8)",
    "a whole shift, t = 3: the same as np.roll(y, 3, axis=3), x (2, 3, 4, 8)":
        "整数平移，t = 3：与 np.roll(y, 3, axis=3) 相同，x (2, 3, 4, 8)",
    "a negative fractional shift, t = -1.5: x (2, 2, 3, 8)":
        "负的分数平移，t = -1.5：x (2, 2, 3, 8)",
    "an odd width, W = 7, t = 0.25: x (1, 2, 3, 7)":
        "奇数宽度，W = 7，t = 0.25：x (1, 2, 3, 7)",
    "a shift longer than the row wraps around: t = 6.5 on W = 6, the same as t = 0.5":
        "比一行还长的平移会回绕：在 W = 6 上 t = 6.5，与 t = 0.5 相同",
    "stripes 0 1 0 1 at the highest frequency, t = 0.5: the band-limited answer is their mean, 0.5":
        "最高频率的条纹 0 1 0 1，t = 0.5：带限平移的答案是它们的均值 0.5",
    "the content moved the wrong way: shifting by (down, right) moves pixel (i, j) to (i + down, j + right), down and right for positive shifts (np.roll with +down and +right)":
        "内容移错了方向：按 (down, right) 平移会把像素 (i, j) 移到 (i + down, j + right)，平移量为正时向下、向右（np.roll 用 +down 和 +right）",
    "the batch and channel axes were rolled: images and channels stay where they are; shift only the last two axes, H and W (axis=(2, 3))":
        "批量轴和通道轴也被滚动了：图像和通道应保持原位；只平移最后两个轴 H 和 W（axis=(2, 3)）",
    "down and right are swapped: down moves rows (axis 2), right moves columns (axis 3)":
        "down 和 right 弄反了：down 移动的是行（axis 2），right 移动的是列（axis 3）",
    "zeros came in at the edge: in a circular shift the pixels that leave one edge come back in at the opposite edge (np.roll)":
        "边缘处移进来的是零：循环移位时，从一侧边缘移出去的像素会从对侧边缘重新进来（np.roll）",
    "the image was rolled as one long row, so a pixel leaving the right edge reappears at the left of the NEXT row: roll rows and columns as two separate axes":
        "图像被当作一整行来滚动，于是从右边缘移出的像素出现在下一行的左端：应把行和列作为两个独立的轴分别滚动",
    "x was padded with zeros: circular padding takes the missing rows and columns from the opposite edge, np.pad(x, ..., mode='wrap')":
        "x 用的是零填充：循环填充要从对侧边缘取来缺少的行和列，np.pad(x, ..., mode='wrap')",
    "the kernel was rotated by 180 degrees: a convolution layer computes cross-correlation, y[i, j] = sum_{r, s} w[r, s] * xpad[i + r, j + s], with the kernel as it is written":
        "卷积核被旋转了 180 度：卷积层计算的是互相关，y[i, j] = sum_{r, s} w[r, s] * xpad[i + r, j + s]，卷积核保持原样，不要翻转",
    "an even kernel was padded on the wrong side: pad (R - 1) // 2 rows before and R // 2 after (the extra row goes at the bottom, the extra column at the right, as PyTorch's padding='same')":
        "偶数尺寸的卷积核填充在了错误的一侧：前面填充 (R - 1) // 2 行，后面填充 R // 2 行（多出的一行在底部，多出的一列在右侧，与 PyTorch 的 padding='same' 一致）",
    "an even kernel was padded by R // 2 on both sides, one row and column too many: pad R - 1 rows in all, (R - 1) // 2 before and R // 2 after":
        "偶数尺寸的卷积核两侧各填充了 R // 2，多了一行一列：总共填充 R - 1 行，前面 (R - 1) // 2 行，后面 R // 2 行",
    "x was not padded: the output keeps the input's H x W only after R - 1 rows and S - 1 columns of wrapped padding":
        "x 没有填充：只有加上 R - 1 行和 S - 1 列回绕填充之后，输出才能保持输入的 H x W",
    "the row and column padding are swapped: the kernel's height R sets the rows, its width S the columns":
        "行填充和列填充弄反了：卷积核的高 R 决定填充的行数，宽 S 决定填充的列数",
    "this compares phi(shift(x)) with phi(x): that measures invariance. Equivariance compares it with the SHIFTED output, shift(phi(x))":
        "这是在比较 phi(shift(x)) 与 phi(x)：这样测的是不变性。等变性要把它与平移之后的输出 shift(phi(x)) 比较",
    "the output was shifted the other way: shift phi(x) by the same (+down, +right) as the input":
        "输出平移的方向反了：对 phi(x) 的平移应与输入相同，即 (+down, +right)",
    "the border was not excluded: drop `border` rows and columns at each of the four edges before taking the maximum":
        "没有去掉边框：取最大值之前，要在四条边缘上各去掉 `border` 行和列",
    "the border was dropped only at the top and left: drop it at the bottom and right as well (rows border:H-border, columns border:W-border)":
        "只去掉了上边和左边的边框：下边和右边也要去掉（行 border:H-border，列 border:W-border）",
    "this is the mean absolute difference: the error is the largest one, np.max(np.abs(...))":
        "这是平均绝对差：误差应取最大的那个，np.max(np.abs(...))",
    "the absolute value is missing: a difference of -3 is as large an error as +3":
        "缺少绝对值：差为 -3 与差为 +3 是同样大的误差",
    "the shift moved the batch and channel axes: shift only H and W (axes 2 and 3)":
        "平移移动了批量轴和通道轴：只平移 H 和 W（轴 2 和 3）",
    "this compares phi(shift(x)) with shift(phi(x)): that measures equivariance. Invariance compares it with phi(x) itself, unshifted":
        "这是在比较 phi(shift(x)) 与 shift(phi(x))：这样测的是等变性。不变性要把它与未平移的 phi(x) 本身比较",
    "the frequencies were taken as 0, 1, ..., W - 1: the coefficient at index W - 1 is frequency -1, so its phase must turn the other way; use the signed frequencies f = np.fft.fftfreq(W) * W":
        "频率被当成了 0, 1, ..., W - 1：下标为 W - 1 的系数对应频率 -1，所以它的相位应该朝相反方向转；请使用有符号频率 f = np.fft.fftfreq(W) * W",
    "the content moved left: a shift by t to the right multiplies the coefficient of frequency f by exp(-2j * pi * f * t / W), with a minus sign":
        "内容向左移动了：向右平移 t 要把频率 f 的系数乘以 exp(-2j * pi * f * t / W)，注意有个负号",
    "the phase is missing its / W: the coefficient of frequency f turns by exp(-2j * pi * f * t / W)":
        "相位中缺少 / W：频率 f 的系数应转动 exp(-2j * pi * f * t / W)",
    "the rows were shifted: t moves the content along the columns, the last axis (axis 3)":
        "移动的是行：t 应让内容在列之间移动，即沿最后一个轴（axis 3）",
    "the result is complex: the input is real, so keep the real part of the inverse transform, np.real(np.fft.ifft(...))":
        "结果是复数：输入是实数，所以要取逆变换的实部，np.real(np.fft.ifft(...))",
    "the shift was rounded to whole pixels (np.roll): a fractional shift must interpolate between the samples":
        "平移被取整成了整数个像素（np.roll）：分数平移必须在样本之间插值",
}
