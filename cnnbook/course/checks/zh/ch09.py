"""Chinese text of chapter 09's checks: every case name and every diagnosis, by its English text."""

TEXT = {
    # batch_norm_forward: cases
    "a hand-sized batch: x (2, 1, 2, 2) holding 1..8, gamma 1, beta 0, running statistics 0 and 1":
        "可以手算的小批量：x (2, 1, 2, 2) 装着 1..8，gamma 为 1，beta 为 0，运行统计量为 0 和 1",
    "training, x (4, 3, 5, 5), away from mean 0 and variance 1":
        "训练模式，x (4, 3, 5, 5)，均值远离 0、方差远离 1",
    "training with only M = N*H*W = 2 values per channel (x (2, 2, 1, 1)): biased and unbiased variance differ by a factor of 2":
        "训练模式，每个通道只有 M = N*H*W = 2 个值（x (2, 2, 1, 1)）：有偏方差与无偏方差相差 2 倍",
    "evaluation mode (training=False): the running statistics normalise, and stay as they are":
        "评估模式（training=False）：用运行统计量做规范化，并且它们保持不变",
    "training, non-square maps (2, 3, 3, 6), momentum 0.3":
        "训练模式，非正方形特征图 (2, 3, 3, 6)，momentum 为 0.3",
    "float32 stays float32 (training, x (5, 2, 3, 3))":
        "float32 仍为 float32（训练模式，x (5, 2, 3, 3)）",
    "evaluation of a single example (N = 1), eps 1e-3":
        "评估单个样本（N = 1），eps 为 1e-3",
    # batch_norm_forward: diagnoses
    "the normalisation uses the unbiased variance (divided by M - 1): the forward pass divides the sum of squares by M = N*H*W, the biased variance, as PyTorch does; only the running estimate uses M - 1":
        "规范化用了无偏方差（除以 M - 1）：前向传播应把平方和除以 M = N*H*W，即有偏方差，与 PyTorch 相同；"
        "只有运行估计值才用 M - 1",
    "the running statistics are used in training: in training mode normalise with the batch's own mean and variance (and move the running estimates toward them); the running ones are for evaluation":
        "训练模式下用了运行统计量：训练时应当用本批自身的均值和方差做规范化（并让运行估计值朝它们移动）；"
        "运行统计量是给评估模式用的",
    "evaluation mode normalises with the batch's statistics: with training=False use running_mean and running_var, so that an example's output does not depend on the rest of the batch":
        "评估模式下用了本批的统计量做规范化：training=False 时应当用 running_mean 和 running_var，"
        "这样一个样本的输出才不会依赖于同一批中的其他样本",
    "the running variance is updated with the biased variance: PyTorch's running estimate uses the unbiased one, sum((x - mean)**2) / (M - 1)":
        "运行方差是用有偏方差更新的：PyTorch 的运行估计值用的是无偏方差，sum((x - mean)**2) / (M - 1)",
    "the momentum is applied the wrong way round: running = (1 - momentum) * running + momentum * batch (PyTorch's convention: momentum is the weight of the NEW statistic)":
        "momentum 用反了：running = (1 - momentum) * running + momentum * batch"
        "（PyTorch 的约定：momentum 是“新”统计量的权重）",
    "the running statistics are not updated in training: running = (1 - momentum) * running + momentum * batch statistic":
        "训练模式下没有更新运行统计量：running = (1 - momentum) * running + momentum * batch statistic",
    "the running statistics change in evaluation mode: with training=False return them unchanged":
        "评估模式下运行统计量被改变了：training=False 时应原样返回它们",
    "the statistics are taken per example (over H and W only, axes (2, 3)): batch normalisation averages each channel over the batch AND the positions, axes (0, 2, 3)":
        "统计量是逐样本计算的（只在 H 和 W 上，即轴 (2, 3)）：批量规范化要对每个通道在整批样本“和”所有位置上求平均，"
        "即轴 (0, 2, 3)",
    "the statistics are taken over the batch axis only (one mean per channel AND position): for feature maps each channel shares one mean over axes (0, 2, 3)":
        "统计量只在批量这一个轴上计算（每个通道的每个位置各有一个均值）：对特征图来说，"
        "每个通道只有一个共同的均值，在轴 (0, 2, 3) 上计算",
    "the statistics mix the channels (taken over every axis): each channel has its own mean and variance, over axes (0, 2, 3)":
        "统计量把各通道混在一起了（在所有轴上计算）：每个通道有自己的均值和方差，在轴 (0, 2, 3) 上计算",
    "eps is added outside the square root: xhat = (x - mean) / sqrt(var + eps)":
        "eps 加在了平方根外面：xhat = (x - mean) / sqrt(var + eps)",
    "gamma and beta are swapped: y = gamma * xhat + beta (gamma scales, beta shifts)":
        "gamma 和 beta 用反了：y = gamma * xhat + beta（gamma 负责缩放，beta 负责偏移）",
    # batch_norm_backward: cases
    "a small batch: x (2, 2, 3, 3)":
        "一个小批量：x (2, 2, 3, 3)",
    "more channels, non-square maps: x (3, 4, 2, 5)":
        "通道更多，特征图非正方形：x (3, 4, 2, 5)",
    "one example (N = 1): the statistics run over its positions: x (1, 3, 4, 4)":
        "只有一个样本（N = 1）：统计量在它的各个位置上计算：x (1, 3, 4, 4)",
    "1x1 maps (a dense layer's batch norm: M = N): x (6, 3, 1, 1)":
        "1x1 特征图（全连接层上的批量规范化：M = N）：x (6, 3, 1, 1)",
    "float32 stays float32: x (4, 2, 3, 3)":
        "float32 仍为 float32：x (4, 2, 3, 3)",
    "eps 0.1 (it matters when a channel's variance is small): x (3, 2, 2, 2)":
        "eps 为 0.1（通道的方差较小时，它的影响不可忽略）：x (3, 2, 2, 2)",
    # batch_norm_backward: diagnoses
    "dx treats the batch mean and variance as constants (dx = gamma * dy / sigma): in training they depend on every x of the channel, and the gradient flows through them too: dx = gamma / (M sigma) * (M dy - sum(dy) - xhat * sum(dy * xhat))":
        "dx 把本批的均值和方差当成了常数（dx = gamma * dy / sigma）：训练时它们依赖于该通道的每一个 x，"
        "梯度也要穿过它们：dx = gamma / (M sigma) * (M dy - sum(dy) - xhat * sum(dy * xhat))",
    "dx goes through the batch mean but not through the variance: the term - xhat * sum(dy * xhat) is missing":
        "dx 只穿过了本批的均值，没有穿过方差：缺少 - xhat * sum(dy * xhat) 这一项",
    "dx goes through the variance but not through the batch mean: the term - sum(dy) is missing":
        "dx 只穿过了方差，没有穿过本批的均值：缺少 - sum(dy) 这一项",
    "M is the batch size N: for feature maps each channel's statistics run over M = N*H*W values, so M = N*H*W in the formula":
        "把 M 当成了批量大小 N：对特征图来说，每个通道的统计量是在 M = N*H*W 个值上计算的，所以公式中 M = N*H*W",
    "sigma uses the unbiased variance (divided by M - 1): the forward pass normalised with the biased one, sum((x - mean)**2) / M":
        "sigma 用了无偏方差（除以 M - 1）：前向传播是用有偏方差做规范化的，即 sum((x - mean)**2) / M",
    "the statistics are taken per example (axes (2, 3)): batch normalisation's mean and variance run over axes (0, 2, 3), and so do the sums of the backward pass":
        "统计量是逐样本计算的（轴 (2, 3)）：批量规范化的均值和方差在轴 (0, 2, 3) 上计算，反向传播中的求和也是如此",
    "dgamma multiplies dy by x instead of xhat: y = gamma * xhat + beta, so dgamma = sum(dy * xhat)":
        "dgamma 用 dy 乘了 x，而不是 xhat：y = gamma * xhat + beta，所以 dgamma = sum(dy * xhat)",
    "dx lacks the factor gamma: y = gamma * xhat + beta, so dxhat = gamma * dy":
        "dx 少了因子 gamma：y = gamma * xhat + beta，所以 dxhat = gamma * dy",
    "dgamma and dbeta are summed over the batch only: each is one number per channel, summed over axes (0, 2, 3)":
        "dgamma 和 dbeta 只在批量这一个轴上求和：它们都是每个通道一个数，要在轴 (0, 2, 3) 上求和",
    # dropout_forward: cases
    "training, p = 0.5, x (2, 3, 4, 4)":
        "训练模式，p = 0.5，x (2, 3, 4, 4)",
    "training, p = 0.2, a dense layer's (8, 10)":
        "训练模式，p = 0.2，全连接层的输出 (8, 10)",
    "training, p = 0.8 (most values dropped)":
        "训练模式，p = 0.8（大部分值被丢弃）",
    "evaluation (training=False), p = 0.5":
        "评估模式（training=False），p = 0.5",
    "evaluation, p = 0.3, x (2, 2, 3, 3)":
        "评估模式，p = 0.3，x (2, 2, 3, 3)",
    "training, p = 0: nothing is dropped":
        "训练模式，p = 0：什么都不丢弃",
    "float32 stays float32 (training, p = 0.25)":
        "float32 仍为 float32（训练模式，p = 0.25）",
    # dropout_forward: diagnoses
    "the kept values are not scaled: inverted dropout divides them by 1 - p in training, so that the expected output equals the input and nothing changes at test time":
        "保留下来的值没有缩放：倒置暂退法在训练时把它们除以 1 - p，使输出的期望等于输入，这样测试时什么都不用改变",
    "the output is scaled at test time (multiplied by 1 - p): with inverted dropout the scaling already happened in training; in evaluation mode return x unchanged":
        "测试时对输出做了缩放（乘以 1 - p）：使用倒置暂退法时，缩放已经在训练时完成；评估模式下应原样返回 x",
    "the output is scaled at test time (divided by 1 - p): in evaluation mode inverted dropout is the identity, y = x":
        "测试时对输出做了缩放（除以 1 - p）：评估模式下倒置暂退法就是恒等映射，y = x",
    "dropout is applied in evaluation mode: with training=False nothing is dropped, y = x":
        "评估模式下也做了暂退：training=False 时什么都不丢弃，y = x",
    "p is used as the probability of KEEPING a value: here (as in PyTorch) p is the probability of dropping it, so keep where u >= p and divide by 1 - p":
        "把 p 当成了“保留”一个值的概率：这里（与 PyTorch 一样）p 是丢弃它的概率，所以应在 u >= p 处保留，并除以 1 - p",
    "the kept values are divided by p: divide by the keep probability 1 - p":
        "保留下来的值除以了 p：应除以保留概率 1 - p",
    "the kept values are multiplied by 1 - p: divide by it instead (multiplying shrinks the expected output to (1 - p)**2 x)":
        "保留下来的值乘以了 1 - p：应当除以它（乘以它会使输出的期望缩小为 (1 - p)**2 x）",
    "the mask is drawn as u < 1 - p: the same probability, but not the draw this exercise fixes; keep exactly np.random.default_rng(seed).random(x.shape) >= p":
        "掩码是按 u < 1 - p 抽取的：概率相同，但不是本练习规定的抽取方式；"
        "请严格使用 np.random.default_rng(seed).random(x.shape) >= p 作为保留条件",
    # dropout_backward: cases
    "feature maps: dy (2, 3, 4, 4), p = 0.5":
        "特征图：dy (2, 3, 4, 4)，p = 0.5",
    "a dense layer's output: dy (8, 10), p = 0.2":
        "全连接层的输出：dy (8, 10)，p = 0.2",
    "most values dropped: dy (4, 6), p = 0.8":
        "大部分值被丢弃：dy (4, 6)，p = 0.8",
    "nothing dropped (p = 0): dy (3, 3), p = 0.0":
        "什么都不丢弃（p = 0）：dy (3, 3)，p = 0.0",
    "float32 stays float32: dy (3, 5), p = 0.25":
        "float32 仍为 float32：dy (3, 5)，p = 0.25",
    # dropout_backward: diagnoses
    "the gradient is not scaled: the forward pass multiplied the kept values by 1 / (1 - p), so the gradient is dy * mask / (1 - p)":
        "梯度没有缩放：前向传播把保留下来的值乘以了 1 / (1 - p)，所以梯度是 dy * mask / (1 - p)",
    "the mask is not applied: a dropped value did not reach the output, so its gradient is 0":
        "没有用上掩码：被丢弃的值没有到达输出，所以它的梯度是 0",
    "the mask is inverted: mask is True where the value was KEPT, and only those get a gradient":
        "掩码用反了：mask 在值被“保留”处为 True，只有这些值才有梯度",
    "the gradient is divided by p: divide by the keep probability 1 - p":
        "梯度除以了 p：应除以保留概率 1 - p",
    # residual_block_backward: cases
    "one channel, one example: x (1, 1, 4, 4), w1 and w2 (1, 1, 3, 3)":
        "一个通道、一个样本：x (1, 1, 4, 4)，w1 和 w2 (1, 1, 3, 3)",
    "a batch with channels: x (2, 3, 5, 5), w1 and w2 (3, 3, 3, 3)":
        "带通道的一批样本：x (2, 3, 5, 5)，w1 和 w2 (3, 3, 3, 3)",
    "non-square maps: x (2, 2, 3, 6), w1 and w2 (2, 2, 3, 3)":
        "非正方形特征图：x (2, 2, 3, 6)，w1 和 w2 (2, 2, 3, 3)",
    "four channels: x (1, 4, 4, 4), w1 and w2 (4, 4, 3, 3)":
        "四个通道：x (1, 4, 4, 4)，w1 和 w2 (4, 4, 3, 3)",
    # residual_block_backward: diagnoses
    "the shortcut's gradient is not added: y = relu(F(x) + x) uses x twice (through F and directly), so dx = (what comes back through F) + ds, with ds the gradient of the sum":
        "没有加上捷径的梯度：y = relu(F(x) + x) 用了 x 两次（经过 F 一次，直接一次），"
        "所以 dx = （经过 F 传回来的梯度）+ ds，其中 ds 是这个和的梯度",
    "the shortcut gets dy instead of the gradient of the sum: the ReLU after the sum stands between them, ds = dy * (F(x) + x > 0), and both branches receive ds":
        "捷径得到的是 dy，而不是这个和的梯度：两者之间隔着求和之后的 ReLU，ds = dy * (F(x) + x > 0)，分支和捷径收到的都是 ds",
    "the ReLU after the sum is ignored: ds = dy * (F(x) + x > 0) is what both the branch and the shortcut receive":
        "忽略了求和之后的 ReLU：分支和捷径收到的都应是 ds = dy * (F(x) + x > 0)",
    "the ReLU's mask is taken from the branch's output F(x): the ReLU acts on the sum F(x) + x":
        "ReLU 的掩码取自分支的输出 F(x)：ReLU 作用在和 F(x) + x 上",
    "the branch gets dy instead of the gradient of the sum ds = dy * (F(x) + x > 0)":
        "分支得到的是 dy，而不是这个和的梯度 ds = dy * (F(x) + x > 0)",
}
