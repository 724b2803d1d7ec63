"""Chinese text of chapter 01's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # f_backward
    "the chapter's x = -2, y = 5, z = -4": "本章的 x = -2，y = 5，z = -4",
    "the sources' slip z = 4 (the gradients of x and y change sign)": "资料来源中的笔误 z = 4（x 和 y 的梯度变号）",
    "random: x = 0.103, y = 4.079, z = 3.674": "随机：x = 0.103，y = 4.079，z = 3.674",
    "random: x = -1.531, y = -0.894, z = -1.582": "随机：x = -1.531，y = -0.894，z = -1.582",
    "random: x = 1.709, y = -0.168, z = 2.241": "随机：x = 1.709，y = -0.168，z = 2.241",
    "x + y = 0 (then df/dz = 0)": "x + y = 0（此时 df/dz = 0）",
    "z = 0 (then df/dx = df/dy = 0)": "z = 0（此时 df/dx = df/dy = 0）",
    "the multiply gate's local gradients are the wrong way round: it swaps its inputs, so df/dq = z and df/dz = q":
        "乘法门的两个局部梯度弄反了：乘法门会交换它的输入，所以 df/dq = z，df/dz = q",
    "only the add gate's local gradient 1 was used for x and y: multiply it by the upstream gradient df/dq = z":
        "x 和 y 只用了加法门的局部梯度 1：还要把它乘以上游梯度 df/dq = z",
    "the add gate was treated like a multiply gate: q = x + y passes its upstream gradient through unchanged "
    "(local gradient 1), so df/dx = z, not y z":
        "把加法门当成了乘法门：q = x + y 会把上游梯度原样传过去（局部梯度为 1），所以 df/dx = z，而不是 y z",
    # sigmoid_backward
    "x = 0, upstream 1 (the slope at the centre: 1/4)": "x = 0，上游梯度 1（中心处的斜率：1/4）",
    "x = 0, upstream -2 (the upstream gradient scales the answer)": "x = 0，上游梯度 -2（上游梯度按比例缩放答案）",
    "x = 2, upstream 3": "x = 2，上游梯度 3",
    "random: x = 0.691, upstream -3.909": "随机：x = 0.691，上游梯度 -3.909",
    "random: x = 1.643, upstream 2.716": "随机：x = 1.643，上游梯度 2.716",
    "random: x = 0.661, upstream 1.339": "随机：x = 0.661，上游梯度 1.339",
    "x = -1.5, upstream 0 (nothing arrives, nothing is passed on)": "x = -1.5，上游梯度 0（没有梯度传来，也就没有梯度传回去）",
    "x = 30, upstream 1 (saturated: the slope is almost 0)": "x = 30，上游梯度 1（饱和：斜率几乎为 0）",
    "x = -30, upstream 1 (saturated on the other side)": "x = -30，上游梯度 1（另一侧饱和）",
    "the upstream gradient is not used: dL/dx = local gradient × upstream gradient, so multiply sigma(x) (1 - sigma(x)) "
    "by `upstream`":
        "没有用到上游梯度：dL/dx = 局部梯度 × 上游梯度，所以要把 sigma(x) (1 - sigma(x)) 乘以 `upstream`",
    "the local gradient is applied to x instead of to sigma(x): d sigma/dx = s (1 - s) with s = sigma(x), not x (1 - x)":
        "局部梯度的公式用在了 x 上，而不是 sigma(x) 上：d sigma/dx = s (1 - s)，其中 s = sigma(x)，而不是 x (1 - x)",
    "the forward value sigma(x) was used as the local gradient; the slope of sigma is sigma(x) (1 - sigma(x))":
        "把前向值 sigma(x) 当成了局部梯度；sigma 的斜率是 sigma(x) (1 - sigma(x))",
    "the upstream gradient is passed on unchanged: it must be multiplied by the local gradient sigma(x) (1 - sigma(x))":
        "上游梯度被原样传了回去：它必须乘以局部梯度 sigma(x) (1 - sigma(x))",
    # fanout_backward
    "a = 2, b = -3 (worked by hand in the exercise)": "a = 2，b = -3（练习中手算过的例子）",
    "a = 1, b = 2": "a = 1，b = 2",
    "random: a = -0.014, b = 2.092": "随机：a = -0.014，b = 2.092",
    "random: a = 1.483, b = 1.448": "随机：a = 1.483，b = 1.448",
    "random: a = 3.238, b = -2.411": "随机：a = 3.238，b = -2.411",
    "a = 0 (then c = d = e = 0, but de/da is not 0)": "a = 0（此时 c = d = e = 0，但 de/da 不为 0）",
    "b = -1 (the two contributions to de/da cancel)": "b = -1（de/da 的两份贡献相互抵消）",
    "a value used twice kept only its last contribution (the one through c = a b): the gradients were overwritten (=) "
    "instead of accumulated (+=)":
        "被使用两次的值只保留了最后一份贡献（经过 c = a b 的那一份）：梯度被覆盖（=）了，而没有累加（+=）",
    "a value used twice kept only its first contribution (a through d, b through e): accumulate (+=) the contribution "
    "through c = a b as well":
        "被使用两次的值只保留了第一份贡献（a 经过 d，b 经过 e）：还要把经过 c = a b 的那一份也累加（+=）进来",
    "the path through c = a b lacks its upstream gradient: c passes on (local gradient) × de/dc with de/dc = b, "
    "i.e. b · b to a and a · b to b":
        "经过 c = a b 的路径漏乘了上游梯度：c 往回传的是（局部梯度）× de/dc，其中 de/dc = b，"
        "即传给 a 的是 b · b，传给 b 的是 a · b",
    # max_graph_backward
    "x = -1, y = 2, z = 3 (worked by hand in the exercise: y wins the max)":
        "x = -1，y = 2，z = 3（练习中手算过的例子：y 在 max 中胜出）",
    "x = 4, y = 1, z = -3 (x wins the max)": "x = 4，y = 1，z = -3（x 在 max 中胜出）",
    "random: x = 1.391, y = -1.959, z = -3.147": "随机：x = 1.391，y = -1.959，z = -3.147",
    "random: x = -5.85, y = -0.706, z = 2.495": "随机：x = -5.85，y = -0.706，z = 2.495",
    "random: x = 0.066, y = 1.024, z = 2.046": "随机：x = 0.066，y = 1.024，z = 2.046",
    "x = y = 1.5, z = -0.5 (a tie: the gradient goes to x, the first argument)":
        "x = y = 1.5，z = -0.5（两个输入相等：梯度交给第一个参数 x）",
    "x = -2, y = 0.5, z = -0.5 (y + z = 0, so nothing flows through the max)":
        "x = -2，y = 0.5，z = -0.5（y + z = 0，所以没有梯度流经 max）",
    "at a tie both inputs of the max received the whole upstream gradient (a mask like x == m and y == m is true for "
    "both): send it to one input only, x":
        "两个输入相等时，max 的两个输入都收到了整个上游梯度（像 x == m 和 y == m 这样的掩码对两者都为真）："
        "只应交给一个输入，即 x",
    "the max gate distributed the upstream gradient to both inputs, like an add gate: max routes all of it to the "
    "larger input and 0 to the other":
        "max 门像加法门一样把上游梯度分发给了两个输入：max 应把全部梯度路由给较大的输入，另一个输入得到 0",
    "at a tie the gradient went to y; the convention here (as in cb.Value.max) sends it to x, the first argument":
        "两个输入相等时，梯度给了 y；这里的约定（与 cb.Value.max 相同）是交给第一个参数 x",
    "y is used twice (by the max and by the add) but kept only its contribution through y + z: add (+=) the one "
    "through the max as well":
        "y 被使用了两次（被 max 和加法各用一次），却只保留了经过 y + z 的贡献：还要把经过 max 的那一份也加上（+=）",
    "y is used twice (by the max and by the add) but kept only its contribution through the max: add (+=) the one "
    "through t = y + z as well":
        "y 被使用了两次（被 max 和加法各用一次），却只保留了经过 max 的贡献：还要把经过 t = y + z 的那一份也加上（+=）",
    "the max gate routed the gradient to the smaller input: it goes to the larger one, the one max(x, y) returned":
        "max 门把梯度路由给了较小的输入：梯度应交给较大的那个，即 max(x, y) 返回的那个",
    "the multiply gate g = m t was not swapped: dg/dm = t and dg/dt = m":
        "乘法门 g = m t 没有交换输入：dg/dm = t，dg/dt = m",
    "the max gate passed on 1 instead of the upstream gradient dg/dm = t: local gradient 1 times upstream t":
        "max 门往回传的是 1，而不是上游梯度 dg/dm = t：应为局部梯度 1 乘以上游梯度 t",
    # matmul_backward
    "by hand: x = [[1, 2], [3, 4]], w = [[1, -1], [0, 2]], dy = [[1, 0], [2, -1]]":
        "手算：x = [[1, 2], [3, 4]]，w = [[1, -1], [0, 2]]，dy = [[1, 0], [2, -1]]",
    "random, all sizes different (the chapter's): x (4, 3), w (3, 2)": "随机，各维大小互不相同（本章的例子）：x (4, 3)，w (3, 2)",
    "square, so a missing transpose still fits: x (3, 3), w (3, 3)": "方阵，漏掉转置时形状仍然对得上：x (3, 3)，w (3, 3)",
    "wide w: x (2, 3), w (3, 5)": "宽的 w：x (2, 3)，w (3, 5)",
    "one row (N = 1): x (1, 4), w (4, 3)": "只有一行（N = 1）：x (1, 4)，w (4, 3)",
    "one input feature (C = 1): x (5, 1), w (1, 2)": "只有一个输入特征（C = 1）：x (5, 1)，w (1, 2)",
    "dx misses its transpose: dx = dy w^T, shape (N, K) @ (K, C) = (N, C)":
        "dx 漏了转置：dx = dy w^T，形状为 (N, K) @ (K, C) = (N, C)",
    "dx has its factors in the wrong order: dx = dy w^T (dy on the left), not w^T dy":
        "dx 的两个因子顺序反了：dx = dy w^T（dy 在左边），而不是 w^T dy",
    "dw is transposed: dw = x^T dy has the shape of w, (C, K); dy^T x is its transpose":
        "dw 被转置了：dw = x^T dy 的形状与 w 相同，为 (C, K)；dy^T x 是它的转置",
    "dw has the transpose on the wrong factor: dw = x^T dy, not dy x^T":
        "dw 的转置加错了因子：dw = x^T dy，而不是 dy x^T",
    "dx and dw are returned in the wrong order: return (dx, dw), each shaped like its input":
        "dx 和 dw 的返回顺序反了：应返回 (dx, dw)，各自的形状与对应的输入相同",
    "the upstream gradient dy is ignored (a matrix of ones was used): every entry of dy weighs its own path":
        "忽略了上游梯度 dy（用的是全 1 矩阵）：dy 的每个元素都要给它自己那条路径加权",
    "dw is divided by N: the gradient of a sum over the rows is the sum of their gradients":
        "dw 被除以了 N：对各行求和的量，其梯度就是各行梯度之和",
}
