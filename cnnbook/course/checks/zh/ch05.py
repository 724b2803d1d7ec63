"""Chinese text of chapter 5's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # max_pool2d, avg_pool2d, avg_pool2d_backward, max_pool2d_backward: cases
    "the chapter's 4x4 map, 2x2 windows side by side: x (1, 1, 4, 4), kernel_size 2, stride 2, padding 0":
        "本章的 4x4 特征图，2x2 窗口并排：x (1, 1, 4, 4)，kernel_size 2，步长 2，填充 0",
    "a batch with channels: x (2, 3, 4, 6), kernel_size 2, stride 2, padding 0":
        "带多个通道的批量：x (2, 3, 4, 6)，kernel_size 2，步长 2，填充 0",
    "3x3 windows with stride 1 (they overlap): x (1, 1, 5, 5), kernel_size 3, stride 1, padding 0":
        "步长为 1 的 3x3 窗口（窗口相互重叠）：x (1, 1, 5, 5)，kernel_size 3，步长 1，填充 0",
    "a stride that does not divide (the last row and column are in no window): "
    "x (1, 2, 8, 7), kernel_size 3, stride 2, padding 0":
        "不能整除的步长（最后一行和最后一列不属于任何窗口）：x (1, 2, 8, 7)，kernel_size 3，步长 2，填充 0",
    "padding on an all-negative map (the chapter's -1 ... -9): x (1, 1, 3, 3), kernel_size 2, stride 2, padding 1":
        "在全为负数的特征图上填充（本章的 -1 ... -9）：x (1, 1, 3, 3)，kernel_size 2，步长 2，填充 1",
    "padding, random: x (2, 1, 5, 6), kernel_size 3, stride 2, padding 1":
        "填充，随机输入：x (2, 1, 5, 6)，kernel_size 3，步长 2，填充 1",
    "a non-square window, stride and padding given as pairs: "
    "x (2, 2, 7, 9), kernel_size (3, 2), stride (2, 1), padding (1, 1)":
        "非正方形窗口，步长和填充以二元组给出：x (2, 2, 7, 9)，kernel_size (3, 2)，步长 (2, 1)，填充 (1, 1)",
    "a stride larger than the window (some cells are in no window): x (1, 1, 7, 7), kernel_size 2, stride 3, padding 0":
        "步长大于窗口（有些元素不属于任何窗口）：x (1, 1, 7, 7)，kernel_size 2，步长 3，填充 0",
    # max_pool2d_backward: more cases
    "the chapter's tie [[1, 3], [3, 2]]: x (1, 1, 2, 2), kernel_size 2, stride 2, padding 0":
        "本章的并列例子 [[1, 3], [3, 2]]：x (1, 1, 2, 2)，kernel_size 2，步长 2，填充 0",
    "small integers, many ties: x (2, 2, 4, 6), kernel_size 2, stride 2, padding 0":
        "小整数，大量并列：x (2, 2, 4, 6)，kernel_size 2，步长 2，填充 0",
    "3x3 windows with stride 1 over small integers (overlap and ties): x (1, 2, 6, 6), kernel_size 3, stride 1, padding 0":
        "在小整数上用步长为 1 的 3x3 窗口（既有重叠又有并列）：x (1, 2, 6, 6)，kernel_size 3，步长 1，填充 0",
    "a constant map (every cell ties): x (1, 1, 4, 4), kernel_size 2, stride 2, padding 0":
        "常数特征图（每个元素都并列）：x (1, 1, 4, 4)，kernel_size 2，步长 2，填充 0",
    # max_pool2d: diagnoses
    "the padding is zeros: max pooling pads with -inf, so that a padded cell never wins "
    "(zeros beat every negative value)":
        "用零做了填充：最大池化要用 -inf 填充，这样填充的元素永远不会胜出（零比任何负数都大）",
    "the padding is ignored: pad x with padding rows and columns of -inf on each side first; P = (H + 2*padding - kh) // stride + 1":
        "忽略了填充：先在 x 的每一侧填充 padding 行和列的 -inf；P = (H + 2*padding - kh) // stride + 1",
    "the stride is ignored: window (i, j) starts at row i*stride, column j*stride":
        "忽略了步长：窗口 (i, j) 从第 i*stride 行、第 j*stride 列开始",
    "the window's height and width are swapped: kernel_size (kh, kw) means kh rows and kw columns":
        "窗口的高和宽弄反了：kernel_size (kh, kw) 表示 kh 行、kw 列",
    "this is the mean of each window: max pooling keeps its largest value":
        "这是每个窗口的平均值：最大池化保留的是窗口中的最大值",
    # avg_pool2d: diagnoses
    "the window is summed but not divided by the window size kh * kw":
        "对窗口求了和，却没有除以窗口大小 kh * kw",
    "the sum is divided by the number of real (non-padding) cells: the padded zeros count in the mean, "
    "so divide every window by kh * kw (PyTorch's count_include_pad=True)":
        "和被除以了真实（非填充）元素的个数：填充的零也要计入平均值，所以每个窗口都要除以 kh * kw"
        "（即 PyTorch 的 count_include_pad=True）",
    "the padding is ignored: pad x with zeros first; P = (H + 2*padding - kh) // stride + 1":
        "忽略了填充：先给 x 填充零；P = (H + 2*padding - kh) // stride + 1",
    "this is the maximum of each window: average pooling keeps its mean":
        "这是每个窗口的最大值：平均池化保留的是窗口的平均值",
    # avg_pool2d_backward: diagnoses
    "dy is copied to every cell of the window without dividing: each cell contributed 1/(kh*kw) of the output, "
    "so it receives dy / (kh*kw)":
        "dy 被原样复制到窗口的每个元素上，没有做除法：每个元素为输出贡献了 1/(kh*kw)，所以它得到的是 dy / (kh*kw)",
    "dy is divided by the number of real (non-padding) cells: the forward pass divided every window by kh * kw, "
    "padding included, so every cell gets dy / (kh*kw)":
        "dy 被除以了真实（非填充）元素的个数：前向传播中每个窗口都除以 kh * kw（填充也计算在内），"
        "所以每个元素得到的是 dy / (kh*kw)",
    "the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns "
    "from each side of the padded gradient":
        "没有裁剪掉填充：dx 必须与 x 形状相同，所以要从填充后的梯度的每一侧去掉 `padding` 行和列",
    "the gradient is overwritten (=) where windows overlap: a cell in several windows collects a share "
    "from each of them, so add (+=) into the window":
        "窗口重叠处的梯度被覆盖了（=）：属于多个窗口的元素要从每个窗口各收集一份，所以要累加（+=）到窗口上",
    # max_pool2d_backward: diagnoses
    "at a tie the gradient went to every maximum (an equality mask, dx = (x == max) * dy, sends one full copy "
    "of dy to each tied cell, so the window passes on a multiple of dy): it must go to ONE cell, the first maximum "
    "in row-major order (what np.argmax returns), so that each dy arrives exactly once":
        "出现并列时，梯度交给了每一个最大值（相等掩码 dx = (x == max) * dy 会给每个并列元素一份完整的 dy，"
        "于是窗口传回的是 dy 的若干倍）：梯度必须只交给一个元素，即按行优先顺序的第一个最大值"
        "（np.argmax 返回的那个），这样每个 dy 恰好只到达一次",
    "at a tie the gradient was split among the maxima (what centred finite differences measure): a valid "
    "subgradient, but the book, like PyTorch, gives all of it to the first maximum in row-major order":
        "出现并列时，梯度被分给了各个最大值（这正是中心差分测得的结果）：这是一个有效的次梯度，"
        "但本书和 PyTorch 一样，把全部梯度交给按行优先顺序的第一个最大值",
    "at a tie the gradient went to the LAST maximum (a comparison with >= keeps replacing it): give it to "
    "the first one in row-major order, as np.argmax does":
        "出现并列时，梯度交给了最后一个最大值（用 >= 比较会不断替换它）：应像 np.argmax 那样，"
        "交给按行优先顺序的第一个",
    "the gradient went to every cell of the window: only the maximum influenced the output, the other cells get 0":
        "梯度交给了窗口中的每个元素：只有最大值影响了输出，其他元素应得到 0",
    "the maximum's value was written back: the cell that won receives the upstream gradient dy, "
    "not the forward maximum":
        "写回的是最大值本身：胜出的元素得到的是上游梯度 dy，而不是前向传播中的最大值",
    "the gradient is overwritten (=) where windows overlap: a cell that wins several windows collects dy "
    "from each of them, so add (+=)":
        "窗口重叠处的梯度被覆盖了（=）：在多个窗口中胜出的元素要从每个窗口各收集一份 dy，所以要累加（+=）",
    "x was padded with zeros: a padded zero can beat the negative values and take their gradient; "
    "pad with -inf, as in the forward pass":
        "x 是用零填充的：填充的零可能比负数大，从而抢走它们的梯度；应像前向传播那样用 -inf 填充",
    # global_avg_pool2d, global_avg_pool2d_backward: cases
    "the chapter's 4x4 map (mean 36/16 = 2.25): x (1, 1, 4, 4)":
        "本章的 4x4 特征图（平均值 36/16 = 2.25）：x (1, 1, 4, 4)",
    "a batch of feature maps: x (2, 3, 4, 6)": "一批特征图：x (2, 3, 4, 6)",
    "a non-square map: x (1, 2, 3, 7)": "非正方形的特征图：x (1, 2, 3, 7)",
    "1x1 maps (global pooling changes nothing but the shape): x (3, 4, 1, 1)":
        "1x1 的特征图（全局池化只改变形状）：x (3, 4, 1, 1)",
    "the last maps of a small network, 7x7: x (2, 8, 7, 7)": "一个小网络最后的 7x7 特征图：x (2, 8, 7, 7)",
    "the chapter's 4x4 map (mean 36/16 = 2.25): x (1, 1, 4, 4), dy (1, 1)":
        "本章的 4x4 特征图（平均值 36/16 = 2.25）：x (1, 1, 4, 4)，dy (1, 1)",
    "a batch of feature maps: x (2, 3, 4, 6), dy (2, 3)": "一批特征图：x (2, 3, 4, 6)，dy (2, 3)",
    "a non-square map: x (1, 2, 3, 7), dy (1, 2)": "非正方形的特征图：x (1, 2, 3, 7)，dy (1, 2)",
    "1x1 maps (global pooling changes nothing but the shape): x (3, 4, 1, 1), dy (3, 4)":
        "1x1 的特征图（全局池化只改变形状）：x (3, 4, 1, 1)，dy (3, 4)",
    "the last maps of a small network, 7x7: x (2, 8, 7, 7), dy (2, 8)":
        "一个小网络最后的 7x7 特征图：x (2, 8, 7, 7)，dy (2, 8)",
    # global_avg_pool2d: diagnoses
    "each map is summed but not divided by its size: the mean divides by H * W":
        "对每张特征图求了和，却没有除以它的大小：平均值要除以 H * W",
    "the result keeps the spatial axes, shape (N, C, 1, 1): global average pooling returns one number per channel, "
    "shape (N, C) (use x.mean(axis=(2, 3)) without keepdims)":
        "结果保留了空间轴，形状为 (N, C, 1, 1)：全局平均池化为每个通道返回一个数，形状为 (N, C)"
        "（使用 x.mean(axis=(2, 3))，不要加 keepdims）",
    "the channels are averaged too: pooling never mixes channels, so average over the axes H and W only (axis=(2, 3))":
        "连通道也一起求了平均：池化从不混合通道，所以只对 H 和 W 两个轴求平均（axis=(2, 3)）",
    "the batch is averaged too: every image keeps its own numbers, so average over the axes H and W only (axis=(2, 3))":
        "连批量也一起求了平均：每幅图像保留自己的数，所以只对 H 和 W 两个轴求平均（axis=(2, 3)）",
    "this is the maximum of each map (global max pooling): global average pooling keeps the mean":
        "这是每张特征图的最大值（全局最大池化）：全局平均池化保留的是平均值",
    # global_avg_pool2d_backward: diagnoses
    "dy is copied to every cell without dividing: each of the H * W cells contributed 1/(H*W) of the mean, "
    "so each receives dy / (H*W)":
        "dy 被原样复制到每个元素上，没有做除法：H * W 个元素中的每一个都为平均值贡献了 1/(H*W)，"
        "所以每个元素得到的是 dy / (H*W)",
    "dx has shape (N, C, 1, 1): broadcast dy / (H*W) over every cell, so that dx has the shape of x":
        "dx 的形状是 (N, C, 1, 1)：要把 dy / (H*W) 广播到每个元素上，使 dx 与 x 形状相同",
    "dy is divided by C * H * W (the size of a whole image): each channel's mean is over its own H * W cells, "
    "so divide by H * W":
        "dy 被除以了 C * H * W（整幅图像的大小）：每个通道的平均值只取自它自己的 H * W 个元素，所以要除以 H * W",
    "the whole gradient went to the largest cell, as in max pooling: every cell of the map is in the mean, "
    "so every cell receives dy / (H*W)":
        "全部梯度像最大池化那样交给了最大的元素：特征图中的每个元素都参与了求平均，所以每个元素都得到 dy / (H*W)",
}
