"""Chinese text of chapter 3's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # correlate2d_valid: cases
    "the chapter's 5x6 step image and 3x3 edge kernel": "本章的 5x6 台阶图像与 3x3 边缘卷积核",
    "random 6x7 image, non-square 3x2 kernel": "随机的 6x7 图像，非正方形的 3x2 卷积核",
    "random 5x5 image, 2x2 kernel": "随机的 5x5 图像，2x2 卷积核",
    "kernel as large as the image (one output)": "卷积核与图像一样大（只有一个输出）",
    "1x1 kernel": "1x1 卷积核",
    # conv_output_size: cases
    "200 input, 5x5 kernel, stride 2, padding 1 (the sources' first layer)":
        "输入 200，5x5 卷积核，步长 2，填充 1（来源文章中的第一层）",
    "99 input, 3x3 pool, stride 1, no padding": "输入 99，3x3 池化，步长 1，不填充",
    "32 input, 5x5 kernel, stride 1, no padding": "输入 32，5x5 卷积核，步长 1，不填充",
    "7 input, 3x3 kernel, stride 2 (stride divides 7 - 3)": "输入 7，3x3 卷积核，步长 2（步长整除 7 - 3）",
    "8 input, 3x3 kernel, stride 2 (it does not: a floor is needed)":
        "输入 8，3x3 卷积核，步长 2（这里不能整除：需要向下取整）",
    "5 input, 5x5 kernel (one position)": "输入 5，5x5 卷积核（只有一个位置）",
    "10 input, 4x4 kernel, stride 3, padding 2": "输入 10，4x4 卷积核，步长 3，填充 2",
    # dilated_output_size: cases
    "8 input, 3-tap kernel, dilation 3 (it spans 7 inputs)": "输入 8，3 抽头卷积核，膨胀率 3（跨越 7 个输入）",
    "32 input, 3-tap kernel, dilation 4, padding 4 (the size is kept)":
        "输入 32，3 抽头卷积核，膨胀率 4，填充 4（尺寸保持不变）",
    "11 input, 3-tap kernel, stride 2, padding 1, dilation 3": "输入 11，3 抽头卷积核，步长 2，填充 1，膨胀率 3",
    "13 input, 3-tap kernel, stride 2, dilation 6 (one position)": "输入 13，3 抽头卷积核，步长 2，膨胀率 6（只有一个位置）",
    "16 input, 4-tap kernel, stride 2, padding 3, dilation 3": "输入 16，4 抽头卷积核，步长 2，填充 3，膨胀率 3",
    "10 input, 3-tap kernel, stride 4, dilation 2 (a floor is needed)":
        "输入 10，3 抽头卷积核，步长 4，膨胀率 2（需要向下取整）",
    "17 input, 3-tap kernel, stride 3, dilation 6 (a floor is needed)":
        "输入 17，3 抽头卷积核，步长 3，膨胀率 6（需要向下取整）",
    "dilation 1: the sources' 32 -> 28 for a 5x5 kernel": "膨胀率 1：来源文章中 5x5 卷积核的 32 -> 28",
    # conv2d: cases
    "one channel, one filter: x (1, 1, 4, 4), w (1, 1, 2, 2), stride 1, padding 0":
        "单通道、单滤波器：x (1, 1, 4, 4)，w (1, 1, 2, 2)，步长 1，填充 0",
    "channels and filters (C=3, K=2): x (2, 3, 5, 5), w (2, 3, 3, 3), stride 1, padding 0":
        "多通道、多滤波器（C=3, K=2）：x (2, 3, 5, 5)，w (2, 3, 3, 3)，步长 1，填充 0",
    "padding: x (1, 2, 4, 4), w (3, 2, 3, 3), stride 1, padding 1":
        "填充：x (1, 2, 4, 4)，w (3, 2, 3, 3)，步长 1，填充 1",
    "stride that does not divide: x (2, 1, 8, 8), w (2, 1, 3, 3), stride 2, padding 0":
        "不能整除的步长：x (2, 1, 8, 8)，w (2, 1, 3, 3)，步长 2，填充 0",
    "stride and padding: x (1, 2, 7, 6), w (2, 2, 3, 3), stride 2, padding 1":
        "步长与填充：x (1, 2, 7, 6)，w (2, 2, 3, 3)，步长 2，填充 1",
    "non-square kernel: x (1, 1, 6, 5), w (2, 1, 2, 3), stride 1, padding 0":
        "非正方形卷积核：x (1, 1, 6, 5)，w (2, 1, 2, 3)，步长 1，填充 0",
    "1x1 kernel: x (2, 3, 4, 4), w (4, 3, 1, 1), stride 1, padding 0":
        "1x1 卷积核：x (2, 3, 4, 4)，w (4, 3, 1, 1)，步长 1，填充 0",
    # im2col: cases
    "the chapter's figure: 2 channels of 3x3, 2x2 windows": "本章的图：2 个 3x3 的通道，2x2 窗口",
    "3 channels of 5x6, 3x3 windows, stride 2, padding 1": "3 个 5x6 的通道，3x3 窗口，步长 2，填充 1",
    "2 channels of 6x5, 2x2 windows, stride 3 (it does not divide)": "2 个 6x5 的通道，2x2 窗口，步长 3（不能整除）",
    "2 channels of 4x4, 3x3 windows, padding 1": "2 个 4x4 的通道，3x3 窗口，填充 1",
    "1 channel of 4x3, 1x1 windows": "1 个 4x3 的通道，1x1 窗口",
    # correlate2d_valid: diagnoses
    "the kernel is flipped: that is a true convolution; a CNN layer computes the cross-correlation "
    "y[i, j] = sum of x[i + r, j + s] k[r, s]":
        "卷积核被翻转了：那是真正的卷积；CNN 层计算的是互相关，y[i, j] 是 x[i + r, j + s] k[r, s] 之和",
    "the output is one row and one column too small: there are H - R + 1 window positions, not H - R":
        "输出少了一行一列：窗口位置有 H - R + 1 个，而不是 H - R 个",
    "the output has the image's size ('same'): in 'valid' mode the kernel stays inside the image, "
    "so the output is (H - R + 1, W - S + 1)":
        "输出与图像一样大（'same'）：在 'valid' 模式下卷积核不越出图像，所以输出是 (H - R + 1, W - S + 1)",
    "the kernel's rows and columns are mixed up: x[i + r, j + s] pairs with k[r, s], not k[s, r]":
        "卷积核的行和列弄混了：与 x[i + r, j + s] 相乘的是 k[r, s]，而不是 k[s, r]",
    # conv_output_size and dilated_output_size: diagnoses
    "rounding up: the last window must fit inside the padded input, so use floor (//), not ceil":
        "向上取整了：最后一个窗口必须完全落在填充后的输入之内，所以要向下取整（//），而不是用 ceil",
    "the '+ 1' is missing: the first window position counts too": "少了 '+ 1'：第一个窗口位置也要算上",
    "the padding is added on one side only: it goes on both sides (2 * padding)":
        "填充只加在了一侧：两侧都要加（2 * padding）",
    "the padding is ignored": "忽略了填充",
    "a float is returned (use // for integer division)": "返回的是浮点数（整数除法请用 //）",
    "the dilation is ignored: a kernel with taps d apart spans d*(kernel_size - 1) + 1 inputs, "
    "which takes kernel_size's place in the formula":
        "忽略了膨胀率：抽头相隔 d 的卷积核跨越 d*(kernel_size - 1) + 1 个输入，公式中要用它代替 kernel_size",
    "the span is taken as d * kernel_size: k taps have k - 1 gaps of d, so the span is d*(kernel_size - 1) + 1":
        "把跨度算成了 d * kernel_size：k 个抽头之间只有 k - 1 个长为 d 的间隔，所以跨度是 d*(kernel_size - 1) + 1",
    "the '+ 1' of the span is missing: from the first tap to the last is d*(kernel_size - 1) steps, "
    "which covers d*(kernel_size - 1) + 1 inputs":
        "跨度少了 '+ 1'：从第一个抽头到最后一个抽头走 d*(kernel_size - 1) 步，覆盖的是 d*(kernel_size - 1) + 1 个输入",
    "the d - 1 zeros were counted once instead of once per gap between taps: "
    "the span is kernel_size + (kernel_size - 1)*(d - 1) = d*(kernel_size - 1) + 1":
        "d - 1 个零只算了一次，而抽头之间的每个间隔都要算一次：跨度是 "
        "kernel_size + (kernel_size - 1)*(d - 1) = d*(kernel_size - 1) + 1",
    # conv2d: diagnoses
    "the filter is flipped: deep-learning 'convolution' is a cross-correlation, "
    "xpad[n, c, i*stride + r, j*stride + s] * w[k, c, r, s] with the filter as it is":
        "滤波器被翻转了：深度学习中的“卷积”是互相关，即 xpad[n, c, i*stride + r, j*stride + s] * w[k, c, r, s]，"
        "滤波器按原样使用",
    "the bias b[k] is not added to every output of filter k": "偏置 b[k] 没有加到滤波器 k 的每个输出上",
    "the padding is ignored: pad x with zeros first (np.pad on the last two axes)":
        "忽略了填充：先给 x 补零（对最后两个轴用 np.pad）",
    "the stride is ignored: window (i, j) starts at row i*stride, column j*stride":
        "忽略了步长：窗口 (i, j) 从第 i*stride 行、第 j*stride 列开始",
    "the output size ignores the stride: P = (H + 2p - R) // stride + 1":
        "输出尺寸没有考虑步长：P = (H + 2p - R) // stride + 1",
    "only the first input channel is summed: each output sums over all C channels":
        "只对第一个输入通道求了和：每个输出都要对全部 C 个通道求和",
    # im2col: diagnoses
    "the windows are rows, not columns: col is (C*R*S, P*Q), one column per window, "
    "so that w.reshape(K, C*R*S) @ col works":
        "窗口排成了行，而不是列：col 的形状是 (C*R*S, P*Q)，每个窗口占一列，这样 w.reshape(K, C*R*S) @ col 才成立",
    "a window's numbers are in the order (r, s, c), channels last: list them as w[k].ravel() lists "
    "a filter's weights, (c, r, s), row (c*R + r)*S + s":
        "窗口中的数按 (r, s, c) 的顺序排列，通道在最后：应按 w[k].ravel() 排列滤波器权重的顺序 (c, r, s) 来排，"
        "即第 (c*R + r)*S + s 行",
    "the windows are numbered column by column: window (i, j) is column i*Q + j "
    "(row by row, like the output y[k, i, j])":
        "窗口是按列编号的：窗口 (i, j) 应是第 i*Q + j 列（按行编号，与输出 y[k, i, j] 一样）",
}
