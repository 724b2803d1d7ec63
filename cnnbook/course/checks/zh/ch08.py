"""Chinese text of chapter 08's checks: every case name and every diagnosis, by its English text."""

TEXT = {
    "the chapter's example: logits [[2, 1, 0.1]], label 0":
        "本章的例子：logits [[2, 1, 0.1]]，标签 0",
    "a batch of 5, 10 classes":
        "一批 5 个样本，10 个类别",
    "positive scores that sum to 1 in each row (they are still logits)":
        "每行之和为 1 的正分数（它们仍然是 logits）",
    "huge logits (exp overflows without the max shift)":
        "极大的 logits（不先减去最大值，exp 就会上溢）",
    "float32 logits stay float32":
        "float32 的 logits 仍为 float32",
    "a batch of 4, 5 features in, 3 out: dy (4, 3), x (4, 5), w (3, 5)":
        "一批 4 个样本，输入 5 个特征，输出 3 个：dy (4, 3)，x (4, 5)，w (3, 5)",
    "one example (N = 1): dy (1, 2), x (1, 6), w (2, 6)":
        "只有一个样本（N = 1）：dy (1, 2)，x (1, 6)，w (2, 6)",
    "LeNet's first dense layer: 128 in, 64 out, batch 32: dy (32, 64), x (32, 128), w (64, 128)":
        "LeNet 的第一个全连接层：输入 128，输出 64，批量 32：dy (32, 64)，x (32, 128)，w (64, 128)",
    "as many inputs as outputs (a transposed w still fits): dy (3, 4), x (3, 4), w (4, 4)":
        "输入与输出一样多（转置后的 w 形状照样对得上）：dy (3, 4)，x (3, 4)，w (4, 4)",
    "chapter 8's first step (t = 1, zero moments, lr 0.01): each weight moves by lr against its gradient's sign, whatever the gradient's size":
        "第 8 章的第一步（t = 1，零矩，lr 0.01）：无论梯度大小，每个权重都沿与其梯度符号相反的方向移动 lr",
    "chapter 8's second step (t = 2), from the moments of the first":
        "第 8 章的第二步（t = 2），从第一步得到的矩出发",
    "random (3, 4) arrays at step t = 10, with running moments":
        "第 t = 10 步的随机 (3, 4) 数组，带有滑动矩",
    "tiny gradients (about 1e-6) at t = 1: here eps matters, and where it goes":
        "t = 1 时的极小梯度（约 1e-6）：这时 eps 有影响，而且它加在哪里也有影响",
    "a (2, 1, 3, 3) float32 filter bank stays float32; betas (0.8, 0.99), lr 0.1, t = 3":
        "一组 (2, 1, 3, 3) 的 float32 卷积核仍为 float32；betas (0.8, 0.99)，lr 0.1，t = 3",
    "late in training, t = 50: the correction of m has almost vanished, that of v has not":
        "训练后期，t = 50：m 的校正几乎消失了，v 的校正还没有",
    "build_lenet(np.random.default_rng(0)), a batch of two 8x8 digits":
        "build_lenet(np.random.default_rng(0))，一批两个 8x8 数字",
    "build_lenet(np.random.default_rng(1)): the architecture does not depend on the seed":
        "build_lenet(np.random.default_rng(1))：架构与种子无关",
    "build_lenet(np.random.default_rng(7)): nor on any other seed":
        "build_lenet(np.random.default_rng(7))：换任何其他种子也一样",
    "build_lenet(np.random.default_rng(0)), trained 3 epochs, then the 360 validation digits":
        "build_lenet(np.random.default_rng(0))，训练 3 个迭代周期，然后在 360 个验证数字上评估",

    # cross_entropy
    "the loss is log(softmax(z)) computed in two steps: a probability below about 1e-308 rounds to 0, and log(0) = -inf; compute log softmax directly, shifted - log(sum(exp(shifted))) with shifted = z - max(z)":
        "损失中的 log(softmax(z)) 是分两步算的：小于约 1e-308 的概率会被舍入为 0，而 log(0) = -inf；"
        "请直接计算 log softmax，即 shifted - log(sum(exp(shifted)))，其中 shifted = z - max(z)",
    "exp(z) overflows for large logits: subtract each row's maximum first, softmax(z) = softmax(z - max(z)) and log-sum-exp(z) = m + log sum exp(z - m)":
        "logits 很大时 exp(z) 会上溢：先减去每一行的最大值，softmax(z) = softmax(z - max(z))，"
        "log-sum-exp(z) = m + log sum exp(z - m)",
    "softmax was applied twice (a softmax layer at the end of the network and again in the loss): the loss takes the raw logits and applies softmax once itself":
        "softmax 被应用了两次（网络末尾一个 softmax 层，损失里又一次）：损失函数接收原始的 logits，"
        "并且自己只应用一次 softmax",
    "the loss is -log of the logits themselves, as if they were probabilities: apply softmax first, loss = logsumexp(z) - z[label]":
        "损失直接取了 logits 本身的 -log，仿佛它们是概率：应先应用 softmax，loss = logsumexp(z) - z[label]",
    "the loss and the gradient are summed over the batch instead of averaged: divide both by N":
        "损失和梯度在批量上求了和，而不是取平均：两者都要除以 N",
    "the one-hot label is not subtracted: dloss/dz_k = softmax(z)_k - [k == label]":
        "没有减去 one-hot 标签：dloss/dz_k = softmax(z)_k - [k == label]",
    "the gradient has the wrong sign: it is softmax(z) - onehot(label), which points uphill, and the optimiser subtracts it":
        "梯度的符号反了：梯度是 softmax(z) - onehot(label)，它指向上坡方向，由优化器减去它",

    # linear_backward
    "dw is transposed: w has shape (out_features, in_features), so dw = dy.T @ x":
        "dw 被转置了：w 的形状是 (out_features, in_features)，所以 dw = dy.T @ x",
    "dx uses w transposed: y = x @ w.T, so dx = dy @ w":
        "计算 dx 时用了转置的 w：y = x @ w.T，所以 dx = dy @ w",
    "db is not summed over the batch: the bias is added to every example, so its gradient is the sum of dy over the examples (axis 0)":
        "db 没有在批量上求和：偏置加到了每个样本上，所以它的梯度是 dy 在各样本上（axis 0）的和",
    "db is averaged over the batch: the bias receives the SUM of dy over the examples (the loss already divided by N)":
        "db 在批量上取了平均：偏置得到的是 dy 在各样本上的总和（SUM），而不是平均（损失已经除过 N 了）",
    "dw is averaged over the batch (divided by N): the loss's gradient already carries the 1/N; dw = dy.T @ x":
        "dw 在批量上取了平均（除以了 N）：损失的梯度已经带有 1/N；dw = dy.T @ x",

    # adam_step
    "m and v are not bias-corrected: they start at 0, so divide m by 1 - beta1**t and v by 1 - beta2**t before the update (without it the first step is about 3.2 lr instead of lr)":
        "m 和 v 没有做偏差校正：它们从 0 开始，所以在更新前要把 m 除以 1 - beta1**t，把 v 除以 1 - beta2**t"
        "（不校正的话，第一步约为 3.2 lr，而不是 lr）",
    "only m is bias-corrected: v needs its own correction, v_hat = v / (1 - beta2**t)":
        "只有 m 做了偏差校正：v 也需要它自己的校正，v_hat = v / (1 - beta2**t)",
    "v must average the squared gradient, v = beta2 * v + (1 - beta2) * g**2, not g itself":
        "v 必须对梯度的平方取平均，v = beta2 * v + (1 - beta2) * g**2，而不是对 g 本身",
    "the running averages are swapped: keep beta of the old value and add (1 - beta) of the new gradient, m = beta1 * m + (1 - beta1) * g":
        "滑动平均的两个系数弄反了：旧值保留 beta 份，新梯度加上 (1 - beta) 份，m = beta1 * m + (1 - beta1) * g",
    "eps is added inside the square root: the update divides by sqrt(v_hat) + eps, which matters when gradients are tiny":
        "eps 加在了平方根里面：更新时应除以 sqrt(v_hat) + eps，梯度极小时两者差别很大",
    "the bias correction uses the wrong step number: t is 1 for the first step, so the corrections are 1 - beta1**t and 1 - beta2**t with this step's t":
        "偏差校正用错了步数：第一步的 t 是 1，所以校正因子是 1 - beta1**t 和 1 - beta2**t，其中 t 取本步的值",
    "the update goes uphill: w_new = w - lr * m_hat / (sqrt(v_hat) + eps)":
        "更新朝上坡方向走了：w_new = w - lr * m_hat / (sqrt(v_hat) + eps)",
    "return the raw running averages m and v, not the corrected m_hat and v_hat: the next step corrects them again, with its own t":
        "应返回未经校正的滑动平均 m 和 v，而不是校正后的 m_hat 和 v_hat：下一步会用它自己的 t 再校正一次",

    # build_lenet
    "there is no Flatten layer before the first Linear: a Linear layer takes (N, features), so the (N, 32, 2, 2) feature maps must be flattened to (N, 128) first":
        "第一个 Linear 之前没有 Flatten 层：Linear 层接收的是 (N, features)，所以必须先把 (N, 32, 2, 2) 的特征图展平为 (N, 128)",
    "the first Linear layer's in_features does not match what Flatten gives it: the two 2x2 poolings take the 8x8 digit to 4x4 and then 2x2, so Flatten gives 32 * 2 * 2 = 128 numbers per image (512 = 32 * 4 * 4 forgets the second pooling)":
        "第一个 Linear 层的 in_features 与 Flatten 给它的不一致：两次 2x2 池化把 8x8 的数字先变成 4x4，再变成 2x2，"
        "所以 Flatten 为每张图像给出 32 * 2 * 2 = 128 个数（512 = 32 * 4 * 4 漏掉了第二次池化）",
    "the first Linear layer's in_features does not match what Flatten gives it: the two 2x2 poolings take the 8x8 digit to 4x4 and then 2x2, so Flatten gives 32 * 2 * 2 = 128 numbers per image (2048 = 32 * 8 * 8 forgets both poolings)":
        "第一个 Linear 层的 in_features 与 Flatten 给它的不一致：两次 2x2 池化把 8x8 的数字先变成 4x4，再变成 2x2，"
        "所以 Flatten 为每张图像给出 32 * 2 * 2 = 128 个数（2048 = 32 * 8 * 8 漏掉了两次池化）",
    "the first Linear layer's in_features does not match what Flatten gives it: the two 2x2 poolings take the 8x8 digit to 4x4 and then 2x2, so Flatten gives 32 * 2 * 2 = 128 numbers per image (32 counts the channels only)":
        "第一个 Linear 层的 in_features 与 Flatten 给它的不一致：两次 2x2 池化把 8x8 的数字先变成 4x4，再变成 2x2，"
        "所以 Flatten 为每张图像给出 32 * 2 * 2 = 128 个数（32 只算了通道数）",
    "there is no activation between the layers: without ReLU the only nonlinearity left is max pooling, and the two Linear layers collapse into one; put a ReLU after each convolution and after the first Linear":
        "层与层之间没有激活函数：没有 ReLU，剩下的唯一非线性就是最大池化，两个 Linear 层会坍缩成一个；"
        "请在每个卷积层之后以及第一个 Linear 之后各加一个 ReLU",
    "the first Linear layer is not followed by a ReLU: two Linear layers in a row are one linear map":
        "第一个 Linear 层后面没有接 ReLU：两个相连的 Linear 层只相当于一个线性映射",
    "the convolutions have no padding: a 3x3 filter then shrinks the 8x8 digit to 6x6, and the second pooling has too little left; use padding=1 so that each convolution keeps the size":
        "卷积层没有填充：这样 3x3 卷积核会把 8x8 的数字缩小为 6x6，到第二次池化时剩下的就太少了；"
        "请使用 padding=1，让每个卷积层保持尺寸不变",
    "a pooling layer is missing: each conv-ReLU is followed by MaxPool2d(2), which halves the height and the width":
        "少了一个池化层：每个卷积-ReLU 之后都要接一个 MaxPool2d(2)，它把高和宽都减半",
}
