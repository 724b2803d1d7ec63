"""Chinese text of chapter 2's checks: every case name and every diagnosis, by its English text."""
TEXT = {
    # parameter_counts / multiply_adds: cases
    "the chapter's photograph: input 3x200x200, K = 16, kernel 5x5, stride 1, padding 2":
        "本章的照片：输入 3x200x200，K = 16，卷积核 5x5，步长 1，填充 2",
    "small enough to count by hand: input 1x4x4, K = 1, kernel 3x3, stride 1, padding 0":
        "小到可以手算：输入 1x4x4，K = 1，卷积核 3x3，步长 1，填充 0",
    "channels, a non-square kernel, padding, a stride that does not divide: input 3x7x9, K = 4, kernel 3x2, stride 2, padding 2":
        "有通道、非正方形卷积核、填充，且步长不能整除：输入 3x7x9，K = 4，卷积核 3x2，步长 2，填充 2",
    "an AlexNet-like first layer: input 3x227x227, K = 96, kernel 11x11, stride 4, padding 0":
        "类似 AlexNet 的第一层：输入 3x227x227，K = 96，卷积核 11x11，步长 4，填充 0",
    "a 1x1 kernel: input 8x5x5, K = 4, kernel 1x1, stride 1, padding 0":
        "1x1 卷积核：输入 8x5x5，K = 4，卷积核 1x1，步长 1，填充 0",
    "the kernel covers the whole image (one position: all three coincide): input 2x4x4, K = 3, kernel 4x4, stride 1, padding 0":
        "卷积核覆盖整张图像（只有一个位置：三种层的结果相同）：输入 2x4x4，K = 3，卷积核 4x4，步长 1，填充 0",
    "source 002's example: input 3x32x32, K = 16, kernel 5x5, stride 1, padding 0":
        "来源 002 的例子：输入 3x32x32，K = 16，卷积核 5x5，步长 1，填充 0",
    # parameter_counts: diagnoses
    "the biases are forgotten: every output unit of the dense and the locally connected layer has its own bias, and every map of the convolution has one":
        "忘了偏置：全连接层和局部连接层的每个输出单元都有自己的偏置，卷积层的每张特征图也各有一个偏置",
    "the input channels are forgotten: a filter spans all C channels, so a unit of the dense layer sees C*H*W numbers and a filter has C*R*S weights":
        "忘了输入通道：一个滤波器覆盖全部 C 个通道，所以全连接层的一个单元看到 C*H*W 个数，一个滤波器有 C*R*S 个权重",
    "the convolution's weights are counted once per output position: with weight sharing one bank of K filters (K*(C*R*S + 1) numbers) serves all P*Q positions":
        "卷积层的权重在每个输出位置都数了一遍：有了权值共享，一组 K 个滤波器（K*(C*R*S + 1) 个数）服务于全部 P*Q 个位置",
    "the locally connected layer was counted like a convolution: each of its P*Q positions owns its filters and biases, P*Q*K*(C*R*S + 1)":
        "把局部连接层当成卷积层来数了：它的 P*Q 个位置各有自己的滤波器和偏置，共 P*Q*K*(C*R*S + 1) 个",
    "the locally connected layer got one bias per map: like its weights, its biases are not shared, so there are K biases at each of the P*Q positions":
        "局部连接层每张特征图只给了一个偏置：和它的权重一样，它的偏置也不共享，所以 P*Q 个位置上各有 K 个偏置",
    "the dense layer was given K outputs: its outputs are all K*P*Q units of the output maps, and each has C*H*W weights and a bias":
        "全连接层只算了 K 个输出：它的输出是输出特征图的全部 K*P*Q 个单元，每个单元有 C*H*W 个权重和一个偏置",
    "the output size ignores the padding: P = (H + 2*padding - R) // stride + 1":
        "输出尺寸忽略了填充：P = (H + 2*padding - R) // stride + 1",
    "the output size ignores the stride: P = (H + 2*padding - R) // stride + 1":
        "输出尺寸忽略了步长：P = (H + 2*padding - R) // stride + 1",
    "the '+ 1' of the output size is missing: the first window position counts too":
        "输出尺寸少了 '+ 1'：第一个窗口位置也要算上",
    "the counts are floats: the output size needs integer division, (H + 2*padding - R) // stride + 1":
        "结果是浮点数：输出尺寸需要用整数除法，(H + 2*padding - R) // stride + 1",
    # multiply_adds: diagnoses
    "these are parameter counts, not multiply-adds: count one multiply-add per product in each output's weighted sum (no biases), K*P*Q outputs of C*R*S products for the two local layers":
        "这些是参数量，不是乘加次数：每个输出的加权和中，每个乘积算一次乘加（不计偏置）；两种局部层有 K*P*Q 个输出，每个输出有 C*R*S 个乘积",
    "weight sharing does not save multiply-adds: each of the K*C*R*S shared weights is used at every one of the P*Q positions, so the convolution does K*C*R*S*P*Q, as many as the locally connected layer":
        "权值共享并不节省乘加运算：K*C*R*S 个共享权重中的每一个都要在全部 P*Q 个位置上使用，所以卷积层做 K*C*R*S*P*Q 次乘加，与局部连接层一样多",
    "these are FLOPs (two per multiply-add): a multiply-add is one product added to a running sum, count it once":
        "这些是浮点运算次数（FLOPs，每次乘加算两次）：一次乘加是把一个乘积加到累加和上，只算一次",
    "the bias additions are counted: count only the products of the weighted sums, one multiply-add each":
        "把偏置的加法也算进去了：只数加权和中的乘积，每个乘积算一次乘加",
    "the sums were counted at every input pixel: a layer computes its sums only at the P*Q output positions, P = (H + 2*padding - R) // stride + 1":
        "在每个输入像素上都算了一次求和：一个层只在 P*Q 个输出位置上计算求和，P = (H + 2*padding - R) // stride + 1",
    "the input channels are forgotten: an output of the two local layers sums C*R*S products, an output of the dense layer C*H*W":
        "忘了输入通道：两种局部层的一个输出是 C*R*S 个乘积之和，全连接层的一个输出是 C*H*W 个乘积之和",
    "the dense layer was counted like a local one: each of its K*P*Q outputs sums over all C*H*W input numbers":
        "把全连接层当成局部层来数了：它的 K*P*Q 个输出中，每一个都要对全部 C*H*W 个输入数求和",
    # receptive_field: cases
    "one layer (the field is the kernel): [(5, 1)]": "一层（感受野就是卷积核）：[(5, 1)]",
    "three 3x3 layers, stride 1: [(3, 1), (3, 1), (3, 1)]": "三个 3x3 层，步长 1：[(3, 1), (3, 1), (3, 1)]",
    "four 3x3 layers, stride 2 (the chapter's 31): [(3, 2), (3, 2), (3, 2), (3, 2)]":
        "四个 3x3 层，步长 2（本章的 31）：[(3, 2), (3, 2), (3, 2), (3, 2)]",
    "the chapter's brute-force network: [(3, 1), (2, 2), (3, 1), (3, 2)]":
        "本章暴力检验用的网络：[(3, 1), (2, 2), (3, 1), (3, 2)]",
    "conv and 2x2 pooling, three times: [(3, 1), (2, 2), (3, 1), (2, 2), (3, 1), (2, 2)]":
        "卷积加 2x2 池化，重复三次：[(3, 1), (2, 2), (3, 1), (2, 2), (3, 1), (2, 2)]",
    "a strided stem, then 3x3 layers: [(7, 2), (3, 2), (3, 1), (3, 1)]":
        "带步长的起始层（stem），再接 3x3 层：[(7, 2), (3, 2), (3, 1), (3, 1)]",
    "a stride on the top layer only (it does not widen this unit's field): [(3, 1), (3, 1), (3, 3)]":
        "只有顶层带步长（它不会扩大这个单元的感受野）：[(3, 1), (3, 1), (3, 3)]",
    "a 2x2 pooling and a strided 3x3 layer, then a 3x3 layer: [(2, 2), (3, 2), (3, 1)]":
        "一个 2x2 池化和一个带步长的 3x3 层，再接一个 3x3 层：[(2, 2), (3, 2), (3, 1)]",
    # receptive_field: diagnoses
    "the receptive field is not the kernel size: that holds for the first layer only; every layer adds (kernel - 1) times the jump (the product of the strides below it)":
        "感受野不等于卷积核大小：这只对第一层成立；每一层都要增加 (kernel - 1) 乘以跳距（它下面各层步长之积）",
    "the strides are ignored: a layer's (kernel - 1) extra units are `jump` input pixels apart, where jump is the product of the strides of the layers below":
        "忽略了步长：一层多出来的 (kernel - 1) 个单元彼此相隔 `jump` 个输入像素，jump（跳距）是它下面各层步长之积",
    "the jump is multiplied by a layer's own stride too early: first size += (kernel - 1) * jump, then jump *= stride (a layer's stride spaces the units above it, not its own inputs)":
        "跳距过早地乘上了本层自己的步长：应先 size += (kernel - 1) * jump，再 jump *= stride（一层的步长决定的是它上面那些单元的间距，而不是它自己输入的间距）",
    "the layers were taken in the wrong order: layers[0] is the first layer on the input; the strides that multiply a layer's (kernel - 1) are those of the layers below it":
        "层的顺序弄反了：layers[0] 是直接作用于输入的第一层；与一层的 (kernel - 1) 相乘的，是它下面各层的步长",
    "the kernel sizes were added up: neighbouring units' fields overlap, so each layer adds (kernel - 1) * jump, not kernel":
        "把卷积核大小直接相加了：相邻单元的感受野互相重叠，所以每一层增加的是 (kernel - 1) * jump，而不是 kernel",
    # receptive_field_range: cases
    "two layers (the package's docstring example): [(3, 1), (3, 2)], unit 1":
        "两层（本包文档字符串中的例子）：[(3, 1), (3, 2)]，单元 1",
    "unit 0 starts at pixel 0: [(3, 1), (3, 1), (3, 1)], unit 0": "单元 0 从像素 0 开始：[(3, 1), (3, 1), (3, 1)]，单元 0",
    "one layer: [(5, 1)], unit 3": "一层：[(5, 1)]，单元 3",
    "one layer with stride 2: [(3, 2)], unit 2": "一个步长为 2 的层：[(3, 2)]，单元 2",
    "the chapter's brute-force network, row 2: [(3, 1), (2, 2), (3, 1), (3, 2)], unit 2":
        "本章暴力检验用的网络，第 2 行：[(3, 1), (2, 2), (3, 1), (3, 2)]，单元 2",
    "the chapter's brute-force network, column 3: [(3, 1), (2, 2), (3, 1), (3, 2)], unit 3":
        "本章暴力检验用的网络，第 3 列：[(3, 1), (2, 2), (3, 1), (3, 2)]，单元 3",
    "three 2x2 poolings: [(2, 2), (2, 2), (2, 2)], unit 5": "三个 2x2 池化：[(2, 2), (2, 2), (2, 2)]，单元 5",
    "strides everywhere: [(3, 2), (3, 2), (3, 2)], unit 1": "每层都带步长：[(3, 2), (3, 2), (3, 2)]，单元 1",
    # receptive_field_range: diagnoses
    "stop is the last pixel: the range is half-open, stop = start + receptive field (one past the end)":
        "stop 取成了最后一个像素：范围是半开区间，stop = start + 感受野（末尾再往后一个）",
    "the field's size ignores the strides (see the previous question): stop = start + receptive field":
        "感受野的大小忽略了步长（见上一题）：stop = start + 感受野",
    "the start ignores the strides: neighbouring units of the top layer are jump = (product of all strides) input pixels apart, so unit `index` starts at index * jump":
        "起点忽略了步长：顶层相邻的单元相隔 jump =（所有步长之积）个输入像素，所以单元 `index` 从 index * jump 开始",
    "the start uses the top layer's stride only: going down each layer (kernel, stride) maps unit i to unit i * stride, so the start is index times the product of all strides":
        "起点只用了顶层的步长：往下经过每一层 (kernel, stride) 时，单元 i 都映射到单元 i * stride，所以起点是 index 乘以所有步长之积",
    # connected_pixel_count: cases
    "three 3x3 layers, stride 1: every pixel of the span: [(3, 1), (3, 1), (3, 1)]":
        "三个 3x3 层，步长 1：跨度中的每个像素都相连：[(3, 1), (3, 1), (3, 1)]",
    "a 1x1 layer with stride 2 under a 3x3 layer (the chapter's holes): [(1, 2), (3, 1)]":
        "3x3 层下面一个步长为 2 的 1x1 层（本章的空洞）：[(1, 2), (3, 1)]",
    "two 2x2 layers with stride 3: [(2, 3), (2, 3)]": "两个步长为 3 的 2x2 层：[(2, 3), (2, 3)]",
    "a 2x2 layer with stride 3 under a 3x3 layer: [(2, 3), (3, 1)]":
        "3x3 层下面一个步长为 3 的 2x2 层：[(2, 3), (3, 1)]",
    "the holes survive two 3x3 layers: [(1, 2), (3, 1), (3, 1)]":
        "空洞经过两个 3x3 层后依然存在：[(1, 2), (3, 1), (3, 1)]",
    "a gap filled again by the 3x3 layer below it: [(3, 1), (1, 2), (3, 1)]":
        "间隙被它下面的 3x3 层重新填上：[(3, 1), (1, 2), (3, 1)]",
    "three 2x2 poolings: [(2, 2), (2, 2), (2, 2)]": "三个 2x2 池化：[(2, 2), (2, 2), (2, 2)]",
    "one 5x5 layer: [(5, 1)]": "一个 5x5 层：[(5, 1)]",
    "a stride on the top layer (it spaces the units above, not this unit's inputs): [(3, 1), (3, 2)]":
        "顶层带步长（它决定上面单元的间距，而不是这个单元的输入）：[(3, 1), (3, 2)]",
    "a 2x2 layer with stride 3 under a 3x3 layer with stride 2: [(2, 3), (3, 2)]":
        "步长为 2 的 3x3 层下面一个步长为 3 的 2x2 层：[(2, 3), (3, 2)]",
    # connected_pixel_count: diagnoses
    "that is the span of the receptive field: when a kernel is smaller than its stride, some pixels inside the span are skipped; follow the connections down and count the distinct pixels reached":
        "这是感受野的跨度：当卷积核小于它的步长时，跨度内的某些像素会被跳过；请沿着连接往下走，数出到达的不同像素的个数",
    "that is the number of paths (one kernel offset per layer), not of pixels: where windows overlap, several paths reach the same pixel, so count distinct pixels (use a set)":
        "这是路径的条数（每层一个卷积核偏移），而不是像素的个数：窗口重叠的地方，几条路径会到达同一个像素，所以要数不同的像素（用集合）",
    "the strides are ignored: going down through a layer (kernel, stride), unit u reads the units u*stride, ..., u*stride + kernel - 1":
        "忽略了步长：往下经过一层 (kernel, stride) 时，单元 u 读取的是单元 u*stride, ..., u*stride + kernel - 1",
    "the layers were taken in the wrong order: layers[0] is the first layer on the input, so going down from the top unit starts with the LAST layer":
        "层的顺序弄反了：layers[0] 是直接作用于输入的第一层，所以从顶层单元往下走，要从最后一层开始",
    # stacked_3x3: cases
    "one layer, one channel (all three by hand: 3, 9, 9): C = 1, n = 1": "一层，一个通道（三个数都能手算：3, 9, 9）：C = 1，n = 1",
    "two layers, one channel: C = 1, n = 2": "两层，一个通道：C = 1，n = 2",
    "two layers against a 5x5 (the chapter): C = 64, n = 2": "两层对比一个 5x5 层（本章）：C = 64，n = 2",
    "three layers against a 7x7 (the chapter): C = 64, n = 3": "三层对比一个 7x7 层（本章）：C = 64，n = 3",
    "four layers, three channels: C = 3, n = 4": "四层，三个通道：C = 3，n = 4",
    "five layers, 16 channels: C = 16, n = 5": "五层，16 个通道：C = 16，n = 5",
    # stacked_3x3: diagnoses
    "the kernel sizes were added up: neighbouring fields overlap, so each stride-1 3x3 layer adds kernel - 1 = 2 pixels to the span, F = 1 + 2n":
        "把卷积核大小直接相加了：相邻的感受野互相重叠，所以每个步长为 1 的 3x3 层给跨度增加 kernel - 1 = 2 个像素，F = 1 + 2n",
    "the spans were multiplied: at stride 1 each layer ADDS kernel - 1 = 2 pixels, F = 1 + 2n":
        "把跨度相乘了：步长为 1 时，每一层是增加 kernel - 1 = 2 个像素，F = 1 + 2n",
    "a layer from C channels to C channels has C filters of C x 3 x 3 weights: 9*C*C weights, not 9*C":
        "从 C 个通道到 C 个通道的层有 C 个滤波器，每个有 C x 3 x 3 个权重：共 9*C*C 个权重，而不是 9*C",
    "the biases are counted: the question counts weights only": "把偏置也算进去了：这道题只数权重",
    "the single layer's kernel is F x F: it has F*F taps for each pair of channels, F*F*C*C weights":
        "单个层的卷积核是 F x F：每一对通道有 F*F 个抽头，共 F*F*C*C 个权重",
    "the stack has n layers, each with 9*C*C weights": "堆叠有 n 层，每层有 9*C*C 个权重",
    # tied_gradients: cases
    "by hand: six positions whose copies have gradients 1, 2, ..., 6 (the answer is 21 everywhere)":
        "手算：六个位置，各副本的梯度为 1, 2, ..., 6（答案处处是 21）",
    "the gradients of a tied locally connected layer (as in the chapter)": "一个权重绑定的局部连接层的梯度（与本章相同）",
    "random: dw_local (4, 3, 2, 3, 3, 2), db_local (2, 4, 3)": "随机：dw_local (4, 3, 2, 3, 3, 2)，db_local (2, 4, 3)",
    "as many positions per row as maps (Q = K): dw_local (2, 3, 3, 1, 2, 2), db_local (3, 2, 3)":
        "每行的位置数与特征图数相同（Q = K）：dw_local (2, 3, 3, 1, 2, 2)，db_local (3, 2, 3)",
    "one map, one channel: dw_local (3, 2, 1, 1, 3, 3), db_local (1, 3, 2)":
        "一张特征图，一个通道：dw_local (3, 2, 1, 1, 3, 3)，db_local (1, 3, 2)",
    "a single position (nothing to add): dw_local (1, 1, 2, 2, 3, 3), db_local (2, 1, 1)":
        "只有一个位置（没有什么可加的）：dw_local (1, 1, 2, 2, 3, 3)，db_local (2, 1, 1)",
    # tied_gradients: diagnoses
    "the copies' gradients are averaged: the shared weight is used at every position, and the gradient of a sum of uses is the SUM of their gradients (the chain rule adds the paths)":
        "对各副本的梯度求了平均：共享权重在每个位置上都被使用，而多处使用之和的梯度是它们梯度的和（链式法则把各条路径加起来）",
    "only the first position's gradient is used: the shared weight acts at all P*Q positions, so add the gradients of every copy":
        "只用了第一个位置的梯度：共享权重作用于全部 P*Q 个位置，所以要把每个副本的梯度加起来",
    "only the last position's gradient is kept: in the loop over positions the gradient was overwritten (=) instead of accumulated (+=)":
        "只保留了最后一个位置的梯度：在对位置的循环中，梯度被覆盖了（=），而不是累加（+=）",
    "db is summed over the wrong axes: db_local is (K, P, Q), so its positions are axes 1 and 2 (while in dw_local (P, Q, K, C, R, S) they are axes 0 and 1)":
        "db 求和的轴不对：db_local 的形状是 (K, P, Q)，所以它的位置是轴 1 和轴 2（而在 dw_local (P, Q, K, C, R, S) 中是轴 0 和轴 1）",
    "dw is summed over the wrong axes: dw_local is (P, Q, K, C, R, S), the positions are axes 0 and 1":
        "dw 求和的轴不对：dw_local 的形状是 (P, Q, K, C, R, S)，位置是轴 0 和轴 1",
    # locally_connected2d_backward: cases
    "the chapter's untied layer: x (1, 2, 5, 5), w (3, 3, 2, 2, 3, 3), stride 1, padding 0":
        "本章中未绑定的层：x (1, 2, 5, 5)，w (3, 3, 2, 2, 3, 3)，步长 1，填充 0",
    "a batch, channels and maps; 2x2 windows that overlap: x (2, 3, 4, 4), w (3, 3, 2, 3, 2, 2), stride 1, padding 0":
        "有批量、通道和多张特征图；2x2 窗口互相重叠：x (2, 3, 4, 4)，w (3, 3, 2, 3, 2, 2)，步长 1，填充 0",
    "stride 2: neighbouring windows share one row or column: x (1, 2, 7, 7), w (3, 3, 3, 2, 3, 3), stride 2, padding 0":
        "步长 2：相邻窗口共享一行或一列：x (1, 2, 7, 7)，w (3, 3, 3, 2, 3, 3)，步长 2，填充 0",
    "padding: x (2, 1, 4, 4), w (4, 4, 2, 1, 3, 3), stride 1, padding 1":
        "填充：x (2, 1, 4, 4)，w (4, 4, 2, 1, 3, 3)，步长 1，填充 1",
    "a stride that does not divide (the last row and column are in no window): x (2, 1, 8, 8), w (3, 3, 2, 1, 3, 3), stride 2, padding 0":
        "步长不能整除（最后一行和最后一列不在任何窗口中）：x (2, 1, 8, 8)，w (3, 3, 2, 1, 3, 3)，步长 2，填充 0",
    "non-square kernel, stride and padding: x (2, 2, 6, 5), w (3, 3, 2, 2, 3, 2), stride 2, padding 1":
        "非正方形卷积核，带步长和填充：x (2, 2, 6, 5)，w (3, 3, 2, 2, 3, 2)，步长 2，填充 1",
    # locally_connected2d_backward: diagnoses
    "dx is overwritten (=) where windows overlap: a pixel read by several windows collects a gradient from each of them, so add (+=) into the window":
        "在窗口重叠处 dx 被覆盖了（=）：被几个窗口读取的像素要从每个窗口各收集一份梯度，所以要累加（+=）到窗口中",
    "the padding is not cropped: dx must have the shape of x, so drop `padding` rows and columns from each side of the padded gradient":
        "没有裁剪填充：dx 必须与 x 形状相同，所以要从填充后梯度的每一侧去掉 `padding` 行和 `padding` 列",
    "the stride is ignored: the window of position (i, j) starts at row i*stride, column j*stride":
        "忽略了步长：位置 (i, j) 的窗口从第 i*stride 行、第 j*stride 列开始",
    "dw is not summed over the batch (it holds only one sample's gradient): every image used the filters w[i, j], so add the contributions of all N images":
        "dw 没有对批量求和（它只包含一个样本的梯度）：每张图像都用了滤波器 w[i, j]，所以要把全部 N 张图像的贡献加起来",
    "dw was summed over the positions, as for a shared weight: in a locally connected layer each position owns its filters, so dw[i, j] comes from dy[:, :, i, j] alone":
        "像共享权重那样对位置求和得到了 dw：在局部连接层中，每个位置拥有自己的滤波器，所以 dw[i, j] 只来自 dy[:, :, i, j]",
    "db is summed over the positions too: each position has its own bias, so db = dy summed over the batch only, shape (K, P, Q)":
        "db 也对位置求和了：每个位置都有自己的偏置，所以 db = dy 只对批量求和，形状为 (K, P, Q)",
    "db is not summed over the batch: the biases b[k, i, j] are the same for every image, so db = dy summed over axis 0, shape (K, P, Q)":
        "db 没有对批量求和：偏置 b[k, i, j] 对每张图像都相同，所以 db = dy 对轴 0 求和，形状为 (K, P, Q)",
}
