"""Chinese text of chapter 06's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # shared by several questions
    "the result is float64 for a float32 input: build it from the input's own arrays (np.zeros_like(z), np.where, "
    "arithmetic on z and dy), not with np.zeros(z.shape)":
        "输入是 float32，结果却是 float64：请用输入自身的数组来构造结果（np.zeros_like(z)、np.where、"
        "对 z 和 dy 做算术运算），不要用 np.zeros(z.shape)",
    # stable_sigmoid
    "by hand: z = [0, 2, -2] (sigma(0) = 1/2 and sigma(-z) = 1 - sigma(z))":
        "手算：z = [0, 2, -2]（sigma(0) = 1/2，且 sigma(-z) = 1 - sigma(z)）",
    "random z (3, 4)": "随机 z (3, 4)",
    "random NCHW z (2, 3, 4, 4)": "随机 NCHW z (2, 3, 4, 4)",
    "z = -1000 and 1000 (exp(1000) overflows; the answers are exactly 0 and 1)":
        "z = -1000 和 1000（exp(1000) 会上溢；答案恰好是 0 和 1）",
    "z = -720, -700, 700, 720 (sigma(-720) is about 2.0e-313, still a float64 number, but exp(720) is not)":
        "z = -720、-700、700、720（sigma(-720) 约为 2.0e-313，仍是一个 float64 数，但 exp(720) 不是）",
    "float32 z from -200 to 200 (the result stays float32)": "float32 的 z，从 -200 到 200（结果保持 float32）",
    "1 / (1 + exp(-z)) everywhere: for z below about -709, exp(-z) overflows to inf (with a RuntimeWarning) and the "
    "answer collapses to 0; for z < 0 use exp(z) / (1 + exp(z)), where no exponent is positive":
        "处处都用了 1 / (1 + exp(-z))：z 低于约 -709 时，exp(-z) 上溢为 inf（并发出 RuntimeWarning），"
        "答案坍缩为 0；z < 0 时请用 exp(z) / (1 + exp(z))，其中没有正的指数",
    "exp(z) / (1 + exp(z)) everywhere: for z above about 709 this is inf / inf = nan; use it for z < 0 only and "
    "1 / (1 + exp(-z)) for z >= 0":
        "处处都用了 exp(z) / (1 + exp(z))：z 高于约 709 时，它是 inf / inf = nan；只在 z < 0 时用它，"
        "z >= 0 时用 1 / (1 + exp(-z))",
    "z was clipped before the exponential: that hides the overflow but changes the answer far out (sigma(-720) is "
    "not sigma(-500)); choose the formula by the sign of z instead":
        "在求指数之前截断了 z：这样虽然掩盖了上溢，却改变了远处的答案（sigma(-720) 不等于 sigma(-500)）；"
        "请改为按 z 的符号选择公式",
    # sigmoid_layer_backward
    "by hand: z = [0, 2, -2], dy = [1, -2, 0.5] (the slope at 0 is 1/4)":
        "手算：z = [0, 2, -2]，dy = [1, -2, 0.5]（0 处的斜率为 1/4）",
    "random dy and z (4, 6)": "随机 dy 和 z (4, 6)",
    "random NCHW dy and z (2, 3, 4, 4)": "随机 NCHW dy 和 z (2, 3, 4, 4)",
    "saturated: z = -1000, -40, 40, 1000, dy = 1 (the slope is about 0)":
        "饱和：z = -1000、-40、40、1000，dy = 1（斜率约为 0）",
    "float32 dy and z (the result stays float32)": "float32 的 dy 和 z（结果保持 float32）",
    "the slope s (1 - s) was applied to z itself: z is the sigmoid's input; compute s = sigma(z) first, then "
    "dz = dy * s * (1 - s)":
        "把斜率 s (1 - s) 直接用在了 z 上：z 是 sigmoid 的输入；请先算出 s = sigma(z)，再算 dz = dy * s * (1 - s)",
    "the upstream gradient dy is not used: dz = dy * s * (1 - s), entry by entry":
        "没有用到上游梯度 dy：应逐元素计算 dz = dy * s * (1 - s)",
    "the forward value sigma(z) was used as the slope; the slope is s (1 - s) with s = sigma(z)":
        "把前向值 sigma(z) 当成了斜率；斜率是 s (1 - s)，其中 s = sigma(z)",
    "the sigmoid was applied twice (s = sigma(z), then sigma(s)): z is already the input, so s (1 - s) with "
    "s = sigma(z) is the slope":
        "sigmoid 被用了两次（先 s = sigma(z)，再 sigma(s)）：z 本身就是输入，所以斜率就是 s (1 - s)，其中 s = sigma(z)",
    # tanh_backward
    "by hand: z = [0, 0.5, -1], dy = [2, 1, -1] (the slope at 0 is 1)":
        "手算：z = [0, 0.5, -1]，dy = [2, 1, -1]（0 处的斜率为 1）",
    "saturated: z = -1000, -20, 20, 1000, dy = 1 (the slope is about 0)":
        "饱和：z = -1000、-20、20、1000，dy = 1（斜率约为 0）",
    "1 - t^2 was computed with z instead of t = tanh(z): z is the input; the slope is 1 - tanh(z)**2":
        "计算 1 - t^2 时用了 z，而不是 t = tanh(z)：z 是输入；斜率是 1 - tanh(z)**2",
    "the square is missing: the slope is 1 - tanh(z)**2, not 1 - tanh(z)":
        "漏了平方：斜率是 1 - tanh(z)**2，不是 1 - tanh(z)",
    "the upstream gradient dy is not used: dz = dy * (1 - tanh(z)**2), entry by entry":
        "没有用到上游梯度 dy：应逐元素计算 dz = dy * (1 - tanh(z)**2)",
    "this is the sigmoid's slope s (1 - s); tanh's is 1 - tanh(z)**2 (four times larger at 0)":
        "这是 sigmoid 的斜率 s (1 - s)；tanh 的斜率是 1 - tanh(z)**2（在 0 处大四倍）",
    # relu_backward
    "by hand: z = [-2, -0.5, 0, 0.5, 3], dy = [1, 2, 3, 4, 5] (at z = 0 the book passes nothing)":
        "手算：z = [-2, -0.5, 0, 0.5, 3]，dy = [1, 2, 3, 4, 5]（在 z = 0 处，本书什么也不传回）",
    "random NCHW dy and z (2, 3, 4, 4), a fifth of z exactly 0":
        "随机 NCHW dy 和 z (2, 3, 4, 4)，其中五分之一的 z 恰好为 0",
    "negative dy (the mask acts on z's sign, not on dy's)": "负的 dy（掩码取决于 z 的符号，而不是 dy 的符号）",
    "at z = 0 exactly the gradient was passed on: ReLU has no derivative there, and the book (like PyTorch) takes 0, "
    "so the mask is z > 0, not z >= 0":
        "在恰好 z = 0 处把梯度传了回去：ReLU 在那里没有导数，本书（与 PyTorch 一样）取 0，"
        "所以掩码是 z > 0，而不是 z >= 0",
    "the upstream gradient dy is not used: dz = dy where z > 0, else 0":
        "没有用到上游梯度 dy：z > 0 处 dz = dy，其他地方为 0",
    "ReLU was applied to dy: the mask comes from the sign of the input z, not of dy":
        "把 ReLU 作用在了 dy 上：掩码来自输入 z 的符号，而不是 dy 的符号",
    "dy was multiplied by the forward value relu(z); the slope is 1 where z > 0, else 0":
        "把 dy 乘以了前向值 relu(z)；斜率在 z > 0 处为 1，其他地方为 0",
    # leaky_relu
    "by hand: z = [-2, -0.5, 0, 0.5, 3], negative_slope 0.1": "手算：z = [-2, -0.5, 0, 0.5, 3]，negative_slope 0.1",
    "random z (4, 6), the default slope 0.01 (no second argument)": "随机 z (4, 6)，默认斜率 0.01（不传第二个参数）",
    "random NCHW z (2, 3, 4, 4), negative_slope 0.2": "随机 NCHW z (2, 3, 4, 4)，negative_slope 0.2",
    "negative_slope given by name, 0.05": "以关键字参数给出 negative_slope，0.05",
    "negative_slope 1.5 (allowed: a learned slope may exceed 1)": "negative_slope 1.5（允许：学习得到的斜率可能超过 1）",
    "float32 z, negative_slope 0.1 (the result stays float32)": "float32 的 z，negative_slope 0.1（结果保持 float32）",
    "max(z, negative_slope * z) equals leaky ReLU only when the slope is at most 1; above 1 it swaps the sides "
    "(negative_slope * z where z > 0, z where z < 0): choose by the sign of z instead":
        "只有当斜率不超过 1 时，max(z, negative_slope * z) 才等于 Leaky ReLU；斜率大于 1 时两侧会对调"
        "（z > 0 处变成 negative_slope * z，z < 0 处变成 z）：请改为按 z 的符号来选择",
    "the slope was applied to the positive side: leaky ReLU is z where z > 0 and negative_slope * z where z <= 0":
        "把斜率用在了正侧：Leaky ReLU 在 z > 0 处是 z，在 z <= 0 处是 negative_slope * z",
    "negative_slope is ignored (0.01 always): use the argument":
        "忽略了 negative_slope（总是用 0.01）：请使用传入的参数",
    "the negative side is 0: that is ReLU; leaky ReLU keeps negative_slope * z there":
        "负侧为 0：那是 ReLU；Leaky ReLU 在那里保留 negative_slope * z",
    # leaky_relu_backward
    "by hand: z = [-2, -0.5, 0, 0.5, 3], dy = [1, 2, 3, 4, 5], negative_slope 0.1":
        "手算：z = [-2, -0.5, 0, 0.5, 3]，dy = [1, 2, 3, 4, 5]，negative_slope 0.1",
    "random dy and z (4, 6), the default slope 0.01 (no third argument)":
        "随机 dy 和 z (4, 6)，默认斜率 0.01（不传第三个参数）",
    "random NCHW dy and z (2, 3, 4, 4), a fifth of z exactly 0, negative_slope 0.2":
        "随机 NCHW dy 和 z (2, 3, 4, 4)，其中五分之一的 z 恰好为 0，negative_slope 0.2",
    "float32 dy and z, negative_slope 0.1 (the result stays float32)":
        "float32 的 dy 和 z，negative_slope 0.1（结果保持 float32）",
    "the slope was applied to the positive side: dz = dy where z > 0 and negative_slope * dy where z <= 0":
        "把斜率用在了正侧：z > 0 处 dz = dy，z <= 0 处 dz = negative_slope * dy",
    "at z = 0 exactly the full gradient was passed on: the book (like PyTorch) uses the negative side's slope there, "
    "so the test is z > 0, not z >= 0":
        "在恰好 z = 0 处把完整的梯度传了回去：本书（与 PyTorch 一样）在那里使用负侧的斜率，"
        "所以判断条件是 z > 0，而不是 z >= 0",
    "the upstream gradient dy is not used: dz = dy times the slope (1 or negative_slope)":
        "没有用到上游梯度 dy：dz = dy 乘以斜率（1 或 negative_slope）",
    "nothing passes on the negative side: that is ReLU's backward; leaky ReLU passes negative_slope * dy there":
        "负侧什么也没有传回：那是 ReLU 的反向传播；Leaky ReLU 在那里传回 negative_slope * dy",
    # silu_backward
    "by hand: z = [0, 2, -2], dy = [1, 1, 1] (the slope at 0 is 1/2; the slopes at 2 and -2 add up to 1)":
        "手算：z = [0, 2, -2]，dy = [1, 1, 1]（0 处的斜率为 1/2；2 和 -2 处的斜率之和为 1）",
    "far out: z = -1000, -40, 40, 1000, dy = 1 (the slope tends to 0 on the left and 1 on the right)":
        "远处：z = -1000、-40、40、1000，dy = 1（斜率在左侧趋于 0，在右侧趋于 1）",
    "the product rule lost its second term: SiLU(z) = z * sigma(z) has slope sigma(z) + z * sigma(z) * (1 - sigma(z)), "
    "not sigma(z) alone":
        "乘积法则丢了第二项：SiLU(z) = z * sigma(z) 的斜率是 sigma(z) + z * sigma(z) * (1 - sigma(z))，"
        "而不只是 sigma(z)",
    "the product rule lost its first term: the slope is sigma(z) + z * sigma(z) * (1 - sigma(z)); the sigma(z) that "
    "multiplies dz/dz = 1 is missing":
        "乘积法则丢了第一项：斜率是 sigma(z) + z * sigma(z) * (1 - sigma(z))；缺少了与 dz/dz = 1 相乘的那个 sigma(z)",
    "this is the sigmoid's slope sigma(z) (1 - sigma(z)); SiLU multiplies the sigmoid by z, so its slope is "
    "sigma(z) + z * sigma(z) * (1 - sigma(z))":
        "这是 sigmoid 的斜率 sigma(z) (1 - sigma(z))；SiLU 把 sigmoid 乘以 z，所以它的斜率是 "
        "sigma(z) + z * sigma(z) * (1 - sigma(z))",
    "the factor z is missing from the second term: the slope is sigma(z) + z * sigma(z) * (1 - sigma(z))":
        "第二项漏了因子 z：斜率是 sigma(z) + z * sigma(z) * (1 - sigma(z))",
    "the upstream gradient dy is not used: dz = dy * (sigma(z) + z * sigma(z) * (1 - sigma(z)))":
        "没有用到上游梯度 dy：dz = dy * (sigma(z) + z * sigma(z) * (1 - sigma(z)))",
    # prelu_backward
    "by hand: z = [[-2, 3], [4, -1]], dy = [[1, 2], [3, 4]], weight = [0.1, 0.5] (dz = [[0.1, 2], [3, 2]], "
    "dweight = [-2, -4])":
        "手算：z = [[-2, 3], [4, -1]]，dy = [[1, 2], [3, 4]]，weight = [0.1, 0.5]（dz = [[0.1, 2], [3, 2]]，"
        "dweight = [-2, -4]）",
    "random dense dy and z (5, 3), weight (3,)": "随机的全连接层 dy 和 z (5, 3)，weight (3,)",
    "random NCHW dy and z (2, 3, 4, 4), weight (3,)": "随机 NCHW dy 和 z (2, 3, 4, 4)，weight (3,)",
    "random NCHW dy and z with as many columns as channels (2, 3, 5, 3), weight (3,)":
        "随机 NCHW dy 和 z，列数与通道数相同 (2, 3, 5, 3)，weight (3,)",
    "NCHW z (2, 2, 3, 3), a quarter of it exactly 0 (at 0 the slope is the weight's), weight [0.25, -0.5]":
        "NCHW z (2, 2, 3, 3)，其中四分之一恰好为 0（0 处的斜率取 weight），weight [0.25, -0.5]",
    "one channel: NCHW dy and z (3, 1, 4, 4), weight (1,)": "单通道：NCHW dy 和 z (3, 1, 4, 4)，weight (1,)",
    "float32 dy, z and weight (the results stay float32): NCHW (2, 3, 4, 4), weight (3,)":
        "float32 的 dy、z 和 weight（结果保持 float32）：NCHW (2, 3, 4, 4)，weight (3,)",
    "dweight was not summed: each channel's slope is shared by every example and every position, so its gradient is "
    "the sum of dy * min(z, 0) over all axes but the channel axis 1":
        "dweight 没有求和：每个通道的斜率由所有样本和所有位置共享，所以它的梯度是 dy * min(z, 0) "
        "在除通道轴 1 以外的所有轴上的和",
    "dweight was summed over every axis, channels included: each channel has its own slope, so sum over all axes but "
    "axis 1 and return one number per channel":
        "dweight 在所有轴上求了和，连通道轴也包括在内：每个通道有自己的斜率，所以应对除轴 1 以外的所有轴求和，"
        "每个通道返回一个数",
    "dweight counts the positive inputs too: da/dweight = min(z, 0), which is 0 where z > 0, so sum dy * min(z, 0), "
    "not dy * z":
        "dweight 把正的输入也算了进去：da/dweight = min(z, 0)，在 z > 0 处为 0，所以应对 dy * min(z, 0) 求和，"
        "而不是 dy * z",
    "dweight does not use dy: the chain rule multiplies da/dweight = min(z, 0) by the upstream gradient dy before "
    "summing":
        "dweight 没有用到 dy：按链式法则，求和之前要先把 da/dweight = min(z, 0) 乘以上游梯度 dy",
    "dweight was computed from the output a = prelu(z) instead of the input z: where z <= 0, a is weight * z, so the "
    "sum picks up an extra factor weight; da/dweight is z there, not a":
        "dweight 是用输出 a = prelu(z) 而不是输入 z 算的：在 z <= 0 处 a 等于 weight * z，"
        "所以和里多出了一个因子 weight；在那里 da/dweight 是 z，而不是 a",
    "dweight was computed as the sum of dy * min(a, 0) with the output a = prelu(z) instead of the input z: "
    "min(a, 0) is weight * min(z, 0) for a positive weight and 0 for a negative one; use min(z, 0)":
        "dweight 算成了 dy * min(a, 0) 的和，用的是输出 a = prelu(z) 而不是输入 z：weight 为正时 min(a, 0) "
        "等于 weight * min(z, 0)，weight 为负时为 0；请使用 min(z, 0)",
    "the slope was applied to the positive side of dz: dz = dy where z > 0 and weight * dy where z <= 0":
        "dz 把斜率用在了正侧：z > 0 处 dz = dy，z <= 0 处 dz = weight * dy",
    "dz passes nothing on the negative side: that is ReLU's backward; PReLU passes weight * dy there":
        "dz 在负侧什么也没有传回：那是 ReLU 的反向传播；PReLU 在那里传回 weight * dy",
    "at z = 0 exactly dz passed the full gradient: like PyTorch, the book uses the negative side's slope there, so "
    "the test is z > 0, not z >= 0":
        "在恰好 z = 0 处，dz 传回了完整的梯度：与 PyTorch 一样，本书在那里使用负侧的斜率，"
        "所以判断条件是 z > 0，而不是 z >= 0",
    "the weight was broadcast along the last axis: it belongs to axis 1 (channels); reshape it to (1, C, 1, 1) for "
    "NCHW arrays":
        "weight 沿最后一个轴广播了：它属于轴 1（通道）；对 NCHW 数组，请把它变形为 (1, C, 1, 1)",
}
