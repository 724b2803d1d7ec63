"""Chinese text of chapter 4's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # conv_single_backward: cases
    "the chapter's 3x3 X, 2x2 F and dL/dO": "本章的 3x3 X、2x2 F 与 dL/dO",
    "random, square: X (5, 5), F (3, 3)": "随机，正方形：X (5, 5)，F (3, 3)",
    "non-square input and filter: X (6, 4), F (2, 3)": "非正方形的输入与滤波器：X (6, 4)，F (2, 3)",
    "a 1x1 filter (dX = dO * F, dF = sum of dO * X): X (4, 3), F (1, 1)":
        "1x1 滤波器（dX = dO * F，dF = dO * X 之和）：X (4, 3)，F (1, 1)",
    "the filter as large as the input (one output): X (3, 4), F (3, 4)":
        "滤波器与输入一样大（只有一个输出）：X (3, 4)，F (3, 4)",
    "a row vector: X (1, 6), F (1, 3)": "行向量：X (1, 6)，F (1, 3)",
    # conv_single_backward: diagnoses
    "the filter is not rotated in dX: dX[u, v] = sum of dO[i, j] F[u - i, v - j], i.e. the full correlation "
    "of dO with rot180(F), not with F (a full *convolution* with rot180(F) flips twice and gives this same "
    "wrong answer)":
        "计算 dX 时滤波器没有旋转：dX[u, v] = dO[i, j] F[u - i, v - j] 之和，即 dO 与 rot180(F) 的完全互相关，"
        "而不是与 F 的（与 rot180(F) 做完全*卷积*会翻转两次，得到的正是这个错误答案）",
    "dF is a true convolution (dO flipped): dF[r, s] = sum of dO[i, j] X[i + r, j + s] slides dO over X "
    "without flipping it":
        "dF 算成了真正的卷积（dO 被翻转了）：dF[r, s] = dO[i, j] X[i + r, j + s] 之和，"
        "是让 dO 在 X 上滑动，不翻转",
    "dF is rotated by 180 degrees (the roles of X and dO swapped): dF[r, s] pairs dO[i, j] with X[i + r, j + s]":
        "dF 被旋转了 180 度（X 与 dO 的角色弄反了）：dF[r, s] 中 dO[i, j] 与 X[i + r, j + s] 配对",
    "dF is transposed (rows and columns mixed up): dF[r, s] = sum of dO[i, j] X[i + r, j + s], with r the row offset":
        "dF 被转置了（行与列弄混了）：dF[r, s] = dO[i, j] X[i + r, j + s] 之和，其中 r 是行偏移",
    "dX does not have the shape of X: use the full correlation (dO bordered with R - 1 rows and S - 1 columns "
    "of zeros on every side), which gives (P + R - 1, Q + S - 1) = (H, W)":
        "dX 的形状与 X 不同：要用完全互相关（在 dO 的每一侧补上 R - 1 行和 S - 1 列零），"
        "它给出 (P + R - 1, Q + S - 1) = (H, W)",
    "dX has the shape of dO ('same' mode): it must have the shape of X, so use the full correlation":
        "dX 的形状与 dO 相同（'same' 模式）：它必须与 X 形状相同，所以要用完全互相关",
    "dX and dF are returned in the wrong order: return (dX, dF)": "dX 与 dF 的返回顺序反了：应返回 (dX, dF)",
    # insert_zeros: cases
    "a 2x2 gradient, stride 2 (the picture in the chapter)": "2x2 的梯度，步长 2（本章图中的例子）",
    "stride 1 leaves dy as it is": "步长 1 时 dy 保持不变",
    "non-square 3x2, stride 3": "非正方形的 3x2，步长 3",
    "a batch with several filters, stride 2": "一个批量，多个滤波器，步长 2",
    "a single output value (1x1), stride 2": "只有一个输出值（1x1），步长 2",
    # insert_zeros: diagnoses
    "zeros after the last entry too: the zero-inserted grid is (P - 1) * stride + 1 long, not P * stride":
        "在最后一个元素之后也插了零：插零后的网格长度是 (P - 1) * stride + 1，而不是 P * stride",
    "stride zeros between neighbours instead of stride - 1: entries sit `stride` apart":
        "相邻元素之间插了 stride 个零，而不是 stride - 1 个：元素之间应相隔 `stride`",
    "zeros are inserted between the rows only: the columns need the same zeros":
        "只在行之间插了零：列之间也需要同样的零",
    "dy is returned unchanged: a strided layer's gradient must be spread onto the stride-1 grid":
        "dy 被原样返回了：带步长的层的梯度必须铺到步长为 1 的网格上",
    # conv2d_backward: cases
    "the 3x3 X and 2x2 F of the chapter: x (1, 1, 3, 3), w (1, 1, 2, 2), stride 1, padding 0":
        "本章的 3x3 X 与 2x2 F：x (1, 1, 3, 3)，w (1, 1, 2, 2)，步长 1，填充 0",
    "a batch with channels and filters: x (2, 3, 5, 5), w (2, 3, 3, 3), stride 1, padding 0":
        "带通道和多个滤波器的批量：x (2, 3, 5, 5)，w (2, 3, 3, 3)，步长 1，填充 0",
    "padding: x (2, 2, 4, 4), w (3, 2, 3, 3), stride 1, padding 1":
        "填充：x (2, 2, 4, 4)，w (3, 2, 3, 3)，步长 1，填充 1",
    "stride 2: x (1, 2, 7, 7), w (2, 2, 3, 3), stride 2, padding 0":
        "步长 2：x (1, 2, 7, 7)，w (2, 2, 3, 3)，步长 2，填充 0",
    "stride that does not divide H - R: x (2, 1, 8, 8), w (2, 1, 3, 3), stride 2, padding 0":
        "步长不能整除 H - R：x (2, 1, 8, 8)，w (2, 1, 3, 3)，步长 2，填充 0",
    "stride and padding: x (2, 2, 6, 7), w (2, 2, 3, 2), stride 2, padding 1":
        "步长与填充：x (2, 2, 6, 7)，w (2, 2, 3, 2)，步长 2，填充 1",
    # conv2d_backward: diagnoses
    "the filter is not rotated in dx: dx is the full correlation of dy with rot180(w), not with w":
        "计算 dx 时滤波器没有旋转：dx 是 dy 与 rot180(w) 的完全互相关，而不是与 w 的",
    "the stride is not applied in the backward pass: insert (stride - 1) zeros between the entries of dy "
    "before correlating":
        "反向传播中没有考虑步长：做互相关之前，要在 dy 的元素之间插入 (stride - 1) 个零",
    "the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns from each "
    "side of the padded gradient":
        "没有裁剪填充：dx 必须与 x 形状相同，所以要从填充后梯度的每一侧去掉 `padding` 行和 `padding` 列",
    "dw is not summed over the batch (it holds only one sample's gradient: use += over n)":
        "dw 没有对批量求和（它只含一个样本的梯度：要对 n 用 += 累加）",
    "dw is averaged over the batch; the gradient of a sum is the sum of the gradients":
        "dw 对批量取了平均；和的梯度是梯度之和",
    "db is summed on the wrong axes: sum dy over the batch and both spatial axes, (0, 2, 3)":
        "db 求和的轴不对：要对 dy 在批量轴和两个空间轴上求和，即 (0, 2, 3)",
    "db sums over every axis, mixing the filters: keep one entry per filter, axes (0, 2, 3)":
        "db 对所有轴求和，把各个滤波器混在了一起：每个滤波器应保留一个元素，求和的轴为 (0, 2, 3)",
    # conv_input_sizes: cases
    "the chapter's example: P 4, kernel 3, stride 2, padding 1 (7 and 8)":
        "本章的例子：P 4，卷积核 3，步长 2，填充 1（7 和 8）",
    "stride 1: one size only": "步长 1：只有一种尺寸",
    "stride 3, no padding": "步长 3，不填充",
    "kernel 5, stride 2, padding 2": "卷积核 5，步长 2，填充 2",
    "a single output position, kernel 4, stride 4": "只有一个输出位置，卷积核 4，步长 4",
    "a 1x1 kernel, stride 5": "1x1 卷积核，步长 5",
    # conv_input_sizes: diagnoses
    "only the smallest size: the floor in P = floor((H + 2p - R) / s) + 1 lets stride consecutive sizes H "
    "give the same P":
        "只给出了最小的尺寸：P = floor((H + 2p - R) / s) + 1 中的向下取整，使 stride 个相邻的尺寸 H "
        "都给出同一个 P",
    "one size too many: (H + 2p - R) / s < P, so H + 2p - R <= (P - 1) s + s - 1; there are exactly stride sizes":
        "多了一个尺寸：(H + 2p - R) / s < P，所以 H + 2p - R <= (P - 1) s + s - 1；恰好有 stride 个尺寸",
    "one size too few: the sizes run from (P - 1) s - 2p + R up to that plus stride - 1, inclusive":
        "少了一个尺寸：这些尺寸从 (P - 1) s - 2p + R 一直到它加上 stride - 1，两端都包括",
    "the padding is ignored: the padded length H + 2p, not H, holds the windows":
        "忽略了填充：容纳窗口的是填充后的长度 H + 2p，而不是 H",
    "the padding is counted once: it is added on both sides, so subtract 2p":
        "填充只算了一次：两侧都有填充，所以要减去 2p",
    "P windows need only P - 1 strides: the first window starts at 0, the last at (P - 1) s":
        "P 个窗口只需要 P - 1 次步进：第一个窗口从 0 开始，最后一个从 (P - 1) s 开始",
    # kernel_gradient_step: cases
    "two images, one filter: x (2, 1, 6, 6), w (1, 1, 3, 3), lr 0.1":
        "两张图像，一个滤波器：x (2, 1, 6, 6)，w (1, 1, 3, 3)，lr 0.1",
    "a batch of three images: x (3, 1, 5, 5), w (1, 1, 3, 3), lr 0.5":
        "三张图像组成的批量：x (3, 1, 5, 5)，w (1, 1, 3, 3)，lr 0.5",
    "two channels, two filters, non-square kernel: x (2, 2, 5, 6), w (2, 2, 3, 2), lr 0.2":
        "两个通道，两个滤波器，非正方形卷积核：x (2, 2, 5, 6)，w (2, 2, 3, 2)，lr 0.2",
    "y already equals conv2d(x, w): the gradient is 0, w stays":
        "y 已经等于 conv2d(x, w)：梯度为 0，w 保持不变",
    # kernel_gradient_step: diagnoses
    "the step goes uphill: subtract lr * dw (and take dy = (conv2d(x, w) - y) / M, not y - conv2d(x, w))":
        "这一步是朝上坡走的：要减去 lr * dw（并且取 dy = (conv2d(x, w) - y) / M，而不是 y - conv2d(x, w)）",
    "dy is not divided by M = y.size: the loss is a mean over every output value, so dy = (conv2d(x, w) - y) / M":
        "dy 没有除以 M = y.size：损失是对所有输出值取的平均，所以 dy = (conv2d(x, w) - y) / M",
    "dy is divided by the batch size N only: the mean runs over every output value, M = y.size = N*K*P*Q":
        "dy 只除以了批量大小 N：平均是对所有输出值取的，M = y.size = N*K*P*Q",
    "dy is twice too large: the 1/2 in the loss cancels the 2 from differentiating the square":
        "dy 大了一倍：损失中的 1/2 正好抵消对平方求导得到的 2",
    "dw is rotated by 180 degrees: the filter gradient is a cross-correlation of x with dy, no flip":
        "dw 被旋转了 180 度：滤波器梯度是 x 与 dy 的互相关，不翻转",
}
