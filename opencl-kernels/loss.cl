// loss.cl — losses and the accuracy metric, forward and backward side by side.
//
//   mse_forward:    pred, target: (n)     loss[0] = (accumulate ? loss[0] : 0) + sum_i (pred[i] - target[i])^2 / n
//   mse_backward:   pred, target: (n)     dpred[i] = (pred[i] - target[i]) * (2 / n)
//   softmax_cross_entropy_forward:  logits: (B, C), labels: (B) class indices stored as floats, l = label_b,
//       loss[0] = (accumulate ? loss[0] : 0) + (1/B) sum_b L_b, the sparse categorical cross-entropy:
//         from_logits:    L_b = log sum_c exp(logits[b, c] - mx_b) + mx_b - logits[b, l]
//                         with mx_b = max_c logits[b, c], so exp never overflows (finite for logits of +-1e4);
//         probabilities:  s_b = sum_c p[b, c], q = p[b, l] / s_b, L_b = -log clip(q, EPS, 1 - EPS)
//                         (categorical_cross_entropy on probabilities with a one-hot target).
//   softmax_cross_entropy_backward: dlogits = dL/dlogits of that mean:
//         from_logits:    dlogits[b, c] = (softmax(logits[b])[c] - [c == l]) / B
//         probabilities:  dp[b, c] = ([c == l] (-1/q) + 1) / (s_b B) where q is inside [EPS, 1 - EPS], else 0
//   mse_forward_backward: both of the above in one pass; every work-item writes dpred for its
//       share of the elements and adds their squared differences to the loss.
//   softmax_cross_entropy_forward_backward: the forward loss and the backward dlogits in one pass
//       over the rows, each row's logsumexp computed once.
//   accuracy_count: count[0] = (accumulate ? count[0] : 0) + #{b : argmax_c logits[b, c] == label_b},
//       the first maximum on ties, NaN larger than every number (NumPy's and PyTorch's argmax).
//   elementwise_loss_forward(_backward): pred, target: (n), e = pred - target, kind (ElementwiseLoss.Kind):
//       loss[0] = (accumulate ? loss[0] : 0) + (1/n) sum_i f(pred[i], target[i]);  dpred[i] = f'(...) * scale
//       with scale = 1/n and s(e) = 1, -1, or e itself for +-0 and NaN:
//         LOSS_MAE          f = |e|                                   f' = s(e)
//         LOSS_HUBER        f = e^2/2 if |e| <= delta, else delta (|e| - delta/2);  f' = e, else delta s(e)
//         LOSS_BCE          q = clip(p, EPS, 1 - EPS), f = -(t log q + (1 - t) log(1 - q)),
//                           f' = (q - t) / (q (1 - q)), 0 where p was clipped (p < EPS or p > 1 - EPS)
//         LOSS_BCE_LOGITS   f = max(z, 0) - z t + log(1 + e^-|z|) (no overflow);  f' = sigmoid(z) - t
//   categorical_cross_entropy_forward(_backward): pred, target: (B, C), T_b = sum_c t[b, c],
//       loss[0] = (accumulate ? loss[0] : 0) + (1/B) sum_b L_b;  dpred = dL/dpred of that mean:
//         from logits z:     L_b = sum_c t_c (lse_b - z_c);  dz_c = (softmax(z)_c T_b - t_c) / B
//         probabilities p:   s_b = sum_c p_c, q_c = p_c / s_b clipped to [EPS, 1 - EPS], L_b = -sum_c t_c log q_c;
//                            g_c = -t_c / q_c (0 where clipped), U_b = sum of t_c not clipped,
//                            dp_c = (g_c + U_b) / (s_b B)
//   row_metric: sum[0] = (accumulate ? sum[0] : 0) + sum_b m_b, kind (RowMetric.Kind), param = the
//       threshold or k:
//         METRIC_CATEGORICAL_ACCURACY  [argmax pred[b] == argmax target[b]]   (first maximum, NaN largest)
//         METRIC_BINARY_ACCURACY       (1/C) #{c : (pred[b, c] > param ? 1 : 0) == target[b, c]}
//         METRIC_IN_TOP_K              l = argmax target[b]: [#{c : pred[b, c] > pred[b, l]} < k], 0 when
//                                      the row holds a NaN or an infinity (TensorFlow's in_top_k)
//         METRIC_SPARSE_IN_TOP_K       the same with l = label_b (a bad label is a miss)
//         METRIC_ABSOLUTE_ERROR        (1/C) sum_c |pred[b, c] - target[b, c]|
// Special values as the Java backend (the spec): NaN propagates; a row's maximum is NaN when the
// row holds one (Java's Math.max; fmax would skip it), so its loss and gradient are NaN; a row
// of -inf is NaN (-inf - -inf); a -inf logit at the label gives +inf.
// A label that is not an integer in [0, C) cannot be reported from a kernel without a host round
// trip; it makes the loss and that row's gradient NaN instead, and never counts as correct.
// Buffers are row-major and contiguous at x_g + x_off; loss and count are one float. Element
// indices such as b * C + c and x_off + i are size_t: B * C may pass 2^31 - 1.
//
// Launch geometry (LossRoutine):
//   mse_forward, softmax_cross_entropy_forward, accuracy_count, mse_forward_backward,
//   softmax_cross_entropy_forward_backward: one work-group of LOSS_WG
//       work-items (global = local = LOSS_WG), each summing its group_share (common.cl) of the
//       elements or rows, then a tree in local memory.
//       elementwise_loss_forward(_backward), categorical_cross_entropy_forward(_backward) and row_metric
//       launch the same way.
//   mse_backward: global = ceil(n / LOSS_WG) * LOSS_WG, local = LOSS_WG, one work-item per element.
//   softmax_cross_entropy_backward: global = ceil(B / LOSS_WG) * LOSS_WG, local = LOSS_WG, one
//       work-item per row.

#include "common.cl"

#ifndef LOSS_WG
#define LOSS_WG 256   // work-items per work-group; a power of two
#endif

// The class index held by a label, or -1 when it is not an integer in [0, C).
inline int class_index(const float label, const int C) {
    return (label >= 0.0f && label < (float)C && label == floor(label)) ? (int)label : -1;
}

// logsumexp(row) with the maximum subtracted: log(sum_c exp(row[c] - mx)) + mx.
inline float row_logsumexp(__global const float* row, const int C) {
    float mx = row[0];
    for (int c = 1; c < C; c++) {
        mx = row[c] > mx || isnan(row[c]) ? row[c] : mx;
    }
    float s = 0.0f;
    for (int c = 0; c < C; c++) {
        s += exp(row[c] - mx);
    }
    return log(s) + mx;
}

#define EPS 1e-7f   // Keras's epsilon: probabilities are clipped to [EPS, 1 - EPS]

// p clipped to [EPS, 1 - EPS]; NaN stays NaN (clamp's fmin/fmax would drop it).
inline float clip_probability(const float p) {
    return p < EPS ? EPS : p > 1.0f - EPS ? 1.0f - EPS : p;
}

// L_b of one row of sparse categorical cross-entropy for class index label (-1: NaN), and, when
// drow is not null, the row's gradient of the batch mean (inv_b = 1/B). The loss is taken before
// drow is written, so drow may be row.
inline float sparse_row(const int from_logits, const int C, const int label, const float inv_b,
                        __global const float* row, __global float* drow) {
    if (from_logits) {
        const float lse = label < 0 ? NAN : row_logsumexp(row, C);
        const float l = label < 0 ? NAN : lse - row[label];
        for (int c = 0; drow && c < C; c++) {
            drow[c] = (exp(row[c] - lse) - (c == label ? 1.0f : 0.0f)) * inv_b;
        }
        return l;
    }
    float sum = 0.0f;
    for (int c = 0; c < C; c++) {
        sum += row[c];
    }
    const float q = label < 0 ? NAN : row[label] / sum;
    const float l = -log(clip_probability(q));
    const int clipped = q < EPS || q > 1.0f - EPS;
    const float g = clipped ? 0.0f : -1.0f / q;
    const float u = clipped ? 0.0f : 1.0f;
    const float k = label < 0 ? NAN : inv_b / sum;
    for (int c = 0; drow && c < C; c++) {
        drow[c] = ((c == label ? g : 0.0f) + u) * k;
    }
    return l;
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_forward(const int n, const int accumulate, __global const float* pred_g, const int pred_off,
                 __global const float* target_g, const int target_off, __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float d = pred_g[pred_off + i] - target_g[target_off + i];
        s = mad(d, d, s);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_backward(const int n, const float scale, __global const float* pred_g, const int pred_off,
                  __global const float* target_g, const int target_off, __global float* dpred_g, const int dpred_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        dpred_g[dpred_off + i] = (pred_g[pred_off + i] - target_g[target_off + i]) * scale;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_forward(const int B, const int C, const int from_logits, const int accumulate,
                                   __global const float* logits_g, const int logits_off,
                                   __global const float* labels_g, const int labels_off,
                                   __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = logits_g + logits_off + (size_t)b * C;
        s += sparse_row(from_logits, C, class_index(labels_g[labels_off + b], C), 0.0f, row, 0);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)B;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_backward(const int B, const int C, const int from_logits,
                                    __global const float* logits_g, const int logits_off,
                                    __global const float* labels_g, const int labels_off,
                                    __global float* dlogits_g, const int dlogits_off) {
    const size_t b = get_global_id(0);
    if (b >= (size_t)B) {
        return;
    }
    sparse_row(from_logits, C, class_index(labels_g[labels_off + b], C), 1.0f / (float)B,
               logits_g + logits_off + b * C, dlogits_g + dlogits_off + b * C);
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void accuracy_count(const int B, const int C, const int accumulate, __global const float* logits_g,
                    const int logits_off, __global const float* labels_g, const int labels_off,
                    __global float* count_g, const int count_off) {
    __local float s_l[LOSS_WG];
    float hits = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = logits_g + logits_off + (size_t)b * C;
        int best = 0;
        for (int c = 1; c < C; c++) {
            const float v = row[c];
            const float top = row[best];
            if (v > top || (isnan(v) && !isnan(top))) {
                best = c;
            }
        }
        hits += best == class_index(labels_g[labels_off + b], C) ? 1.0f : 0.0f;
    }
    const float total = group_sum(hits, s_l);
    if (get_local_id(0) == 0) {
        count_g[count_off] = (accumulate ? count_g[count_off] : 0.0f) + total;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_forward_backward(const int n, const int accumulate, const float scale,
                          __global const float* pred_g, const int pred_off,
                          __global const float* target_g, const int target_off,
                          __global float* loss_g, const int loss_off, __global float* dpred_g, const int dpred_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float d = pred_g[pred_off + i] - target_g[target_off + i];
        dpred_g[dpred_off + i] = d * scale;
        s = mad(d, d, s);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_forward_backward(const int B, const int C, const int from_logits, const int accumulate,
                                            __global const float* logits_g, const int logits_off,
                                            __global const float* labels_g, const int labels_off,
                                            __global float* loss_g, const int loss_off,
                                            __global float* dlogits_g, const int dlogits_off) {
    __local float s_l[LOSS_WG];
    const float inv_b = 1.0f / (float)B;
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        const size_t at = (size_t)b * C;
        s += sparse_row(from_logits, C, class_index(labels_g[labels_off + b], C), inv_b, logits_g + logits_off + at,
                        dlogits_g + dlogits_off + at);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total * inv_b;
    }
}

// ---- the Keras losses and metrics (ElementwiseLoss, CategoricalCrossEntropy, RowMetric) --------------

#define LOSS_MAE 0
#define LOSS_HUBER 1
#define LOSS_BCE 2
#define LOSS_BCE_LOGITS 3

#define METRIC_CATEGORICAL_ACCURACY 0
#define METRIC_BINARY_ACCURACY 1
#define METRIC_IN_TOP_K 2
#define METRIC_SPARSE_IN_TOP_K 3
#define METRIC_ABSOLUTE_ERROR 4

// s(e): 1, -1, or e itself for +-0 and NaN (OpenCL's sign() would make NaN 0).
inline float sign_keep(const float e) {
    return e > 0.0f ? 1.0f : e < 0.0f ? -1.0f : e;
}

// f(p, t) of kind; *g = f'(p, t).
inline float element_loss(const int kind, const float delta, const float p, const float t, float* g) {
    const float e = p - t;
    if (kind == LOSS_MAE) {
        *g = sign_keep(e);
        return fabs(e);
    }
    if (kind == LOSS_HUBER) {
        const float a = fabs(e);
        *g = a <= delta ? e : delta * sign_keep(e);
        return a <= delta ? 0.5f * e * e : delta * (a - 0.5f * delta);
    }
    if (kind == LOSS_BCE) {
        const float q = clip_probability(p);
        *g = p < EPS || p > 1.0f - EPS ? 0.0f : (q - t) / (q * (1.0f - q));
        return -(t * log(q) + (1.0f - t) * log(1.0f - q));
    }
    const float x = exp(-fabs(p));
    *g = (p >= 0.0f ? 1.0f : x) / (1.0f + x) - t;
    return (p > 0.0f ? p : 0.0f) - p * t + log1p(x);
}

// One work-group: each work-item sums its share of the elements (and writes their gradients).
inline void elementwise_loss(const int kind, const int n, const int accumulate, const float delta, const float scale,
                             __global const float* pred_g, const int pred_off,
                             __global const float* target_g, const int target_off,
                             __global float* loss_g, const int loss_off,
                             __global float* dpred_g, const int dpred_off, __local float* s_l) {
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        float g;
        s += element_loss(kind, delta, pred_g[pred_off + i], target_g[target_off + i], &g);
        if (dpred_g) {
            dpred_g[dpred_off + i] = g * scale;
        }
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void elementwise_loss_forward(const int kind, const int n, const int accumulate, const float delta,
                              __global const float* pred_g, const int pred_off,
                              __global const float* target_g, const int target_off,
                              __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    elementwise_loss(kind, n, accumulate, delta, 0.0f, pred_g, pred_off, target_g, target_off, loss_g, loss_off,
                     0, 0, s_l);
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void elementwise_loss_forward_backward(const int kind, const int n, const int accumulate, const float delta,
                                       const float scale, __global const float* pred_g, const int pred_off,
                                       __global const float* target_g, const int target_off,
                                       __global float* loss_g, const int loss_off,
                                       __global float* dpred_g, const int dpred_off) {
    __local float s_l[LOSS_WG];
    elementwise_loss(kind, n, accumulate, delta, scale, pred_g, pred_off, target_g, target_off, loss_g, loss_off,
                     dpred_g, dpred_off, s_l);
}

// L_b of one row (and its gradient of the batch mean when drow is not null).
inline float categorical_row(const int from_logits, const int C, const float inv_b, __global const float* row,
                             __global const float* trow, __global float* drow) {
    float total = 0.0f;
    for (int c = 0; c < C; c++) {
        total += trow[c];
    }
    float s = 0.0f;
    if (from_logits) {
        // lse - z_c as (mx - z_c) + log(e) and softmax as exp(z_c - mx) / e: for logits of 1e4,
        // lse itself would round away the digits that softmax needs.
        float mx = row[0];
        for (int c = 1; c < C; c++) {
            mx = row[c] > mx || isnan(row[c]) ? row[c] : mx;
        }
        float e = 0.0f;
        for (int c = 0; c < C; c++) {
            e += exp(row[c] - mx);
        }
        const float log_e = log(e);
        for (int c = 0; c < C; c++) {
            s += trow[c] * ((mx - row[c]) + log_e);
        }
        if (drow) {
            for (int c = 0; c < C; c++) {
                drow[c] = (exp(row[c] - mx) / e * total - trow[c]) * inv_b;
            }
        }
        return s;
    }
    float sum = 0.0f;
    for (int c = 0; c < C; c++) {
        sum += row[c];
    }
    float unclipped = 0.0f;
    for (int c = 0; c < C; c++) {
        const float q = row[c] / sum;
        s -= trow[c] * log(clip_probability(q));
        unclipped += q < EPS || q > 1.0f - EPS ? 0.0f : trow[c];
    }
    if (drow) {
        const float k = inv_b / sum;
        for (int c = 0; c < C; c++) {
            const float q = row[c] / sum;
            const float g = q < EPS || q > 1.0f - EPS ? 0.0f : -trow[c] / q;
            drow[c] = (g + unclipped) * k;
        }
    }
    return s;
}

inline void categorical_cross_entropy(const int B, const int C, const int accumulate, const int from_logits,
                                      __global const float* pred_g, const int pred_off,
                                      __global const float* target_g, const int target_off,
                                      __global float* loss_g, const int loss_off,
                                      __global float* dpred_g, const int dpred_off, __local float* s_l) {
    const float inv_b = 1.0f / (float)B;
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        const size_t at = (size_t)b * C;
        s += categorical_row(from_logits, C, inv_b, pred_g + pred_off + at, target_g + target_off + at,
                             dpred_g ? dpred_g + dpred_off + at : 0);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total * inv_b;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void categorical_cross_entropy_forward(const int B, const int C, const int accumulate, const int from_logits,
                                       __global const float* pred_g, const int pred_off,
                                       __global const float* target_g, const int target_off,
                                       __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    categorical_cross_entropy(B, C, accumulate, from_logits, pred_g, pred_off, target_g, target_off, loss_g, loss_off,
                              0, 0, s_l);
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void categorical_cross_entropy_forward_backward(const int B, const int C, const int accumulate, const int from_logits,
                                                __global const float* pred_g, const int pred_off,
                                                __global const float* target_g, const int target_off,
                                                __global float* loss_g, const int loss_off,
                                                __global float* dpred_g, const int dpred_off) {
    __local float s_l[LOSS_WG];
    categorical_cross_entropy(B, C, accumulate, from_logits, pred_g, pred_off, target_g, target_off, loss_g, loss_off,
                              dpred_g, dpred_off, s_l);
}

// The first maximum of row[0 .. C), NaN larger than every number.
inline int row_argmax(__global const float* row, const int C) {
    int best = 0;
    for (int c = 1; c < C; c++) {
        const float v = row[c];
        const float top = row[best];
        if (v > top || (isnan(v) && !isnan(top))) {
            best = c;
        }
    }
    return best;
}

// Whether fewer than k scores of the row exceed the label's, every score finite; a label of -1 misses.
inline float in_top_k(__global const float* row, const int C, const int label, const float k) {
    if (label < 0) {
        return 0.0f;
    }
    const float target = row[label];
    int more = 0;
    for (int c = 0; c < C; c++) {
        if (!isfinite(row[c])) {
            return 0.0f;
        }
        more += row[c] > target;
    }
    return (float)more < k ? 1.0f : 0.0f;
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void row_metric(const int kind, const int B, const int C, const int accumulate, const float param,
                __global const float* pred_g, const int pred_off, __global const float* target_g,
                const int target_off, __global float* sum_g, const int sum_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = pred_g + pred_off + (size_t)b * C;
        __global const float* trow = target_g + target_off + (kind == METRIC_SPARSE_IN_TOP_K ? 0 : (size_t)b * C);
        if (kind == METRIC_CATEGORICAL_ACCURACY) {
            s += row_argmax(row, C) == row_argmax(trow, C) ? 1.0f : 0.0f;
        } else if (kind == METRIC_BINARY_ACCURACY) {
            int hits = 0;
            for (int c = 0; c < C; c++) {
                hits += (row[c] > param ? 1.0f : 0.0f) == trow[c];
            }
            s += (float)hits / (float)C;
        } else if (kind == METRIC_IN_TOP_K) {
            s += in_top_k(row, C, row_argmax(trow, C), param);
        } else if (kind == METRIC_SPARSE_IN_TOP_K) {
            s += in_top_k(row, C, class_index(target_g[target_off + b], C), param);
        } else {
            float a = 0.0f;
            for (int c = 0; c < C; c++) {
                a += fabs(row[c] - trow[c]);
            }
            s += a / (float)C;
        }
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        sum_g[sum_off] = (accumulate ? sum_g[sum_off] : 0.0f) + total;
    }
}
